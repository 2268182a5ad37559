"""The connector offsets step: apply a connector's declared offsets request (reset or set) — and its pure builder.

Connect changes offsets of a STOPPED connector only (KIP-875). The step stops the connector, journals the offsets
it finds as its outcome (before anything is changed), deletes (reset) or patches (set) them, checks with a GET
that Connect shows them, and brings the connector back to its declared state. Its undo puts the journaled offsets
back exactly (delete, then patch the previous positions) and restores the state the connector had. The request
token is recorded by the ownership record step, after every other step succeeded.

Offsets are positions (topic partitions and offsets, or a source connector's own partition and offset maps),
never config values: no secret policy applies to them, they are journaled as Connect gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from kplan.kinds.offsets.kind import OffsetsPlanned
from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import ConnectorState, Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class AlterOffsets(StepBase):
    """Reset or set a connector's offsets once (request `request`), then restore its declared `state`. Undo: stop
    it, put the journaled offsets back (reset, then patch), restore the state it had."""

    kind: ClassVar[str] = "alter-offsets"
    phase: ClassVar[Phase] = Phase.ALTER_OFFSETS
    before_keys: ClassVar[Mapping[str, str]] = {"previous_request": "request"}

    name: str
    request: str
    reset: bool
    offsets: tuple[Mapping[str, Any], ...]  # the positions to set (Connect's form); () for a reset
    state: ConnectorState  # the declared state to restore
    previous_request: str | None = None  # the token recorded before (None: none)

    def describe(self) -> str:
        what = "reset the offsets" if self.reset else f"set {len(self.offsets)} offset(s)"
        return f"{what} of connector {self.name} (request {self.request})"

    def applies_request(self) -> tuple[ResourceType, str, str | None]:
        return (ResourceType.OFFSETS, self.name, self.previous_request)


def build_offsets_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per offsets request the plan applies, from its change's `OffsetsPlanned`."""
    return [Planned(AlterOffsets(change.name, p.request, p.reset, p.offsets, ConnectorState(p.state),
                                 p.previous_request))
            for change, p in sorted(payloads(plan, OffsetsPlanned), key=lambda cp: cp[0].name)]
