"""The share-group step — move a share group's start offsets (reversible) — and its pure builder, which reads each
change's `ShareGroupPlanned`.

The step refuses while the group has members (Kafka would answer NON_EMPTY_GROUP), journals the start offsets it
finds before it writes (its outcome), sets exactly the planned ones and reads them back; its undo puts the
journaled start offsets back (`undo_offsets`), first removing those of a topic where it set one the group did not
have (Kafka removes a share group's start offsets by whole topics), and reads them back too: the start offsets
Kafka showed, so records acknowledged after them are delivered again (as after any reset). Request tokens are
recorded by the ownership record step, after every other step succeeded. Offsets are positions, never secrets:
journaled as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import JsonKey
from kplan.kinds.planned import planned_of
from kplan.kinds.resets.model import OFFSETS, POSITION_LIST, Position
from kplan.kinds.share_group.kind import ShareGroupPlanned
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


def undo_offsets(moved: tuple[Position, ...], had: tuple[Position, ...]
                 ) -> tuple[tuple[str, ...], tuple[Position, ...]]:
    """How to put a share group back as it was before `moved` were set, given the start offsets it `had`: (the
    topics whose start offsets to remove first: those where a partition moved that had none; the start offsets to
    set after: every one it had on those topics, and the old one of each other partition moved)."""
    before = {(t, p): o for t, p, o in had}
    cleared = tuple(sorted({t for t, p, _ in moved if (t, p) not in before}))
    touched = {(t, p) for t, p, _ in moved}
    back = tuple((t, p, o) for (t, p), o in sorted(before.items()) if t in cleared or (t, p) in touched)
    return cleared, back


@dataclass(frozen=True)
class AlterShareGroupOffsets(StepBase):
    """Set a share group's start offsets (request `request`) to `offsets`. Undo: the group's start offsets as they
    were."""

    kind: ClassVar[str] = "alter-share-group-offsets"
    phase: ClassVar[Phase] = Phase.ALTER_SHARE_GROUP_OFFSETS
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST}

    group: str
    request: str
    offsets: tuple[Position, ...]
    previous_request: str | None = None

    def describe(self) -> str:
        return f"move {len(self.offsets)} start offset(s) of share group {self.group} (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (ResourceType.SHARE_GROUP, self.group, self.previous_request)

    def undo_by_hand(self) -> str:
        return (f"put the start offsets of share group {self.group} back with kafka-share-groups.sh --reset-offsets "
                "--to-offset (the journal's outcome of the step lists them; --delete-offsets for a topic it had "
                "none on), with its consumers stopped")


def build_share_group_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per share-group request the plan applies, from its change's `ShareGroupPlanned`."""
    out: list[Planned] = []
    for change in sorted((c for c in plan.changes if c.type == ResourceType.SHARE_GROUP and c.is_change),
                         key=lambda c: c.name):
        p = planned_of(change, ShareGroupPlanned)
        if p.offsets:
            out.append(Planned(AlterShareGroupOffsets(change.name, p.request, p.offsets, p.previous_request)))
    return out
