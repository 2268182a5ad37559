"""The connector kind's declared model: a connector as a stack declares it, or a cdc source or a mirror gives it (the
Stack holds them by section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from kplan.kinds.connector.auto_restart import AutoRestart
from kplan.model.cdc_cleanup import DbCleanup
from kplan.model.cdc_preflight import CdcPreflight
from kplan.model.desired import DEFAULT_CONNECT, ConnectorState, MirrorSpec, connect_and_name, freeze
from kplan.model.offsets import OffsetsSpec
from kplan.model.source import Origin


@dataclass(frozen=True)
class ConnectorSpec:
    name: str  # its key (`connector_key`): the name itself unless it runs on a named Connect cluster
    config: Mapping[str, str]  # includes connector.class and tasks.max, as Connect stores them
    state: ConnectorState = ConnectorState.RUNNING
    restart_on_change: bool = False
    protect: bool = False
    # Keys whose values are secrets: never printed, compared by digest.
    sensitive_keys: frozenset[str] = frozenset()
    # Config keys (globs) whose live value kplan neither diffs nor writes once the connector exists
    # (kplan.rules.ignore): an update writes the live value of each back.
    ignore_changes: tuple[str, ...] = ()
    # Topics this connector needs before it may run (a CDC connector's per-table and schema-history topics).
    requires_topics: tuple[str, ...] = ()
    # CDC: tables whose capture starts with this config and that should get an incremental snapshot when added.
    snapshot_new_tables: bool = False
    # CDC: the data-collection ids (engine's form) this connector captures, to compute newly added tables.
    captured_tables: tuple[str, ...] = ()
    # CDC: the signal channel kplan uses for incremental snapshots (e.g. {"kind": "kafka", "topic": ...}).
    signal: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    origin: Origin | None = None
    config_origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}))
    # CDC: delete the topics of tables removed from the source's table list (otherwise they are left in place).
    prune_tables: bool = False
    # Plan a restart of the connector's FAILED instances (`restart_failed`; kplan.kinds.connector.restart).
    restart_failed: bool = False
    # `auto_restart`: the policy `kplan watch` restarts its FAILED instances by (kplan.kinds.connector.auto_restart)
    auto_restart: AutoRestart | None = None
    # CDC PostgreSQL: drop the replication slot / publication when the connector is destroyed (kplan.model.cdc_cleanup)
    on_destroy: DbCleanup | None = None
    # CDC: what plan checks at the source database before creating or changing it (kplan.model.cdc_preflight)
    preflight: CdcPreflight | None = None
    # Declared offsets (reset or set on an explicit, versioned request; kplan.model.offsets): its own resource's.
    offsets: OffsetsSpec | None = None
    # CDC PostgreSQL: the WAL its replication slot may retain before status calls it unhealthy (slot_health; None:
    # the default, kplan.model.cdc_health.DEFAULT_MAX_RETAINED_WAL)
    max_retained_wal: int | None = None

    # The Connect cluster it runs on (`connect:`; `cluster.connect`'s names): DEFAULT_CONNECT for the single form.
    connect: str = DEFAULT_CONNECT
    # `moved_from:` the key of the connector it renames (same Connect cluster): apply carries that one's offsets
    # over instead of starting from scratch (kplan.kinds.connector.move).
    moved_from: str | None = None
    # `mirrors:` the mirror this MirrorMaker 2 connector is part of (kplan.model.mirror, kplan.stackfile.mirrors).
    mirror: MirrorSpec | None = None

    @property
    def connector_class(self) -> str:
        return self.config.get("connector.class", "")

    @property
    def connect_name(self) -> str:
        """Its name on its Connect cluster (`name` is its key)."""
        return connect_and_name(self.connect, self.name)
