"""Per-item results of a batched write (one request for many items: topics, bindings, credentials, entities,
partitions), partitioned by why an item did not simply succeed, as Strimzi's topic operator partitions a batch's
results by error. The reasons refine the classes of `kplan.transport.retry` (EXPECTED, RETRIABLE, FATAL): an
expected answer is told apart by whether it came to the first attempt or to a retry, a fatal one by whether
kplan's principal lacks a right.

A writer fills a `BatchResults` as the answers arrive, so a caller that passed one in still knows what happened
to each item when the write raises (e.g. which topics existed before: never ours to delete on rollback).
The result types are `kplan.model.results`'; here is how a system's error becomes a reason."""

from __future__ import annotations

from kplan.model.results import ErrorReason
from kplan.transport.permissions import DENIED
from kplan.transport.retry import ErrorClass, classify_kafka, kafka_error_name


def reason_of(exc: BaseException, attempt: int = 1) -> ErrorReason:
    """The reason of a confluent-kafka error, by `kplan.transport.retry.classify_kafka`."""
    cls = classify_kafka(exc)
    if cls == ErrorClass.EXPECTED:
        return ErrorReason.ALREADY if attempt == 1 else ErrorReason.LANDED
    if cls == ErrorClass.RETRIABLE:
        return ErrorReason.TRANSIENT
    return ErrorReason.DENIED if kafka_error_name(exc) in DENIED else ErrorReason.REFUSED


def reason_of_name(name: str) -> ErrorReason:
    """The reason of an error Kafka named (kplan's own client answers names, not exceptions): its refusals are fatal."""
    return ErrorReason.DENIED if name in DENIED else ErrorReason.REFUSED
