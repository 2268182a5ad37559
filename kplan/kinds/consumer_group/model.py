"""What a stack declares of a consumer group: one request, applied once per token (`request`), like a connector's
offsets request. Pure.

A reset moves the group's committed offsets to a named position (`earliest`, `latest`, a point in time given as an
ISO datetime or as a duration ago) on its topics, or to explicit (topic, partition, offset) positions; a delete
request deletes the group. The reset forms are the ones a share group's request has too (kplan.kinds.resets), but for
a failover (`mirror`). The positions a named reset means are resolved by the plan (kplan.kinds.consumer_group.kind),
which shows them; apply sets exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kplan.kinds.resets.model import OFFSETS, GroupReset, Position

# a failover: the offsets a mirror translated (kplan.kinds.consumer_group.failover)
MIRRORED = "mirror"

__all__ = ["MIRRORED", "GroupReset", "GroupSpec", "Position"]


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
        return "delete" if self.delete else OFFSETS
