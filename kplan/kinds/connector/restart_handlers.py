"""Running the restart of a connector's failed instances. Its undo does nothing: a restart changes nothing the
stack declares, so there is nothing to put back (see kplan.kinds.connector.restart_steps)."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.connector.io import ConnectWrites
from kplan.kinds.connector.restart_steps import RestartConnector
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(RestartConnector)
class RestartConnectorHandler(StepHandler[RestartConnector]):
    def run(self, step: RestartConnector, ctx: StepContext) -> None:
        w = ctx.io(ConnectWrites)
        if w.get_connector(step.name)[0] is None:
            raise KplanError(f"connector {step.name} no longer exists (deleted meanwhile); run `kplan plan` again")
        w.restart_failed(step.name)

    def undo(self, step: RestartConnector, ctx: StepContext) -> None:
        pass  # nothing declared was changed; the restarted instances are left running (or failed again)
