"""Running and undoing the steps of a connector rename (kplan.kinds.connector.move_steps). Each run is safe to run
again (`recover --resume` re-runs the step a kill interrupted); each undo leaves the connector as the step found it,
checked by reading it back."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.errors import KplanError
from kplan.kinds.connector.handlers import stop_connector
from kplan.kinds.connector.io import ConnectWrites
from kplan.kinds.connector.move_steps import CopyConnectorOffsets, StartConnector, StopConnector
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.model.desired import ConnectorState


def _exists(ctx: StepContext, name: str) -> bool:
    return ctx.io(ConnectWrites).get_connector(name)[0] is not None


def _stop(ctx: StepContext, name: str) -> None:
    stop_connector(ctx.io(ConnectWrites), name)


def _positions(offsets: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Offsets as comparable values: partition (canonical JSON) -> offset."""
    import json

    return {json.dumps(o.get("partition"), sort_keys=True): o.get("offset") for o in offsets}


@handles(StopConnector)
class StopConnectorHandler(StepHandler[StopConnector]):
    def run(self, step: StopConnector, ctx: StepContext) -> None:
        if not _exists(ctx, step.name):
            raise KplanError(f"connector {step.name} no longer exists: the rename to {step.renamed_to} has nothing "
                             "to carry over; plan again")
        _stop(ctx, step.name)

    def undo(self, step: StopConnector, ctx: StepContext) -> None:
        if not _exists(ctx, step.name):  # the delete's undo re-creates it first; gone means someone else deleted it
            raise KplanError(f"connector {step.name} does not exist: it cannot be put back to "
                             f"{step.previous_state}")
        state = ConnectorState.restored(step.previous_state)
        ctx.io(ConnectWrites).set_connector_state(step.name, state)
        if ConnectorState.steady(step.previous_state):
            ctx.io(ConnectWrites).wait_connector(step.name, state)


@handles(CopyConnectorOffsets)
class CopyConnectorOffsetsHandler(StepHandler[CopyConnectorOffsets]):
    """Both connectors are stopped (the steps before saw to it): Connect changes offsets of a stopped connector only,
    and the source's are final. What the target had is journaled before anything is written."""

    def run(self, step: CopyConnectorOffsets, ctx: StepContext) -> None:
        connect = ctx.io(ConnectWrites)
        offsets = connect.connector_offsets(step.source)
        ctx.outcome = {"target_before": connect.connector_offsets(step.target)}
        ctx.journal_outcome()
        if offsets:
            connect.alter_connector_offsets(step.target, offsets)
        want, got = _positions(offsets), _positions(connect.connector_offsets(step.target))
        wrong = sorted(p for p in want if got.get(p) != want[p])
        if wrong:
            raise KplanError(f"connector {step.target}'s offsets were written, but Connect shows other positions for "
                             f"{len(wrong)} of the {len(want)} partition(s) copied from {step.source}")

    def undo(self, step: CopyConnectorOffsets, ctx: StepContext) -> None:
        connect = ctx.io(ConnectWrites)
        if not _exists(ctx, step.target):
            return  # nothing to take back: the offsets went with it (its create's undo reset them)
        before = (ctx.outcome or {}).get("target_before") or []
        _stop(ctx, step.target)
        connect.reset_connector_offsets(step.target)
        if before:
            connect.alter_connector_offsets(step.target, before)


@handles(StartConnector)
class StartConnectorHandler(StepHandler[StartConnector]):
    def run(self, step: StartConnector, ctx: StepContext) -> None:
        ctx.io(ConnectWrites).set_connector_state(step.name, step.state)
        ctx.io(ConnectWrites).wait_connector(step.name, step.state)

    def undo(self, step: StartConnector, ctx: StepContext) -> None:
        if _exists(ctx, step.name):
            _stop(ctx, step.name)
