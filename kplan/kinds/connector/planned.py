"""What apply does to one connector (`ResourceChange.planned` of the connector kind), beside the kind because its
create/update, restart and delete parts are planned in three modules. Never a config value: a connector's config
may hold secrets, so apply writes the stack's config (references resolved in memory) and journals the live one
masked; the payload says which keys change and what else to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from kplan.model.plan import PlannedPayload, ResourceType


@dataclass(frozen=True)
class ConnectorPlanned(PlannedPayload):
    """Create/update: whether the config is written (`config_changed`, the keys that change) and the state set, and
    the newly captured tables an incremental snapshot is asked for; an update may restart its failed instances
    after. Restart: the failed instances to restart.
    Delete: whether the source's `on_destroy` drops its PostgreSQL objects, and which (slot, publication).
    Move: the key of the connector it renames (`moved_from`), whose offsets it takes over."""

    type: ClassVar[ResourceType] = ResourceType.CONNECTOR

    config_changed: bool = False
    changed_keys: tuple[str, ...] = ()
    state_changed: bool = False
    snapshot_tables: tuple[str, ...] = ()
    restart_failed: bool = False  # an update: after writing, restart its failed instances (restart_failed)
    restart_connector: bool = False
    restart_tasks: tuple[int, ...] = ()
    drop_database_objects: bool = False
    drop_slot: str | None = None
    drop_publication: str | None = None
    moved_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"config_changed": self.config_changed, "changed_keys": list(self.changed_keys),
                "state_changed": self.state_changed, "snapshot_tables": list(self.snapshot_tables),
                "restart_failed": self.restart_failed,
                "restart_connector": self.restart_connector, "restart_tasks": list(self.restart_tasks),
                "drop_database_objects": self.drop_database_objects, "drop_slot": self.drop_slot,
                "drop_publication": self.drop_publication,
                **({"moved_from": self.moved_from} if self.moved_from else {})}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "ConnectorPlanned":
        return cls(bool(doc.get("config_changed")), tuple(doc.get("changed_keys") or ()),
                   bool(doc.get("state_changed")), tuple(doc.get("snapshot_tables") or ()),
                   bool(doc.get("restart_failed")),
                   bool(doc.get("restart_connector")), tuple(int(t) for t in doc.get("restart_tasks") or ()),
                   bool(doc.get("drop_database_objects")), doc.get("drop_slot"), doc.get("drop_publication"),
                   doc.get("moved_from"))
