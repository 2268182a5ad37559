"""The group-request steps — move a consumer group's committed offsets or a share group's start offsets
(reversible: `MoveGroup`, in each kind's words), delete a consumer group (irreversible) — and their pure builders,
which read each change's planned payload.

A move refuses while the group has members (Kafka would answer UNKNOWN_MEMBER_ID per partition, or NON_EMPTY_GROUP),
journals the positions it finds before it writes (its outcome), sets exactly the planned ones and reads them back;
its undo puts the journaled positions back (`undo_offsets`; a share group's: first removing those of a topic where it
set one the group did not have, as Kafka removes a share group's start offsets by whole topics — the start offsets
Kafka showed, so records acknowledged after them are delivered again, as after any reset) and reads them back too.
The delete step deletes an Empty group (Kafka refuses a group with members: NON_EMPTY_GROUP). Request tokens are
recorded by the ownership record step, after every other step succeeded. Offsets are positions, never secrets:
journaled as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import JsonKey
from kplan.kinds.group_request.kind import GroupPlanned, ShareGroupPlanned
from kplan.kinds.group_request.model import CONSUMER, OFFSETS, POSITION_LIST, SHARE, Position, Terms
from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


def undo_offsets(moved: tuple[Position, ...], had: tuple[Position, ...], clears: bool
                 ) -> tuple[tuple[str, ...], tuple[Position, ...]]:
    """How to put a group back as it was before `moved` were set, given the positions it `had`: (the topics whose
    positions to remove first, for a kind that `clears` them: those where a partition moved that had none; the
    positions to set after: every one it had on those topics, and the old one of each other partition moved)."""
    before = {(t, p): o for t, p, o in had}
    cleared = tuple(sorted({t for t, p, _ in moved if (t, p) not in before})) if clears else ()
    touched = {(t, p) for t, p, _ in moved}
    back = tuple((t, p, o) for (t, p), o in sorted(before.items()) if t in cleared or (t, p) in touched)
    return cleared, back


@dataclass(frozen=True)
class MoveGroup(StepBase):
    """Set a group's positions (request `request`) to `offsets`, in its kind's words (`terms`). Undo: the
    positions it had back."""

    terms: ClassVar[Terms]
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST}

    group: str
    request: str
    offsets: tuple[Position, ...]
    previous_request: str | None = None

    def describe(self) -> str:
        what = f"{self.terms.moves.removesuffix('s')}(s) of {self.terms.noun}"
        return f"move {len(self.offsets)} {what} {self.group} (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (self.terms.type, self.group, self.previous_request)

    def undo_by_hand(self) -> str:
        t = self.terms
        clear = "; --delete-offsets for a topic it had none on" if t.clears else ""
        return (f"put the {t.held} of {t.noun} {self.group} back with {t.tool} --reset-offsets --to-offset (the "
                f"journal's outcome of the step lists them{clear}), with its consumers stopped")

    @classmethod
    def build(cls, plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
        """One step per request of its kind the plan applies, from its change's payload (a consumer group's delete:
        `DeleteConsumerGroup`)."""
        planned = GroupPlanned if cls.terms is CONSUMER else ShareGroupPlanned
        out: list[Planned] = []
        for change, p in sorted(payloads(plan, planned), key=lambda cp: cp[0].name):
            if p.delete and cls.terms is CONSUMER:  # (a share group is never deleted)
                out.append(Planned(DeleteConsumerGroup(change.name, p.request, p.previous_request)))
            elif p.offsets:
                out.append(Planned(cls(change.name, p.request, p.offsets, p.previous_request)))
        return out


@dataclass(frozen=True)
class AlterGroupOffsets(MoveGroup):
    """Set a consumer group's committed offsets."""

    kind: ClassVar[str] = "alter-group-offsets"
    phase: ClassVar[Phase] = Phase.ALTER_GROUP_OFFSETS
    terms: ClassVar[Terms] = CONSUMER


@dataclass(frozen=True)
class AlterShareGroupOffsets(MoveGroup):
    """Set a share group's start offsets."""

    kind: ClassVar[str] = "alter-share-group-offsets"
    phase: ClassVar[Phase] = Phase.ALTER_SHARE_GROUP_OFFSETS
    terms: ClassVar[Terms] = SHARE


@dataclass(frozen=True)
class DeleteConsumerGroup(StepBase):
    """Delete a consumer group and its committed offsets (request `request`). Irreversible."""

    kind: ClassVar[str] = "delete-consumer-group"
    phase: ClassVar[Phase] = Phase.DELETE_CONSUMER_GROUPS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}

    group: str
    request: str
    previous_request: str | None = None

    def describe(self) -> str:
        return f"delete consumer group {self.group} (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (ResourceType.CONSUMER_GROUP, self.group, self.previous_request)
