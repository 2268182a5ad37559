"""CDC preflight at plan time: for each CDC source whose connector the plan creates or changes, log in to its
database with the connector's own settings (the password resolved through the session's `SecretValues`, never
printed), read-only and bounded by the stack's timeout, and report what Debezium would fail on (`cdc_findings`: this
module's reads, PostgreSQL's and MariaDB/MySQL's, judged by the connector kind; the connector's validation,
kplan.kinds.connector.io.validation, asks it). Only sources in the plan's changes are contacted: a plan without a CDC
change opens no database connection. The queries are listed in docs/cdc-preflight.md."""

from __future__ import annotations

from typing import Callable, Iterable

from kplan.errors import KplanError
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.preflight import check_mysql, check_postgres
from kplan.model.cdc_cleanup import slot_and_publication
from kplan.model.cdc_preflight import CdcPreflight, Finding, MyFacts, PgFacts, PgPublication, PgSlot, PgTable
from kplan.model.diagnostics import Severity
from kplan.model.plan import PlanDiagnostic
from kplan.secrets import SecretValues


class Unreachable(KplanError):
    """The database did not answer (refused, timed out, unknown host): nothing was checked."""


class LoginRefused(KplanError):
    """The database answered but refused the login (password, user, database, pg_hba)."""


_REFUSED = ("password authentication", "does not exist", "pg_hba.conf", "permission denied", "access denied",
            "authentication failed", "unknown database")


# -- PostgreSQL ------------------------------------------------------------------------------------------------

_PG_SETTINGS = ("SELECT current_user, current_setting('wal_level'), current_setting('max_replication_slots')::int, "
                "(SELECT count(*) FROM pg_replication_slots)::int, current_setting('max_wal_senders')::int, "
                "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender')::int, r.rolsuper, "
                "r.rolreplication OR EXISTS (SELECT 1 FROM pg_roles m WHERE m.rolname = 'rds_replication' "
                "AND pg_has_role(current_user, m.oid, 'MEMBER')), "
                "has_database_privilege(current_database(), 'CREATE') "
                "FROM pg_roles r WHERE r.rolname = current_user")
_PG_TABLES = ("SELECT n.nspname || '.' || c.relname, c.relreplident, "
              "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
              "pg_has_role(current_user, c.relowner, 'MEMBER'), "
              "(SELECT n.nspname || '.' || ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
              " WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL "
              " AND i.indexprs IS NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
              " AND a.attnum = ANY(i.indkey) AND NOT a.attnotnull) ORDER BY ic.relname LIMIT 1) "
              "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
              "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)")
_PG_PUBLICATION = ("SELECT p.puballtables, pg_has_role(current_user, p.pubowner, 'MEMBER'), "
                   "p.pubupdate OR p.pubdelete, "
                   "ARRAY(SELECT schemaname || '.' || tablename FROM pg_publication_tables t "
                   "WHERE t.pubname = p.pubname) FROM pg_publication p WHERE p.pubname = %s")
_PG_SLOT = "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s"


def read_postgres(config: dict, tables: tuple[str, ...], timeout_s: float) -> PgFacts:
    """The facts the PostgreSQL checks need, read in one read-only session (raises Unreachable/LoginRefused)."""
    import psycopg

    host, port = config.get("database.hostname", ""), int(config.get("database.port") or 5432)
    where = f"PostgreSQL {config.get('database.dbname')} at {host}:{port} as {config.get('database.user')}"
    try:
        conn = psycopg.connect(host=host, port=port, user=config.get("database.user"),
                               dbname=config.get("database.dbname"), password=config.get("database.password"),
                               connect_timeout=max(2, int(timeout_s)), autocommit=True,
                               # read-only transactions, each statement bounded by the stack's timeout
                               options="-c default_transaction_read_only=on "
                                       f"-c statement_timeout={int(timeout_s * 1000)}")
    except psycopg.Error as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        if any(w in first.lower() for w in _REFUSED):
            raise LoginRefused(f"{where} refused the login: {first}") from None
        raise Unreachable(f"{where}: {first}") from None
    try:
        with conn:
            row = conn.execute(_PG_SETTINGS).fetchone()
            assert row is not None
            facts = PgFacts(user=row[0], wal_level=row[1], max_slots=row[2], used_slots=row[3], max_senders=row[4],
                            used_senders=row[5], superuser=row[6], replication=row[7], may_create=row[8])
            schemas = sorted({t.split(".", 1)[0] for t in tables})
            found = conn.execute(_PG_TABLES, (schemas,)).fetchall()
            facts.all_tables = tuple(r[0] for r in found)
            facts.tables = {r[0]: PgTable(has_pk=r[2], replident=r[1], owned=r[3], unique_index=r[4])
                            for r in found if r[0] in tables}
            slot_name, publication = slot_and_publication(config)
            pub = conn.execute(_PG_PUBLICATION, (publication,)).fetchone()
            if pub is not None:
                facts.publication = PgPublication(pub[0], frozenset(pub[3]), pub[1], pub[2])
            slot = conn.execute(_PG_SLOT, (slot_name,)).fetchone()
            if slot is not None:
                facts.slot = PgSlot(slot[0])
            return facts
    except psycopg.Error as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise LoginRefused(f"{where}: a preflight query failed: {first}") from None


# -- the plan's sources ----------------------------------------------------------------------------------------

Check = Callable[[CdcPreflight, dict, tuple[str, ...], bool, float], list[Finding]]


