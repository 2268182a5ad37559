"""What apply does to one connector (`ResourceChange.planned` of the connector kind), beside the kind because its
create/update, restart and delete parts are planned in three modules. Never a config value: a connector's config
may hold secrets, so apply writes the stack's config (references resolved in memory) and journals the live one
masked; the payload says which keys change and what else to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.model.plan import PlannedPayload, ResourceType


@dataclass(frozen=True)
class ConnectorPlanned(PlannedPayload):
    """Create/update: whether the config is written (`config_changed`, the keys that change) and the state set, and
    the newly captured tables an incremental snapshot is asked for; an update may restart its failed instances
    after. Restart: the failed instances to restart.
    Delete: whether the source's `on_destroy` drops its PostgreSQL objects, and which (slot, publication).
    Move: the key of the connector it renames (`moved_from`), whose offsets it takes over."""

    type: ClassVar[ResourceType] = ResourceType.CONNECTOR
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"moved_from": UNSET_OMITTED}

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
