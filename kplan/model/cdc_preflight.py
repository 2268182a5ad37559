"""A CDC source's preflight (`preflight: required | warn | off`): before a plan creates or changes its connector,
kplan logs in to the source database with the connector's own settings and checks what Debezium will need
(kplan.kinds.connector.preflight decides, kplan.cluster.cdc_preflight reads). docs/cdc-preflight.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from kplan.model.desired import Origin

MODES = ("required", "warn", "off")


@dataclass(frozen=True)
class CdcPreflight:
    engine: str  # "postgres" | "mysql" (MariaDB and MySQL share the checks)
    mode: str = "required"
    # each captured table (engine form: schema.table / database.table) -> its line in the stack file
    table_origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}))


def engine_family(engine: str) -> str | None:
    """The checks an engine gets: postgres, mysql (MariaDB too), or None (no preflight for it yet)."""
    e = engine.lower()
    if e in ("postgres", "postgresql"):
        return "postgres"
    if e in ("mysql", "mariadb"):
        return "mysql"
    return None
