"""Running and undoing the connector offsets step (kplan.kinds.offsets.steps). Connect changes offsets of a STOPPED
connector only; the writer's offset calls verify with a GET that Connect shows what was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.offsets.steps import AlterOffsets
from kplan.model.desired import ConnectorState

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.ports import Writers


def _stop(w: Writers, name: str) -> None:
    w.connect.set_connector_state(name, ConnectorState.STOPPED)
    w.connect.wait_connector(name, ConnectorState.STOPPED)


@handles(AlterOffsets)
class AlterOffsetsHandler(StepHandler[AlterOffsets]):
    def run(self, step: AlterOffsets, ctx: StepContext) -> None:
        w, name = ctx.writer, step.name
        existing, status = w.connect.get_connector(name)
        if existing is None:
            raise KplanError(f"connector {name} does not exist, so its offsets cannot be changed (deleted meanwhile?); "
                             "run `kplan plan` again")
        # the state it had, journaled before anything changes: the undo brings it back
        ctx.outcome = {"state": ((status or {}).get("connector") or {}).get("state")}
        ctx.journal_outcome()
        _stop(w, name)
        # the offsets it had, journaled before they are changed: the undo puts exactly these back
        ctx.outcome = {**(ctx.outcome or {}), "offsets": w.connect.connector_offsets(name)}
        ctx.journal_outcome()
        if step.reset:
            w.connect.reset_connector_offsets(name)
        else:
            w.connect.alter_connector_offsets(name, [dict(o) for o in step.offsets])
        w.connect.set_connector_state(name, step.state)
        w.connect.wait_connector(name, step.state)

    def undo(self, step: AlterOffsets, ctx: StepContext) -> None:
        w, name = ctx.writer, step.name
        outcome = ctx.outcome or {}
        existing, _ = w.connect.get_connector(name)
        if existing is None:  # gone (a connector this run created is deleted by its own undo, after this one)
            return
        offsets = outcome.get("offsets")  # None: never read, so never changed
        if offsets is not None:
            _stop(w, name)
            w.connect.reset_connector_offsets(name)
            if offsets:
                w.connect.alter_connector_offsets(name, offsets)
        state = outcome.get("state")
        target = ConnectorState.restored(state) if state else step.state
        w.connect.set_connector_state(name, target)
        if state is None or ConnectorState.steady(state):  # a connector that had FAILED may fail again
            w.connect.wait_connector(name, target)
