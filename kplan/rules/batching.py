"""The Kafka controller's per-request limit, and changes cut into requests that keep within it. Pure.

The KRaft controller writes what one admin request does as one batch of metadata records, and refuses a request
that would write more than 10,000 of them (`QuorumController.MAX_RECORDS_PER_USER_OP`, Kafka 3.x to 4.3; measured on
4.3.1: "Unable to perform excessively large batch operation", POLICY_VIOLATION). So a kind whose changes can grow
past it cuts them into batches whose records add up to at most `records_per_request()` (`packed`), one step per
batch: the journal has each batch done, undone or left, and a kill between batches leaves whole batches to roll
back or to resume. The records each change makes are the kind's to count (the topics': kinds/topic/batches.py).

The limit in force is `MAX_RECORDS_PER_REQUEST` unless the caller sets a lower one (`limited`): the I/O edge reads
`KPLAN_MAX_RECORDS_PER_REQUEST` (`kplan.transport.request_limit`), which tests use to force several batches cheaply.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Mapping, Sequence, TypeVar

MAX_RECORDS_PER_REQUEST = 10_000  # Kafka's QuorumController.MAX_RECORDS_PER_USER_OP
# Lowers the limit (never raises it): tests force several batches with a few topics; an operator may use it for a
# cluster whose controller allows less. Read at the I/O edge (kplan.transport.request_limit).
RECORDS_ENV = "KPLAN_MAX_RECORDS_PER_REQUEST"

_LIMIT: ContextVar[int] = ContextVar("records_per_request", default=MAX_RECORDS_PER_REQUEST)
T = TypeVar("T")


def limit_of(environ: Mapping[str, str]) -> int:
    """The limit `environ` asks for: `MAX_RECORDS_PER_REQUEST`, or less when `KPLAN_MAX_RECORDS_PER_REQUEST` says
    so (a positive whole number; anything else is ignored)."""
    raw = environ.get(RECORDS_ENV, "").strip()
    return min(int(raw), MAX_RECORDS_PER_REQUEST) if raw.isdigit() and int(raw) > 0 else MAX_RECORDS_PER_REQUEST


def records_per_request() -> int:
    """The records one request may make, as set by the innermost `limited` (else `MAX_RECORDS_PER_REQUEST`)."""
    return _LIMIT.get()


@contextmanager
def limited(records: int) -> Iterator[None]:
    """Within the block, `records_per_request()` is `records` (at most `MAX_RECORDS_PER_REQUEST`)."""
    token = _LIMIT.set(max(1, min(records, MAX_RECORDS_PER_REQUEST)))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def packed(items: Sequence[T], records: Callable[[T], int], limit: int) -> list[list[T]]:
    """`items` in their order, cut into consecutive batches whose records add up to at most `limit`. An item over
    the limit by itself is a batch of its own (the broker refuses it: the plan's validation says so first)."""
    batches: list[list[T]] = []
    current: list[T] = []
    total = 0
    for item in items:
        n = max(1, records(item))
        if current and total + n > limit:
            batches.append(current)
            current, total = [], 0
        current.append(item)
        total += n
    if current:
        batches.append(current)
    return batches
