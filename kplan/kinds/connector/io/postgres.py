"""The one module that talks to PostgreSQL (psycopg 3): dropping a destroyed CDC source's replication slot and
publication, and checking that they are gone (`drop_objects`); and, before anything is deleted (at plan time and
again before apply's first step), checking that the drop could be done: the login works and the user may drop them
(`check_drop`).

The slot stays active while the connector's walsender runs, and PostgreSQL refuses to drop an active slot
("replication slot ... is active for PID ..."): the drop waits for the slot to be released once the connector is
deleted, saying by whom it is held, at most PostgreSQL's `wal_sender_timeout` more than the stack's timeout (how
long PostgreSQL keeps a replication client that stopped answering, such as a task that died). Both drops are
idempotent (an absent slot or publication is left so).
The password is used to connect and never appears in a message (psycopg's errors do not quote it).
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator

from kplan.errors import KplanError

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.connector.io import ConnectorWrites


class DatabaseError(KplanError):
    """PostgreSQL could not be reached or refused a drop."""


@contextmanager
def session(host: str, port: int, user: str, database: str, password: str, timeout_s: float, where: str,
            **settings: Any) -> Iterator[Any]:
    """An autocommit connection; a psycopg error, connecting or later, is a DatabaseError naming `where` and the
    error's first line."""
    import psycopg

    try:
        with psycopg.connect(host=host, port=port, user=user, dbname=database, password=password,
                             connect_timeout=max(2, int(timeout_s)), autocommit=True, **settings) as conn:
            yield conn
    except psycopg.Error as e:
        raise DatabaseError(f"{where}: {(str(e).strip().splitlines() or [type(e).__name__])[0]}") from None


def drop_objects(self: "ConnectorWrites", host: str, port: int, user: str, database: str, password: str,
                 slot: str | None, publication: str | None, before_drop: Callable[[], None]) -> None:
    """Drop a PostgreSQL source's replication slot (once inactive) and publication, and check they are gone
    (`ConnectorWrites.drop_cdc_database_objects`); `before_drop()` is called right before the first drop."""
    from psycopg import sql

    where, timeout_s = f"PostgreSQL {database} at {host}:{port}", self.timeout_s
    with session(host, port, user, database, password, timeout_s, where) as conn:
        if slot is not None:
            _until_released(conn, slot, where, timeout_s)
        before_drop()
        if slot is not None:
            conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                         "WHERE slot_name = %s", (slot,))
        if publication is not None:
            conn.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(publication)))
        left = []
        if slot is not None and conn.execute("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s",
                                             (slot,)).fetchone():
            left.append(f"replication slot {slot}")
        if publication is not None and conn.execute("SELECT 1 FROM pg_publication WHERE pubname = %s",
                                                    (publication,)).fetchone():
            left.append(f"publication {publication}")
        if left:
            raise DatabaseError(f"{' and '.join(left)} still exist in {where} after the drop")


# the slot's holder, as pg_stat_replication shows it (its details need superuser or pg_read_all_stats: else NULL)
_HOLDER = ("SELECT s.active_pid, r.application_name, host(r.client_addr), extract(epoch FROM now() - r.reply_time) "
           "FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = %s")
POLL_S = 0.5
EVERY_S = 5.0  # between two progress lines


def _until_released(conn, slot: str, where: str, timeout_s: float) -> None:
    """Until no client holds the slot. The connector's task lets go of it once it has stopped; one that died
    without closing its connection (or any client that stopped answering) holds it until PostgreSQL ends its
    connection, after `wal_sender_timeout` (0: never). So the wait lasts at most that more than the stack's timeout,
    with a line on stderr every EVERY_S naming the holder; a holder still there then is a client that answers."""
    start = next_line = time.monotonic()
    sender_ms = conn.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_sender_timeout'").fetchone()
    sender_s = max(0, int(sender_ms[0]) if sender_ms else 0) / 1000
    while True:
        row = conn.execute(_HOLDER, (slot,)).fetchone()
        if row is None or row[0] is None:
            return
        pid, app, client, age = row
        holder = f"PID {pid}"
        if app is not None:
            holder += (f" ({app!r} from {client or 'a local socket'}"
                       + (f", last answered {float(age):.0f}s ago)" if age is not None else ")"))
        now = time.monotonic()
        if now + POLL_S > start + timeout_s + sender_s:
            raise DatabaseError(
                f"replication slot {slot} in {where} is still in use by {holder} {now - start:.0f}s after its "
                f"connector was deleted, longer than PostgreSQL keeps a client that stopped answering "
                f"(wal_sender_timeout {sender_s:g}s): another client reads it; stop that client (or SELECT "
                f"pg_terminate_backend({pid})) and run again; nothing was dropped")
        if now >= next_line:
            next_line = now + EVERY_S
            sys.stderr.write(
                f"replication slot {slot!r} in {where} is still in use by {holder}; PostgreSQL ends a client that "
                f"stopped answering after its wal_sender_timeout ({sender_s:g}s): waiting ({now - start:.0f}s so far, "
                f"at most {timeout_s + sender_s:.0f}s)\n")
            sys.stderr.flush()
        time.sleep(POLL_S)


def check_drop(host: str, port: int, user: str, database: str, password: str, slot: str | None,
               publication: str | None, timeout_s: float) -> None:
    """Raise `DatabaseError` unless `user` can log in and may drop the slot (superuser or REPLICATION) and the
    publication (a member of its owner's role, or superuser). Reads only. An absent slot or publication needs
    no right (the drop leaves it so)."""
    where = f"PostgreSQL {database} at {host}:{port} as {user}"
    with session(host, port, user, database, password, timeout_s, where) as conn:
        row = conn.execute("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user").fetchone()
        superuser, replication = bool(row and row[0]), bool(row and row[1])
        missing = []
        if slot is not None and not (superuser or replication) and conn.execute(
                "SELECT 1 FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone():
            missing.append(f"may not drop replication slot {slot} (needs the REPLICATION attribute or superuser)")
        if publication is not None and not superuser:
            owner = conn.execute("SELECT pubowner::regrole::text, pg_has_role(current_user, pubowner, 'MEMBER') "
                                 "FROM pg_publication WHERE pubname = %s", (publication,)).fetchone()
            if owner is not None and not owner[1]:
                missing.append(f"may not drop publication {publication} (owned by {owner[0]})")
    if missing:
        raise DatabaseError(f"{where}: " + "; ".join(missing))
