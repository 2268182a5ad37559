"""The health of a CDC source at its database, as `kplan status` shows it (docs/cdc-health.md): for PostgreSQL the
replication slot (exists, active, the PID holding it, the WAL it keeps on the server's disk and how far its
confirmed flush lags), for MariaDB/MySQL the server's binlog position against the connector's committed one.

An inactive slot keeps every WAL segment since its restart point until the disk fills (the classic Debezium
incident), so a slot that is missing, inactive while its connector should run, or retaining more WAL than the
source's threshold makes the connector's status unhealthy. Pure: the reads are the connector kind's io's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kplan.words import plural

DEFAULT_MAX_RETAINED_WAL = 1024**3  # 1 GiB, unless the source's slot_health.max_retained_wal says otherwise


@dataclass(frozen=True)
class SlotState:
    """One row of `pg_replication_slots` (None fields: the slot does not exist, or the server could not say)."""

    slot: str
    exists: bool
    active: bool = False
    active_pid: int | None = None
    retained_wal: int | None = None  # pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), bytes
    flush_lag: int | None = None  # pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), bytes
    wal_status: str | None = None  # reserved | extended | unreserved | lost (PostgreSQL 13+)


@dataclass(frozen=True)
class BinlogState:
    """The MariaDB/MySQL server's current binlog position and the one the connector last committed (its Connect
    offsets: `file`/`pos`); a lag when both are known."""

    server_file: str | None = None
    server_pos: int | None = None
    connector_file: str | None = None
    connector_pos: int | None = None

    @property
    def lag_files(self) -> int | None:
        """How many binlog files the connector is behind (0: the same file), when both names end in a number."""
        a, b = _file_number(self.server_file), _file_number(self.connector_file)
        return None if a is None or b is None else max(0, a - b)

    @property
    def lag_bytes(self) -> int | None:
        """Bytes behind, computable only within one binlog file."""
        if self.lag_files == 0 and self.server_pos is not None and self.connector_pos is not None:
            return max(0, self.server_pos - self.connector_pos)
        return None


@dataclass(frozen=True)
class CdcHealth:
    """A source's health: `engine` is postgres or mariadb; `error` is the one line saying why the database (or the
    connector's offsets) could not be read (then nothing is judged); `problems` make the connector unhealthy."""

    engine: str
    slot: SlotState | None = None
    binlog: BinlogState | None = None
    max_retained_wal: int | None = None
    error: str = ""
    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems


def slot_problems(slot: SlotState, should_run: bool, max_retained_wal: int) -> tuple[str, ...]:
    """What is wrong with a slot: missing, inactive while its connector should run, or keeping more WAL than the
    threshold (or already lost its WAL)."""
    if not slot.exists:
        return (f"replication slot {slot.slot} does not exist",)
    out = []
    if should_run and not slot.active:
        out.append(f"replication slot {slot.slot} is inactive while its connector should run")
    if slot.retained_wal is not None and slot.retained_wal > max_retained_wal:
        out.append(f"replication slot {slot.slot} retains {size_text(slot.retained_wal)} of WAL, more than "
                   f"{size_text(max_retained_wal)}")
    if slot.wal_status == "lost":
        out.append(f"replication slot {slot.slot} has lost WAL it needs (wal_status lost): the connector cannot "
                   "resume from it")
    return tuple(out)


def assess_slot(slot: SlotState, should_run: bool, max_retained_wal: int | None) -> CdcHealth:
    limit = DEFAULT_MAX_RETAINED_WAL if max_retained_wal is None else max_retained_wal
    return CdcHealth("postgres", slot=slot, max_retained_wal=limit,
                     problems=slot_problems(slot, should_run, limit))


def size_text(n: int) -> str:
    """`1536` -> `1.5 KiB`; bytes below 1 KiB as `512 B`."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def slot_text(s: SlotState, max_retained_wal: int | None) -> str:
    """One line: `slot s1 active (pid 123), retains 12.0 MiB of WAL (max 1.0 GiB), confirmed flush 4.0 KiB behind`."""
    if not s.exists:
        return f"slot {s.slot} missing"
    state = f"active (pid {s.active_pid})" if s.active and s.active_pid else "active" if s.active else "inactive"
    wal = "" if s.retained_wal is None else f", retains {size_text(s.retained_wal)} of WAL" + (
        "" if max_retained_wal is None else f" (max {size_text(max_retained_wal)})")
    flush = "" if s.flush_lag is None else f", confirmed flush {size_text(s.flush_lag)} behind"
    return f"slot {s.slot} {state}{wal}{flush}" + (f", wal_status {s.wal_status}" if s.wal_status else "")


def binlog_text(b: BinlogState) -> str:
    """One line: `binlog server mysql-bin.000003:1234, connector mysql-bin.000003:1000 (234 B behind)`."""
    server = f"{b.server_file}:{b.server_pos}" if b.server_file is not None else "unknown"
    connector = (f"{b.connector_file}:{b.connector_pos}" if b.connector_file is not None
                 else "none committed yet")
    lag = (f" ({size_text(b.lag_bytes)} behind)" if b.lag_bytes is not None else
           f" ({plural(b.lag_files, 'binlog file')} behind)" if b.lag_files else "")
    return f"binlog server {server}, connector {connector}{lag}"


def health_text(h: CdcHealth) -> str:
    """The health line status prints under the connector."""
    if h.error:
        return f"{'PostgreSQL' if h.engine == 'postgres' else 'MariaDB'} not read: {h.error}"
    if h.slot is not None:
        return slot_text(h.slot, h.max_retained_wal)
    return binlog_text(h.binlog) if h.binlog is not None else ""


def health_dict(h: CdcHealth) -> dict[str, Any]:
    """The status JSON's `cdc_health`."""
    out: dict[str, Any] = {"engine": h.engine, "healthy": h.healthy, "problems": list(h.problems),
                           "error": h.error or None}
    if h.slot is not None:
        s = h.slot
        out["slot"] = {"name": s.slot, "exists": s.exists, "active": s.active, "active_pid": s.active_pid,
                       "retained_wal_bytes": s.retained_wal, "confirmed_flush_lag_bytes": s.flush_lag,
                       "wal_status": s.wal_status, "max_retained_wal_bytes": h.max_retained_wal}
    if h.binlog is not None:
        b = h.binlog
        out["binlog"] = {"server_file": b.server_file, "server_position": b.server_pos,
                         "connector_file": b.connector_file, "connector_position": b.connector_pos,
                         "lag_files": b.lag_files, "lag_bytes": b.lag_bytes}
    return out


def _file_number(name: str | None) -> int | None:
    if not name:
        return None
    tail = name.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else None
