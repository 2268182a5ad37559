"""Dropping a destroyed PostgreSQL CDC source's replication slot and publication (`on_destroy`), and its pure
builder. The step runs after the connector is deleted (its slot is active while the connector runs), in the
irreversible part of the order (Phase.DROP_CDC_DATABASE_OBJECTS, after the topic deletions): a dropped slot
cannot be brought back (a new one starts at the current WAL position, so a re-created connector snapshots again).

The step holds the password only as its `${secret:...}` reference; it is resolved when the step runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kplan.apply.steps.base import Phase, Planned, StepBase
from kplan.model.cdc_cleanup import POSTGRES_CLASS, slot_and_publication
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.plan.model import Action, Plan, ResourceType


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

    def args_json(self) -> dict[str, Any]:
        return {"connector": self.connector, "host": self.host, "port": self.port, "user": self.user,
                "database": self.database, "password": self.password, "slot": self.slot,
                "publication": self.publication}

    @classmethod
    def from_parts(cls, args, before) -> "DropCdcDatabaseObjects":
        return cls(args["connector"], args["host"], int(args["port"]), args["user"], args["database"],
                   args["password"], args.get("slot"), args.get("publication"))


def build_cdc_cleanup_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """One step per deleted Debezium PostgreSQL connector whose declared source asks for it."""
    declared = {c.name: c for c in stack.connectors}
    out = []
    for change in plan.changes:
        if change.type != ResourceType.CONNECTOR or change.action != Action.DELETE:
            continue
        spec, current = declared.get(change.name), live.connectors.get(change.name)
        opt = spec.on_destroy if spec is not None else None
        if opt is None or current is None or current.config.get("connector.class") != POSTGRES_CLASS:
            continue
        slot, publication = slot_and_publication(current.config)
        out.append(Planned(DropCdcDatabaseObjects(
            change.name, opt.host, opt.port, opt.user, opt.database, opt.password,
            slot if opt.drop_slot else None, publication if opt.drop_publication else None)))
    return out
