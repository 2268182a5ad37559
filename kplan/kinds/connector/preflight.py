"""What a CDC source's preflight concludes from what the database answered (pure: the facts, kplan.model.cdc_preflight,
are read by the kind's io, kplan.kinds.connector.io.preflight, which puts the two together).
Each finding says what would fail and what to run to fix it; docs/cdc-preflight.md lists them. `table` names the
captured table a finding is about (located at its line), else the source."""

from __future__ import annotations

import re

from kplan.model.cdc_preflight import Finding, MyFacts, PgFacts
from kplan.words import did_you_mean

_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def qualified(table: str) -> str:
    """schema.table as SQL: plain identifiers as written, others quoted."""
    return ".".join(p if _PLAIN.match(p) else '"' + p.replace('"', '""') + '"' for p in table.split(".", 1))


def check_postgres(facts: PgFacts, tables: tuple[str, ...], slot: str, publication: str, mode: str,
                   creating: bool) -> list[Finding]:
    """The findings for one PostgreSQL source. `tables` are the captured tables (schema.table), `mode` its
    publication.autocreate.mode, `creating`: the connector is new (its slot must not be anyone else's)."""
    out: list[Finding] = []
    if facts.wal_level != "logical":
        out.append(Finding(f"wal_level is {facts.wal_level}: Debezium needs logical decoding; set wal_level = "
                           "logical (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)", "cdc-wal-level"))
    if not (facts.superuser or facts.replication):
        out.append(Finding(f"user {facts.user} may not stream changes (it has neither the REPLICATION attribute nor a "
                           f"replication role); run: ALTER ROLE {qualified(facts.user)} WITH REPLICATION; (on a "
                           "managed service: GRANT rds_replication TO the user)", "cdc-replication-right"))
    if facts.slot is None and facts.used_slots >= facts.max_slots:
        out.append(Finding(f"no free replication slot: {facts.used_slots} of max_replication_slots = "
                           f"{facts.max_slots} are used; drop an unused slot (SELECT pg_drop_replication_slot(...)) "
                           "or raise max_replication_slots", "cdc-no-free-slot"))
    if not (facts.slot and facts.slot.active_pid is not None) and facts.used_senders >= facts.max_senders:
        out.append(Finding(f"no free WAL sender: {facts.used_senders} of max_wal_senders = {facts.max_senders} are "
                           "in use; raise max_wal_senders", "cdc-no-free-wal-sender"))
    if creating and facts.slot is not None and facts.slot.active_pid is not None:
        out.append(Finding(f"replication slot {slot} is in use by another client (PID {facts.slot.active_pid}): "
                           "two readers of one slot lose changes; give this source its own connection.slot_name, "
                           "or stop the other client", "cdc-slot-in-use"))
    out += _tables(facts, tables)
    out += _publication(facts, [t for t in tables if t in facts.tables], publication, mode)
    return out


def _tables(facts: PgFacts, tables: tuple[str, ...]) -> list[Finding]:
    out = []
    publishes = facts.publication is None or facts.publication.publishes_changes
    for t in tables:
        info = facts.tables.get(t)
        if info is None:
            out.append(Finding(f"table {t} does not exist in the database{did_you_mean(t, facts.all_tables)}",
                               "cdc-table-missing", t))
            continue
        if not publishes or info.replident == "f" or info.replident == "i" or (info.replident == "d" and info.has_pk):
            continue
        why = "its REPLICA IDENTITY is NOTHING" if info.replident == "n" else "it has no primary key"
        hint = (f" (or, to log only a unique key: ALTER TABLE {qualified(t)} REPLICA IDENTITY USING INDEX "
                f"{qualified(info.unique_index)};)" if info.unique_index else "")
        out.append(Finding(f"table {t}: {why}, so once it is published every UPDATE and DELETE on it fails in the "
                           "application (\"cannot update table ... because it does not have a replica identity and "
                           f"publishes updates\"); run: ALTER TABLE {qualified(t)} REPLICA IDENTITY FULL;{hint}",
                           "cdc-replica-identity", t))
    return out


