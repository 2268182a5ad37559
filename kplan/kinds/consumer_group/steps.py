"""The consumer-group steps — move a group's committed offsets (reversible), delete a group (irreversible) — and
their pure builder, which reads each change's `GroupPlanned`.

The offsets step refuses while the group has members (Kafka would answer UNKNOWN_MEMBER_ID per partition), journals
the offsets it finds before it writes (its outcome), sets exactly the planned ones and reads them back; its undo
puts the journaled offsets back and reads them back too. The delete step deletes an Empty group (Kafka refuses a
group with members: NON_EMPTY_GROUP). Request tokens are recorded by the ownership record step, after every other
step succeeded. Offsets are positions, never secrets: journaled as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import JsonKey
from kplan.kinds.consumer_group.kind import GroupPlanned
from kplan.kinds.planned import planned_of
from kplan.kinds.resets.model import OFFSETS, POSITION_LIST, Position
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class AlterGroupOffsets(StepBase):
    """Set a consumer group's committed offsets (request `request`) to `offsets`. Undo: the offsets it had back."""

    kind: ClassVar[str] = "alter-group-offsets"
    phase: ClassVar[Phase] = Phase.ALTER_GROUP_OFFSETS
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {OFFSETS: POSITION_LIST}

    group: str
    request: str
    offsets: tuple[Position, ...]
    previous_request: str | None = None

    def describe(self) -> str:
        return f"move {len(self.offsets)} offset(s) of consumer group {self.group} (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (ResourceType.CONSUMER_GROUP, self.group, self.previous_request)

    def undo_by_hand(self) -> str:
        return (f"put the committed offsets of consumer group {self.group} back with kafka-consumer-groups.sh "
                "--reset-offsets --to-offset (the journal's outcome of the step lists them), with its consumers "
                "stopped")


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


def build_group_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per group request the plan applies, from its change's `GroupPlanned`."""
    out: list[Planned] = []
    for change in sorted((c for c in plan.changes if c.type == ResourceType.CONSUMER_GROUP and c.is_change),
                         key=lambda c: c.name):
        p = planned_of(change, GroupPlanned)
        if p.delete:
            out.append(Planned(DeleteConsumerGroup(change.name, p.request, p.previous_request)))
        elif p.offsets:
            out.append(Planned(AlterGroupOffsets(change.name, p.request, p.offsets, p.previous_request)))
    return out
