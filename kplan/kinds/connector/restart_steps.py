"""The restart of a connector's failed instances (`restart_failed`), and its pure builder: one step per `restart`
change in the plan, after the connector writes (Phase.RESTART_CONNECTORS).

Undo: none. A restart changes nothing the stack declares (config, state, offsets stay as they were), so a
rollback has nothing to put back: the journal records the step `undone` with nothing done, and the restarted
instances keep running (or have failed again). It is not `irreversible`: that status means the cluster was
changed for good and a rollback is incomplete, which a restart never makes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kplan.kinds.connector.planned import ConnectorPlanned
from kplan.kinds.planned import planned_of
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Action, Plan, ResourceType


@dataclass(frozen=True)
class RestartConnector(StepBase):
    """`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true`, then wait (at most cluster.timeout)
    until the connector and every task are RUNNING; an instance that fails again fails the step with its error."""

    kind: ClassVar[str] = "restart-connector"
    phase: ClassVar[Phase] = Phase.RESTART_CONNECTORS

    name: str
    connector_failed: bool  # as planned: the connector itself was FAILED
    tasks: tuple[int, ...] = ()  # as planned: the FAILED tasks (Connect restarts whatever is FAILED when it runs)

    def describe(self) -> str:
        what = ["the connector"] if self.connector_failed else []
        if self.tasks:
            what.append(f"task{'s' if len(self.tasks) > 1 else ''} {', '.join(map(str, self.tasks))}")
        return f"restart failed {' and '.join(what) or 'instances'} of connector {self.name}"


def build_restart_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """The failed instances to restart come from each restart change's `ConnectorPlanned`."""
    out = []
    for change in plan.changes:
        if change.type != ResourceType.CONNECTOR or change.action != Action.RESTART:
            continue
        p = planned_of(change, ConnectorPlanned)
        out.append(Planned(RestartConnector(change.name, p.restart_connector, p.restart_tasks)))
    return out
