"""Dropping a destroyed PostgreSQL CDC source's replication slot and publication (`on_destroy`), and its pure
builder. The step runs after the connector is deleted (its slot is active while the connector runs), in the
irreversible part of the order (Phase.DROP_CDC_DATABASE_OBJECTS, after the topic deletions): a dropped slot
cannot be brought back (a new one starts at the current WAL position, so a re-created connector snapshots again).

The step holds the password only as its `${secret:...}` reference; it is resolved when the step runs.
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
class DropCdcDatabaseObjects(StepBase):
    kind: ClassVar[str] = "drop-cdc-database-objects"
    phase: ClassVar[Phase] = Phase.DROP_CDC_DATABASE_OBJECTS
    irreversible: ClassVar[bool] = True

    connector: str
    host: str
    port: int
    user: str
    database: str
    password: str  # a ${secret:...} reference, never the value
    slot: str | None  # None: kept
    publication: str | None  # None: kept

    def describe(self) -> str:
        what = " and ".join(w for w in (self.slot and f"replication slot {self.slot}",
                                        self.publication and f"publication {self.publication}") if w)
        return f"drop {what} of connector {self.connector} (PostgreSQL {self.database} at {self.host}:{self.port})"


def build_cdc_cleanup_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per deleted Debezium PostgreSQL connector whose declared source asks for it (the change's
    `ConnectorPlanned` names the slot and publication). Where to connect is read from the source's `on_destroy` in
    the stack: it holds the database password, which the plan never carries."""
    declared = {c.name: c for c in stack.of("connectors")}
    out = []
    for change in plan.changes:
        if change.type != ResourceType.CONNECTOR or change.action != Action.DELETE:
            continue
        p = planned_of(change, ConnectorPlanned)
        opt = declared[change.name].on_destroy if p.drop_database_objects else None
        if opt is None:
            continue
        out.append(Planned(DropCdcDatabaseObjects(
            change.name, opt.host, opt.port, opt.user, opt.database, opt.password, p.drop_slot, p.drop_publication)))
    return out
