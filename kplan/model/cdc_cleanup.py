"""What destroying a PostgreSQL CDC source may also drop in the database (`on_destroy`): its replication slot and
its publication. Debezium creates both and never drops them; a slot left behind keeps its WAL on the server for
ever. MySQL/MariaDB sources keep nothing on the server (they read the binlog), so they have no such option."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

POSTGRES_CLASS = "io.debezium.connector.postgresql.PostgresConnector"
# Debezium's defaults when the connector config names no slot or publication
DEFAULT_SLOT, DEFAULT_PUBLICATION = "debezium", "dbz_publication"


@dataclass(frozen=True)
class DbCleanup:
    """The source's opt-in and how kplan reaches the database (from the source's `connection`). `password` is a
    `${secret:...}` reference, resolved only when the step runs."""

    drop_slot: bool
    drop_publication: bool
    host: str
    port: int
    user: str
    database: str
    password: str


def slot_and_publication(config: Mapping[str, str]) -> tuple[str, str]:
    """The replication slot and publication a Debezium PostgreSQL connector config uses, as it names them."""
    return config.get("slot.name") or DEFAULT_SLOT, config.get("publication.name") or DEFAULT_PUBLICATION


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def drop_sql(slot: str | None, publication: str | None) -> str:
    """The statements an operator runs to drop them by hand (what kplan itself runs: the connector kind's io)."""
    out = []
    if slot:
        out.append(f"SELECT pg_drop_replication_slot({quote_literal(slot)});")
    if publication:
        out.append(f"DROP PUBLICATION {quote_ident(publication)};")
    return " ".join(out)
