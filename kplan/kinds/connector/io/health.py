"""Reading the health of a stack's CDC sources at their databases, for `kplan status` only (plan never connects
here): a PostgreSQL source's replication slot from `pg_replication_slots`, a MariaDB/MySQL source's binlog position
(`SHOW BINARY LOG STATUS`, `SHOW MASTER STATUS` before MariaDB 10.5.2 / MySQL 8.2) against the connector's
committed offsets (Connect's offsets API). The queries are listed in docs/cdc-health.md.

Each read connects with the connector's own settings (its `${secret:...}` password resolved through the session's
secrets, never printed), read-only, bounded by a timeout; a database that cannot be read gives one line in the
source's health, never a failure of the whole command. Sources are read concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

from kplan.errors import KplanError
from kplan.kinds.connector.io.postgres import session
from kplan.kinds.connector.model import ConnectorSpec
from kplan.model.cdc_cleanup import POSTGRES_CLASS, slot_and_publication
from kplan.model.cdc_health import BinlogState, CdcHealth, SlotState, assess_slot
from kplan.model.desired import ConnectorState
from kplan.secrets import SecretValues, has_secret_ref
from kplan.transport.connect import connect_offsets

MARIADB_CLASSES = ("io.debezium.connector.mariadb.MariaDbConnector", "io.debezium.connector.mysql.MySqlConnector")

SLOT_QUERY = ("SELECT active, active_pid, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, "
              "pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, wal_status "
              "FROM pg_replication_slots WHERE slot_name = %s")


def health_engine(spec: ConnectorSpec) -> str | None:
    """postgres / mariadb for a CDC source whose health status can read, else None."""
    if spec.origin is None or spec.origin.cdc_source is None:
        return None
    cls = spec.connector_class
    return "postgres" if cls == POSTGRES_CLASS else "mariadb" if cls in MARIADB_CLASSES else None


def status_read(specs: Iterable[ConnectorSpec], secrets: SecretValues, reader, timeout_s: float
                ) -> dict[str, CdcHealth]:
    """`kplan status`'s read of the declared connectors' CDC sources (the connector kind's Runtime's `status_read`):
    connector name -> its source's health, for each CDC source `health_engine` knows; a MariaDB source's committed
    offsets read from Connect through the batched reader's Connect clients."""
    wanted = [(s, e) for s in specs if (e := health_engine(s)) is not None]
    if not wanted:
        return {}
    maria = [s.name for s, e in wanted if e == "mariadb"]
    try:
        committed = connect_offsets(reader.connects.clients, maria) if maria else {}
        offsets_error = ""
    except KplanError as e:
        committed, offsets_error = {}, f"Connect's offsets could not be read: {e}"

    def one(item):
        spec, engine = item
        if engine == "postgres":
            return spec.name, _postgres(spec, secrets, timeout_s)
        if offsets_error:
            return spec.name, CdcHealth("mariadb", error=offsets_error)
        return spec.name, _mariadb(spec, secrets, committed.get(spec.name) or [], timeout_s)

    with ThreadPoolExecutor(max_workers=min(4, len(wanted))) as pool:
        return dict(pool.map(one, wanted))


def _login(spec: ConnectorSpec, secrets: SecretValues) -> tuple[str, int, str, str]:
    """host, port, user, password from the connector's config (KplanError naming the key when one is unusable)."""
    config = spec.config
    host, user = config.get("database.hostname"), config.get("database.user")
    port = str(config.get("database.port") or "")
    password = config.get("database.password") or ""
    if not host or not user or not port.isdigit():
        raise KplanError("the connector config lacks database.hostname, database.port or database.user")
    if has_secret_ref(password):
        password = secrets.substitute(password)  # the error names the reference, never a value
    elif "${" in password:
        raise KplanError("database.password is a Connect config provider reference, which kplan cannot resolve")
    return host, int(port), user, password


def _postgres(spec: ConnectorSpec, secrets: SecretValues, timeout_s: float) -> CdcHealth:
    slot, _ = slot_and_publication(spec.config)
    database = spec.config.get("database.dbname") or ""
    try:
        host, port, user, password = _login(spec, secrets)
        with session(host, port, user, database, password, timeout_s, f"PostgreSQL {database} at {host}:{port}",
                     application_name="kplan-status", options=f"-c statement_timeout={int(timeout_s * 1000)} "
                                                                "-c default_transaction_read_only=on") as conn:
            row = conn.execute(SLOT_QUERY, (slot,)).fetchone()
    except KplanError as e:  # a psycopg error as a DatabaseError (its messages do not quote the password)
        return CdcHealth("postgres", error=str(e))
    state = SlotState(slot, False) if row is None else SlotState(
        slot, True, bool(row[0]), row[1], _int(row[2]), _int(row[3]), row[4])
    return assess_slot(state, spec.state is ConnectorState.RUNNING, spec.max_retained_wal)


def _mariadb(spec: ConnectorSpec, secrets: SecretValues, committed: list[dict], timeout_s: float) -> CdcHealth:
    """The server's binlog position (read through PyMySQL, as the preflight reads) against the connector's
    offsets."""
    file, pos = _committed_position(committed)
    try:
        host, port, user, password = _login(spec, secrets)
        server_file, server_pos = _binlog_status(host, port, user, password, timeout_s)
    except KplanError as e:
        return CdcHealth("mariadb", binlog=BinlogState(connector_file=file, connector_pos=pos), error=str(e))
    return CdcHealth("mariadb", binlog=BinlogState(server_file, server_pos, file, pos))


def _committed_position(offsets: list[dict]) -> tuple[str | None, int | None]:
    """The binlog file and position of the connector's (single) source partition's offset."""
    for o in offsets:
        off = o.get("offset") if isinstance(o, dict) else None
        if isinstance(off, dict) and off.get("file"):
            return str(off["file"]), _int(off.get("pos"))
    return None, None


_PARSE_ERROR = 1064  # ER_PARSE_ERROR: the server predates SHOW BINARY LOG STATUS


def _binlog_status(host: str, port: int, user: str, password: str, timeout_s: float) -> tuple[str, int | None]:
    """`SHOW BINARY LOG STATUS`, or `SHOW MASTER STATUS` on a server that predates it (MariaDB before 10.5.2,
    MySQL before 8.2)."""
    import pymysql

    from kplan.kinds.connector.io.preflight import connect, error_code, error_text, where

    conn = connect(host, port, user, password, timeout_s)
    try:
        with conn.cursor() as cur:
            try:
                cur.execute("SHOW BINARY LOG STATUS")
            except pymysql.err.ProgrammingError as e:
                if error_code(e) != _PARSE_ERROR:
                    raise
                cur.execute("SHOW MASTER STATUS")
            row = cur.fetchone()
    except pymysql.Error as e:
        raise KplanError(f"{where(host, port, user)}: reading the binlog position failed: {error_text(e)}") from None
    finally:
        conn.close()
    if row is None or len(row) < 2 or not row[0]:
        raise KplanError(f"{where(host, port, user)} has no binary log (log_bin is off)")
    return str(row[0]), _int(row[1])


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
