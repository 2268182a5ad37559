"""The steps of a connector rename (`moved_from:`, kplan.kinds.connector.move), and their pure builder. In order:

1. stop the old connector (its offsets are final; a PostgreSQL source lets go of its replication slot);
2. create the new one STOPPED (`PutConnector`: it never runs before it has the old one's position);
3. copy the old one's offsets to it (Connect's offsets API: both are stopped);
4. delete the old one (`DeleteConnector`: its offsets are reset; nothing of a PostgreSQL source's slot is dropped);
5. start the new one, once the old one is gone (Phase.START_RENAMED_CONNECTORS).

Each step is undone exactly (in reverse): the new one stopped, the old one re-created stopped with its offsets, the
copied offsets taken back, the new one deleted, the old one in its state again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Mapping

from kplan.errors import KplanError
from kplan.kinds.connector.planned import ConnectorPlanned
from kplan.kinds.connector.steps import ConnectorImage, ConnectorSecrets, DeleteConnector, put_step
from kplan.kinds.planned import planned_of
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import ConnectorState, Stack
from kplan.model.live import LiveState
from kplan.model.plan import Action, Plan, ResourceType
from kplan.secrets import secret_keys


@dataclass(frozen=True)
class StopConnector(StepBase):
    """Stop the connector a rename replaces and wait until Connect says STOPPED. Undo: its previous state back."""

    kind: ClassVar[str] = "stop-connector"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS
    before_keys: ClassVar[Mapping[str, str]] = {"previous_state": "state"}

    name: str
    renamed_to: str
    previous_state: str  # lower-case, as read at plan time (running, paused, stopped)

    def describe(self) -> str:
        return f"stop connector {self.name} (renamed to {self.renamed_to})"

    def renames(self) -> tuple[ResourceType, str, str]:
        return (ResourceType.CONNECTOR, self.name, self.renamed_to)


@dataclass(frozen=True)
class CopyConnectorOffsets(StepBase):
    """Copy a stopped connector's offsets to another stopped one, and check Connect shows them there. Undo: the
    target's offsets back to those it had (none, for a connector this run created)."""

    kind: ClassVar[str] = "copy-connector-offsets"
    phase: ClassVar[Phase] = Phase.PUT_CONNECTORS

    source: str
    target: str

    def describe(self) -> str:
        return f"copy connector {self.source}'s offsets to connector {self.target}"


@dataclass(frozen=True)
class StartConnector(StepBase):
    """Bring a renamed connector to its declared state, once the old one is deleted. Undo: stop it again."""

    kind: ClassVar[str] = "start-connector"
    phase: ClassVar[Phase] = Phase.START_RENAMED_CONNECTORS

    name: str
    state: ConnectorState

    def describe(self) -> str:
        return f"start connector {self.name} ({self.state.value})"


MOVE_STEPS = (StopConnector, CopyConnectorOffsets, StartConnector)


def build_move_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """The five steps of each rename the plan holds, from its change's `ConnectorPlanned.moved_from`. The new
    connector's config is the stack's and the old one's before-image the live connector's (secrets masked in the
    journal, as for any connector step)."""
    declared = {c.name: c for c in stack.of("connectors")}
    connectors = live.of(ResourceType.CONNECTOR).resources
    out: list[Planned] = []
    for change in plan.changes:
        if change.type != ResourceType.CONNECTOR or change.action != Action.MOVE:
            continue
        p = planned_of(change, ConnectorPlanned)
        old, spec, new = connectors.get(p.moved_from or ""), declared[change.name], connectors.get(change.name)
        if old is None:
            raise KplanError(f"the plan renames connector {p.moved_from} to {change.name}, but the live state does "
                             f"not have connector {p.moved_from}")
        image = ConnectorImage.of_live(old)
        secret = secret_keys(image.config, spec.config, declared=spec.sensitive_keys, recorded=old.sensitive_keys)
        stopped = ConnectorImage(image.config, "stopped")  # as the delete finds it: stopped by the first step
        out += [
            Planned(StopConnector(old.name, spec.name, image.state)),
            # created stopped; one a resumed rename's run created already is written and kept stopped
            put_step(replace(spec, state=ConnectorState.STOPPED),
                     ConnectorPlanned(True, p.changed_keys, state_changed=new is not None), new),
            Planned(CopyConnectorOffsets(old.name, spec.name)),
            Planned(DeleteConnector(old.name, stopped.masked(secret)), ConnectorSecrets(previous=stopped)),
            Planned(StartConnector(spec.name, spec.state)),
        ]
    return out
