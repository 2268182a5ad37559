"""What a stack declares of a consumer group: one request, applied once per token (`request`), like a connector's
offsets request. Pure.

A reset moves the group's committed offsets to a named position (`earliest`, `latest`, a point in time given as an
ISO datetime or as a duration ago) on its topics, or to explicit (topic, partition, offset) positions; a delete
request deletes the group. The positions a named reset means are resolved by the plan (kplan.kinds.consumer_group.kind),
which shows them; apply sets exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EARLIEST, LATEST, AT_TIME, AGO, POSITIONS = "earliest", "latest", "timestamp", "ago", "offsets"
# a failover: the offsets a mirror translated (kplan.kinds.consumer_group.failover)
MIRRORED = "mirror"

Position = tuple[str, int, int]  # (topic, partition, offset)


@dataclass(frozen=True)
class GroupReset:
    """Where a reset moves the group: `to` is one of earliest, latest, timestamp (`timestamp_ms`), ago (`ago_ms`
    before the plan), offsets (`positions`) or mirror (`mirror`: the offsets that mirror translated); `topics`: the
    topics it moves (empty: those the group has committed offsets on; always empty for explicit positions, which
    name their topics, and for a mirror's); `text`: as the stack wrote it."""

    to: str
    text: str
    timestamp_ms: int | None = None
    ago_ms: int | None = None
    positions: tuple[Position, ...] = ()
    topics: tuple[str, ...] = ()
    mirror: str | None = None


@dataclass(frozen=True)
class GroupSpec:
    """A declared consumer-group request: `reset` (an offsets request) or `delete` (a delete request)."""

    name: str  # the group id
    request: str  # the token: a new token asks for one more change
    reset: GroupReset | None = None
    delete: bool = False
    origin: Any = None  # an Origin

    @property
    def what(self) -> str:
        return "delete" if self.delete else "offsets"
