"""Per-item results of a batched write (one request for many items: topics, bindings, credentials, entities,
partitions), partitioned by why an item did not simply succeed, as Strimzi's topic operator partitions a batch's
results by error. A write fills a `BatchResults` as the answers arrive, so a caller that passed one in still knows
what happened to each item when the write raises (e.g. which topics existed before: never ours to delete on
rollback). How a system's error becomes a reason is the kit's (`kplan.transport.results`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorReason(str, Enum):
    ALREADY = "already"  # EXPECTED at the first attempt: so before this request (the topic existed, a credential gone)
    LANDED = "landed"  # EXPECTED on a retry, or seen by re-reading: an earlier attempt whose answer was lost did it
    TRANSIENT = "transient"  # RETRIABLE: retried (final only when the deadline passed)
    DENIED = "denied"  # FATAL: kplan's principal lacks the right
    REFUSED = "refused"  # FATAL: any other refusal


@dataclass(frozen=True)
class ItemResult:
    key: str  # the item: a topic, a user, an entity, a binding, a partition
    reason: ErrorReason | None = None  # None: done by this request
    error: str = ""  # the system's own error name (TOPIC_ALREADY_EXISTS...), when it answered one


class BatchResults:
    """item -> its latest result, filled as answers arrive (a retried item's result is replaced)."""

    def __init__(self) -> None:
        self.items: dict[str, ItemResult] = {}

    def record(self, key: str, reason: ErrorReason | None = None, error: str = "") -> None:
        self.items[key] = ItemResult(key, reason, error)

    def done(self) -> list[str]:
        """The items this request did (the system confirmed them), in the order they were recorded."""
        return [k for k, r in self.items.items() if r.reason is None]

    def with_reason(self, *reasons: ErrorReason) -> list[str]:
        return [k for k, r in self.items.items() if r.reason in reasons]

    def __repr__(self) -> str:
        return f"BatchResults({list(self.items.values())!r})"
