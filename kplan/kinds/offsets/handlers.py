"""Running and undoing the connector offsets step (kplan.kinds.offsets.steps). Connect changes offsets of a STOPPED
connector only; Connect's offset writes (kplan.transport.connect, the kind's io) verify with a GET that Connect shows
what was written."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.offsets.io import ConnectWrites
from kplan.kinds.offsets.steps import AlterOffsets
from kplan.model.desired import ConnectorState


@handles(AlterOffsets)
class AlterOffsetsHandler(StepHandler[AlterOffsets]):
    def run(self, step: AlterOffsets, ctx: StepContext) -> None:
        w, name = ctx.io(ConnectWrites), step.name
        existing, status = w.get_connector(name)
        if existing is None:
            raise KplanError(f"connector {name} does not exist, so its offsets cannot be changed (deleted meanwhile?); "
                             "run `kplan plan` again")
        # the state it had, journaled before anything changes: the undo brings it back
        ctx.record({"state": ((status or {}).get("connector") or {}).get("state")})
        w.bring_to_state(name, ConnectorState.STOPPED)
        # the offsets it had, journaled before they are changed: the undo puts exactly these back
        ctx.record({"offsets": w.connector_offsets(name)})
        if step.reset:
            w.reset_connector_offsets(name)
        else:
            w.alter_connector_offsets(name, [dict(o) for o in step.offsets])
        w.bring_to_state(name, step.state)

    def undo(self, step: AlterOffsets, ctx: StepContext) -> None:
        w, name = ctx.io(ConnectWrites), step.name
        outcome = ctx.outcome or {}
        existing, _ = w.get_connector(name)
        if existing is None:  # gone (a connector this run created is deleted by its own undo, after this one)
            return
        offsets = outcome.get("offsets")  # None: never read, so never changed
        if offsets is not None:
            w.bring_to_state(name, ConnectorState.STOPPED)
            w.reset_connector_offsets(name)
            if offsets:
                w.alter_connector_offsets(name, offsets)
        state = outcome.get("state")
        target = ConnectorState.restored(state) if state else step.state
        w.set_connector_state(name, target)
        if state is None or ConnectorState.steady(state):  # a connector that had FAILED may fail again
            w.wait_connector(name, target)
