"""A CDC source's preflight (`preflight: required | warn | off`): before a plan creates or changes its connector,
kplan logs in to the source database with the connector's own settings and checks what Debezium will need
(kplan.kinds.connector.preflight decides, the kind's io reads). docs/cdc-preflight.md.

Here too what the preflight reads of a database (`PgFacts`, `MyFacts`) and what the checks find (`Finding`): the
facts the I/O reads and the kind judges."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from kplan.model.source import Origin


@dataclass(frozen=True)
class CdcPreflight:
    engine: str  # "postgres" | "mysql" (MariaDB and MySQL share the checks)
    mode: str  # the source's `preflight`, its row's default when it says none
    # each captured table (engine form: schema.table / database.table) -> its line in the stack file
    table_origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}))


# The checks an engine (lower-case) gets: postgres, mysql (MariaDB too); another has no preflight yet.
ENGINE_FAMILIES = {"postgres": "postgres", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}


# -- what a preflight finds, and the facts it reads ----------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    message: str
    code: str
    table: str | None = None
    fatal: bool = True  # an error in `required` mode (a warning otherwise: it fails nothing by itself)


@dataclass(frozen=True)
class PgTable:
    has_pk: bool
    replident: str  # pg_class.relreplident: d(efault: the primary key), n(othing), f(ull), i(ndex)
    owned: bool  # the user owns it (or is a member of its owner's role)
    unique_index: str | None = None  # a unique index on NOT NULL columns, usable as REPLICA IDENTITY USING INDEX


@dataclass(frozen=True)
class PgPublication:
    all_tables: bool
    tables: frozenset[str]  # schema.table
    owned: bool
    publishes_changes: bool = True  # publishes UPDATE or DELETE


@dataclass(frozen=True)
class PgSlot:
    active_pid: int | None


@dataclass
class PgFacts:
    """What kplan read from the source database (the connector kind's io: read_postgres)."""

    user: str
    wal_level: str
    max_slots: int
    used_slots: int
    max_senders: int
    used_senders: int
    superuser: bool
    replication: bool  # REPLICATION attribute, or a managed service's replication role (rds_replication)
    may_create: bool  # CREATE on the database (for CREATE PUBLICATION)
    tables: dict[str, PgTable] = field(default_factory=dict)  # the captured tables that exist
    all_tables: tuple[str, ...] = ()  # every table of the captured tables' schemas (for "did you mean")
    publication: PgPublication | None = None
    slot: PgSlot | None = None


@dataclass
class MyFacts:
    """What kplan read from a MariaDB/MySQL server (the connector kind's io: read_mysql)."""

    user: str
    log_bin: bool
    binlog_format: str
    binlog_row_image: str
    grants: tuple[str, ...]  # SHOW GRANTS FOR CURRENT_USER, as the server printed them
    tables: frozenset[str] = frozenset()  # database.table of every table in the captured tables' databases