def cdc_findings(pf: CdcPreflight, config: dict, tables: tuple[str, ...], creating: bool,
                 timeout_s: float) -> list[Finding]:
    """A CDC source's preflight check: its database read here, judged by the connector kind
    (kplan.kinds.connector.preflight)."""
    if pf.engine == "postgres":  # the slot, publication and autocreate mode the config sets (else Debezium's)
        slot, publication = slot_and_publication(config)
        return check_postgres(read_postgres(config, tables, timeout_s), tables, slot, publication,
                              config.get("publication.autocreate.mode") or "all_tables", creating)
    return check_mysql(read_mysql(config, tables, timeout_s), tables)


def preflight(specs: Iterable[tuple[ConnectorSpec, bool]], secrets: SecretValues, timeout_s: float,
              check: Check = cdc_findings) -> list[PlanDiagnostic]:
    """One diagnostic per finding of each (connector, creating) pair given; `check` reads the database and judges
    what it read."""
    out: list[PlanDiagnostic] = []
    scrub = secrets.scrubber()
    for spec, creating in specs:
        pf = spec.preflight
        if pf is None:
            continue
        name = spec.origin.cdc_source if spec.origin and spec.origin.cdc_source else spec.name
        addr = f"connector.{spec.name}"
        if pf.mode == "off":
            out.append(PlanDiagnostic(Severity.INFO, f'cdc source "{name}": preflight is off: the database is not '
                                      "checked", "cdc-preflight-off", address=addr, origin=spec.origin))
            continue
        soft = pf.mode == "warn"
        try:
            config = {k: secrets.substitute(v) for k, v in spec.config.items()}
        except KplanError:
            continue  # an unresolved secret is reported by the plan itself
        scrub_all = scrub.extended(v for k, v in config.items() if "password" in k)
        try:
            findings = check(pf, config, spec.captured_tables, creating, timeout_s)
        except Unreachable as e:  # each failure a finding of its own (an error unless `warn`)
            findings = [Finding(f"the database is not reachable from here: preflight skipped ({e})" + (
                "" if soft else "; fix the connection, or set preflight: warn where the database cannot be reached "
                "(CI)"), "cdc-preflight-unreachable")]
        except LoginRefused as e:
            findings = [Finding(f"{e}; Debezium would be refused too", "cdc-preflight-login")]
        except Exception as e:  # noqa: BLE001 - a bad setting (a port that is no number) or a driver's surprise
            findings = [Finding(f"preflight could not check the database: {str(e) or type(e).__name__}",
                                "cdc-preflight-failed")]
        for f in findings:
            sev = Severity.ERROR if f.fatal and not soft else Severity.WARNING
            origin = pf.table_origins.get(f.table) if f.table else None
            out.append(PlanDiagnostic(sev, f'cdc source "{name}": {scrub_all(f.message)}', f.code, address=addr,
                                      origin=origin or spec.origin))
    return out


# -- MariaDB/MySQL (PyMySQL): one session, opened the same way for the plan's preflight (`read_mysql`) and
# status's health read (kplan.kinds.connector.io.health): the connector's own host, port, user and resolved password,
# without TLS (the connector's `database.ssl.*` settings are not read), connect, read and write each bounded by the
# stack's timeout. No command-line client is needed (the shipped image has none); PyMySQL's messages never quote
# the password.

_MYSQL_REFUSED = (1044, 1045, 1049, 1698)  # access denied to a database / for the user, unknown database


def where(host: str, port: int, user: str) -> str:
    return f"MariaDB/MySQL at {host}:{port} as {user}"


def error_text(e: Exception) -> str:
    """PyMySQL's message without its error code: `(1045, "Access denied ...")` -> `Access denied ...`."""
    return str(e.args[1]) if len(e.args) > 1 else str(e) or type(e).__name__


def error_code(e: Exception) -> int:
    return e.args[0] if e.args and isinstance(e.args[0], int) else 0


def connect(host: str, port: int, user: str, password: str, timeout_s: float):
    """An open connection (the caller closes it); LoginRefused when the server refused the login, Unreachable when
    it did not answer."""
    import pymysql

    wait = max(2, int(timeout_s))
    try:
        return pymysql.connect(host=host, port=port, user=user, password=password, connect_timeout=wait,
                               read_timeout=wait, write_timeout=wait)
    except pymysql.err.OperationalError as e:
        if error_code(e) in _MYSQL_REFUSED:
            raise LoginRefused(f"{where(host, port, user)} refused the login: {error_text(e)}") from None
        raise Unreachable(f"{where(host, port, user)}: {error_text(e)}") from None
    except pymysql.Error as e:
        raise Unreachable(f"{where(host, port, user)}: {e}") from None


_SETTINGS = "SELECT CURRENT_USER(), @@GLOBAL.log_bin, @@GLOBAL.binlog_format, @@GLOBAL.binlog_row_image"
_TABLES = "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({})"


def read_mysql(config: dict, tables: tuple[str, ...], timeout_s: float) -> MyFacts:
    import pymysql

    host, port = config.get("database.hostname", ""), int(config.get("database.port") or 3306)
    user = config.get("database.user") or ""
    conn = connect(host, port, user, config.get("database.password") or "", timeout_s)
    try:
        with conn.cursor() as cur:
            cur.execute(_SETTINGS)
            row = cur.fetchone()
            assert row is not None
            cur.execute("SHOW GRANTS FOR CURRENT_USER")
            grants = tuple(str(r[0]) for r in cur.fetchall())
            dbs = sorted({t.split(".", 1)[0] for t in tables})
            cur.execute(_TABLES.format(", ".join(["%s"] * len(dbs))), dbs)
            found = frozenset(str(r[0]) for r in cur.fetchall())
        return MyFacts(str(row[0]).split("@", 1)[0], str(row[1]) in ("1", "ON"), str(row[2]), str(row[3]), grants,
                       found)
    except pymysql.Error as e:
        raise LoginRefused(f"{where(host, port, user)}: a preflight query failed: {error_text(e)}") from None
    finally:
        conn.close()
