"""The delete-records step — delete a topic's records before the planned offsets (Kafka's DeleteRecords),
irreversibly — and its pure builder, which reads each change's planned payload. The request token is recorded by the
ownership record step, after every other step succeeded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import JsonKey
from kplan.kinds.planned import payloads
from kplan.kinds.records.kind import RecordsPlanned
from kplan.kinds.records.model import CUT_LIST, Cut
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class DeleteRecords(StepBase):
    """Move the low watermarks of `topic`'s partitions to `lows` (request `request`): the records before them are
    deleted. Irreversible."""

    kind: ClassVar[str] = "delete-records"
    phase: ClassVar[Phase] = Phase.DELETE_RECORDS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"lows": CUT_LIST}

    topic: str
    request: str
    lows: tuple[Cut, ...]  # (partition, its new low watermark)
    previous_request: str | None = None

    def describe(self) -> str:
        return f"delete the records of topic {self.topic} before {len(self.lows)} offset(s) (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (ResourceType.RECORDS, self.topic, self.previous_request)


def build_records_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per request the plan applies, from its change's `RecordsPlanned`."""
    return [Planned(DeleteRecords(change.name, p.request, p.lows, p.previous_request))
            for change, p in sorted(payloads(plan, RecordsPlanned), key=lambda cp: cp[0].name) if p.lows]
