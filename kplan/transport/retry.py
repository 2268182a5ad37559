"""Error classes for writes, and retrying with exponential backoff, jitter and a deadline.

confluent-kafka never sets `KafkaError.retriable()` on admin results, so errors are classified by code here, from
the one table of Kafka's retriable errors (`KAFKA_RETRIABLE`), which kplan's own Kafka client retries by too
(kplan.transport.wire.client). EXPECTED errors mean the write is already done (the caller decides what "done"
means, e.g. the topic exists with the declared spec); RETRIABLE ones are retried; FATAL ones stop the run. A
timed-out write may have happened: callers re-read before retrying it (see `retry(..., before_retry=...)`).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Callable, TypeVar

from kplan.errors import KplanError
from kplan.transport.reach import ClusterUnreachable, kafka_error_code, kafka_error_name, no_answer

if TYPE_CHECKING:
    from kplan.transport.reach import Link

T = TypeVar("T")


class ErrorClass(str, Enum):
    EXPECTED = "expected"
    RETRIABLE = "retriable"
    FATAL = "fatal"


# Kafka's retriable errors by code: those whose exception extends RetriableException in Kafka's protocol error
# table (org.apache.kafka.common.protocol.Errors, kafka-clients 4.3.1; tests/integration/test_transient_kafka_errors.py
# compares it with the stack's kafka-clients).
KAFKA_RETRIABLE = {
    2: "CORRUPT_MESSAGE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 5: "LEADER_NOT_AVAILABLE", 6: "NOT_LEADER_OR_FOLLOWER",
    7: "REQUEST_TIMED_OUT", 9: "REPLICA_NOT_AVAILABLE", 13: "NETWORK_EXCEPTION", 14: "COORDINATOR_LOAD_IN_PROGRESS",
    15: "COORDINATOR_NOT_AVAILABLE", 16: "NOT_COORDINATOR", 19: "NOT_ENOUGH_REPLICAS",
    20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", 41: "NOT_CONTROLLER", 51: "CONCURRENT_TRANSACTIONS",
    56: "KAFKA_STORAGE_ERROR", 70: "FETCH_SESSION_ID_NOT_FOUND", 71: "INVALID_FETCH_SESSION_EPOCH",
    72: "LISTENER_NOT_FOUND", 74: "FENCED_LEADER_EPOCH", 75: "UNKNOWN_LEADER_EPOCH", 78: "OFFSET_NOT_AVAILABLE",
    80: "PREFERRED_LEADER_NOT_AVAILABLE", 83: "ELIGIBLE_LEADERS_NOT_AVAILABLE", 84: "ELECTION_NOT_NEEDED",
    88: "UNSTABLE_OFFSET_COMMIT", 89: "THROTTLING_QUOTA_EXCEEDED", 100: "UNKNOWN_TOPIC_ID",
    103: "INCONSISTENT_TOPIC_ID", 106: "FETCH_SESSION_TOPIC_ID_ERROR", 122: "SHARE_SESSION_NOT_FOUND",
    123: "INVALID_SHARE_SESSION_EPOCH", 133: "SHARE_SESSION_LIMIT_REACHED",
}
# Retriable for Kafka, an answer for kplan: the topic is not there (a read shows it absent; a write right after the
# topic's create asks again by name, UNKNOWN_TOPIC_OR_PART below), the partition is already led by its preferred
# replica (a preferred-leader election takes it as done).
ANSWERS = frozenset({3, 84, 100})
RETRIED_CODES = frozenset(KAFKA_RETRIABLE) - ANSWERS
# By librdkafka's names, beside the codes above: its own errors for no answer, and what kplan retries beyond Kafka's
# table (BROKER_NOT_AVAILABLE, REBALANCE_IN_PROGRESS; UNKNOWN_TOPIC_OR_PART right after a create).
RETRIABLE_KAFKA = {
    "_TRANSPORT", "_TIMED_OUT", "_ALL_BROKERS_DOWN", "REQUEST_TIMED_OUT", "NOT_CONTROLLER",
    "LEADER_NOT_AVAILABLE", "BROKER_NOT_AVAILABLE", "NETWORK_EXCEPTION", "THROTTLING_QUOTA_EXCEEDED",
    "UNKNOWN_TOPIC_OR_PART", "NOT_LEADER_FOR_PARTITION", "_WAIT_COORD", "COORDINATOR_NOT_AVAILABLE",
    "NOT_ENOUGH_REPLICAS", "REBALANCE_IN_PROGRESS", "_RESOLVE",
}
# Ambiguous: the operation may have happened.
AMBIGUOUS_KAFKA = {"_TIMED_OUT", "REQUEST_TIMED_OUT", "_TRANSPORT", "NETWORK_EXCEPTION"}
EXPECTED_KAFKA = {"TOPIC_ALREADY_EXISTS"}


def classify_kafka(exc: BaseException) -> ErrorClass:
    name = kafka_error_name(exc)
    if name in EXPECTED_KAFKA:
        return ErrorClass.EXPECTED
    if name in RETRIABLE_KAFKA or kafka_error_code(exc) in RETRIED_CODES or isinstance(exc, TimeoutError):
        return ErrorClass.RETRIABLE
    return ErrorClass.FATAL


def classify_connect(status: int, message: str, *, json_body: bool = True) -> ErrorClass:
    """Connect: 409 is either "already exists" (permanent) or a rebalance (retry); 500s during a rebalance and
    503/504 are transient, and so is no answer at all (status 0: refused, reset or timed out, e.g. a restarting
    worker); a 404 that is not Connect's own JSON comes from the web server while the worker's REST resources
    are not up yet (it starts); other 4xx are the caller's mistake."""
    low = message.lower()
    if status == 409:
        return ErrorClass.EXPECTED if "already exists" in low else ErrorClass.RETRIABLE
    if status in (500, 502, 503, 504) or status == 0:
        return ErrorClass.RETRIABLE
    if status == 404 and not json_body:
        return ErrorClass.RETRIABLE
    return ErrorClass.FATAL


