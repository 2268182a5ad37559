"""What a stack declares of a share group: one request, applied once per token (`request`), like a consumer
group's offsets request (whose reset forms it shares: kplan.kinds.resets). Pure.

A share group has no committed offsets: each of its share-partitions has a start offset, the first record not yet
acknowledged (records before it are done; those after it are delivered, redelivered or skipped as the group's
consumers acknowledge them). A reset moves the start offsets of the group's partitions to a named position
(`earliest`, `latest`, a point in time given as an ISO datetime or as a duration ago) or to explicit (topic,
partition, offset) positions; records the group had acquired or acknowledged after the new start are delivered
again from there. The positions a named reset means are resolved by the plan (kplan.kinds.share_group.kind), which
shows them; apply sets exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kplan.kinds.resets.model import GroupReset


@dataclass(frozen=True)
class ShareGroupSpec:
    """A declared share-group request: move its start offsets (`reset`), once per token."""

    name: str  # the share group's id (its consumers' group.id)
    request: str  # the token: a new token asks for one more reset
    reset: GroupReset
    origin: Any = None  # an Origin