def _publication(facts: PgFacts, tables: list[str], name: str, mode: str) -> list[Finding]:
    pub = facts.publication
    if pub is not None:
        missing = [] if pub.all_tables else [t for t in tables if t not in pub.tables]
        if not missing:
            return []
        listed = ", ".join(qualified(t) for t in missing)
        if mode != "filtered":
            return [Finding(f"publication {name} does not publish {', '.join(missing)} and publication.autocreate.mode "
                            f"is {mode}, so Debezium will not add it; run: ALTER PUBLICATION {qualified(name)} ADD "
                            f"TABLE {listed};", "cdc-publication-tables", missing[0])]
        if not (facts.superuser or pub.owned):
            return [Finding(f"publication {name} must gain {', '.join(missing)}, but user {facts.user} does not own it "
                            f"(Debezium's ALTER PUBLICATION would fail); run as its owner: ALTER PUBLICATION "
                            f"{qualified(name)} ADD TABLE {listed};", "cdc-publication-owner", missing[0])]
        return _owned(facts, missing, name)
    if mode == "disabled":
        return [Finding(f"publication {name} does not exist and publication.autocreate.mode is disabled; run: "
                        f"CREATE PUBLICATION {qualified(name)} FOR TABLE "
                        f"{', '.join(qualified(t) for t in tables) or '...'};", "cdc-publication-missing")]
    if mode == "all_tables":
        if facts.superuser:
            return []
        return [Finding(f"publication {name} does not exist and publication.autocreate.mode all_tables creates it FOR "
                        f"ALL TABLES, which only a superuser may do; create it as one: CREATE PUBLICATION "
                        f"{qualified(name)} FOR ALL TABLES; (or use publication.autocreate.mode filtered)",
                        "cdc-publication-create")]
    out = []
    if not (facts.superuser or facts.may_create):
        out.append(Finding(f"publication {name} does not exist and user {facts.user} may not create it (needs CREATE "
                           "on the database); run: GRANT CREATE ON DATABASE <database> TO "
                           f"{qualified(facts.user)}; or create it: CREATE PUBLICATION {qualified(name)} FOR TABLE "
                           f"{', '.join(qualified(t) for t in tables)};", "cdc-publication-create"))
    return out + _owned(facts, tables, name)


def _owned(facts: PgFacts, tables: list[str], name: str) -> list[Finding]:
    """Adding a table to a publication needs its ownership."""
    if facts.superuser:
        return []
    return [Finding(f"table {t} is not owned by user {facts.user}, so Debezium cannot add it to publication {name}; "
                    f"add it as the table's owner: ALTER PUBLICATION {qualified(name)} ADD TABLE {qualified(t)}; (and "
                    "set publication.autocreate.mode: disabled) or make the user its owner", "cdc-table-owner", t)
            for t in tables if not facts.tables[t].owned]


# -- MariaDB / MySQL ---------------------------------------------------------------------------------------------

# Debezium's MySQL/MariaDB connectors: global privileges, and those a database-level grant may give
GLOBAL_PRIVILEGES = ("REPLICATION SLAVE", "REPLICATION CLIENT", "RELOAD", "SHOW DATABASES")
TABLE_PRIVILEGES = ("SELECT", "LOCK TABLES")
# MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR (and calls REPLICATION SLAVE also REPLICATION REPLICA)
_ALIASES = {"BINLOG MONITOR": "REPLICATION CLIENT", "REPLICATION REPLICA": "REPLICATION SLAVE"}
_GRANT = re.compile(r"^GRANT (.+?) ON (\S+) TO ", re.IGNORECASE)


def granted(grants: tuple[str, ...]) -> dict[str, set[str]]:
    """Privileges per scope (`*.*`, `demo.*`, `demo.orders`, backticks removed) from SHOW GRANTS' lines."""
    out: dict[str, set[str]] = {}
    for line in grants:
        m = _GRANT.match(line.strip())
        if m is None or m.group(1).upper().startswith("PROXY"):
            continue
        scope = m.group(2).replace("`", "")
        privs = {_ALIASES.get(p.strip().upper(), p.strip().upper()) for p in m.group(1).split(",")}
        if "ALL PRIVILEGES" in privs or "ALL" in privs:
            privs |= {*GLOBAL_PRIVILEGES, *TABLE_PRIVILEGES}
        out.setdefault(scope, set()).update(privs)
    return out


def check_mysql(facts: MyFacts, tables: tuple[str, ...]) -> list[Finding]:
    """The findings for one MariaDB/MySQL source (`tables`: database.table)."""
    out: list[Finding] = []
    if not facts.log_bin:
        out.append(Finding("the binary log is off: Debezium reads changes from it; start the server with log_bin "
                           "(log-bin=binlog in its configuration) and restart it", "cdc-binlog-off"))
    if facts.binlog_format.upper() != "ROW":
        out.append(Finding(f"binlog_format is {facts.binlog_format}: Debezium needs row events; run: SET GLOBAL "
                           "binlog_format = 'ROW'; (and set binlog_format=ROW in the server's configuration)",
                           "cdc-binlog-format"))
    if facts.binlog_row_image.upper() != "FULL":
        out.append(Finding(f"binlog_row_image is {facts.binlog_row_image}: Debezium needs whole rows; run: SET GLOBAL "
                           "binlog_row_image = 'FULL'; (and in the server's configuration)", "cdc-binlog-row-image"))
    scopes = granted(facts.grants)
    on_all = scopes.get("*.*", set())
    missing = [p for p in GLOBAL_PRIVILEGES if p not in on_all]
    dbs = sorted({t.split(".", 1)[0] for t in tables})
    for p in TABLE_PRIVILEGES:
        if p not in on_all and any(p not in scopes.get(f"{db}.*", set()) for db in dbs):
            missing.append(p)
    if missing:
        out.append(Finding(f"user {facts.user} lacks {', '.join(missing)}, which Debezium needs; run: GRANT "
                           f"{', '.join(missing)} ON *.* TO {facts.user};", "cdc-privileges"))
    names = sorted(facts.tables)
    return out + [Finding(f"table {t} does not exist in the database{did_you_mean(t, names)}", "cdc-table-missing", t)
                  for t in tables if t not in facts.tables]