@dataclass
class RetryPolicy:
    deadline_s: float = 60.0
    initial_s: float = 0.2
    max_s: float = 5.0
    factor: float = 2.0

    def delays(self):
        delay = self.initial_s
        while True:
            yield random.uniform(delay / 2, delay)  # jitter: never in lock-step with another client
            delay = min(self.max_s, delay * self.factor)


class RetriableError(Exception):
    """Raised by an attempt to ask for another try (after a transient failure)."""

    def __init__(self, message: str, ambiguous: bool = False, no_answer: bool = False):
        super().__init__(message)
        self.ambiguous = ambiguous
        self.no_answer = no_answer  # the system did not answer at all (refused, reset, timed out)


def retry(attempt: Callable[[], T], policy: RetryPolicy, what: str,
          before_retry: Callable[[], bool] | None = None, sleep=time.sleep, link: "Link | None" = None,
          gave_up: Callable[[str], Exception] = KplanError) -> T:
    """Call `attempt` until it returns, raises a non-retriable error, or the deadline passes: then `gave_up`, naming
    the last failure (a `ClusterUnreachable` when none of the attempts got an answer through `link`).

    `before_retry` runs before each new try after an ambiguous failure; returning True means the re-read shows
    the write already happened, and the retry loop stops successfully (returning None).

    `link` (kplan.transport.reach): the system the attempts talk to. Nothing is attempted while it is known to be
    unreachable (`ClusterUnreachable` at once); while a system it depends on is down, the deadline is the link's
    short budget; giving up after failures without an answer marks it down, an attempt that returns marks it up."""
    deadline_s = policy.deadline_s
    if link is not None:
        link.gate(what)
        if link.short:
            deadline_s = min(deadline_s, link.budget())
    deadline = time.monotonic() + deadline_s
    delays = policy.delays()
    last: RetriableError | None = None
    while True:
        try:
            result = attempt()
        except RetriableError as e:
            last = e
            if before_retry is not None and e.ambiguous and _reread(before_retry):
                return None  # type: ignore[return-value]
        else:
            if link is not None:
                link.up()
            return result
        delay = next(delays)
        if time.monotonic() + delay > deadline:
            if link is not None and last is not None and last.no_answer:

                link.down(str(last))
                raise ClusterUnreachable(f"{what}: still failing after {deadline_s:g}s of retries: {last}")
            raise gave_up(f"{what}: still failing after {deadline_s:g}s of retries: {last}")
        sleep(delay)


def _reread(before_retry: Callable[[], bool]) -> bool:
    """The re-read after an ambiguous failure; one that gets no answer either (the broker died: librdkafka's
    _TRANSPORT and the like) cannot tell, so the retries go on (and end as "unreachable" at the deadline)."""

    try:
        return before_retry()
    except Exception as e:  # noqa: BLE001 - only a failure without an answer is retried; the rest is raised
        if no_answer(e):
            return False
        raise
