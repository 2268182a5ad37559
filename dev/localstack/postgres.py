"""PostgreSQL for the CDC demo: its own cluster (initdb) with `wal_level=logical`, and the seeded `demo` database.

Debian's server binaries (installed on first use when missing and running as root) are run directly: no system
service, no shared cluster. The data directory lives under the stack directory unless the unprivileged `postgres`
user cannot reach it (see common.service_data_dir). psql() talks to it over its unix socket as the superuser; the
password is for TCP clients (Debezium, the tests), which authenticate with scram-sha-256.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from .common import DEV, HOST, LocalStackError, apt_install, say, service_data_dir
from .process import Service

PG_PORT = int(os.environ.get("KPLAN_STACK_PG_PORT", "15432"))
PG_USER = "postgres"
PG_PASSWORD = "kplan-dev"  # the local demo database's password; tests and the demo pass it by env var
PG_DATABASE = "demo"


def _pg_bin() -> Path:
    """Debian's server binaries live under /usr/lib/postgresql/<major>/bin, not on PATH. Installed on first use
    when missing (as root, from Debian's packages)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    if apt_install("postgresql", "PostgreSQL"):
        return _pg_bin()
    raise LocalStackError(
        "PostgreSQL is not installed: install Debian's `postgresql` package (apt-get install postgresql)"
    )


def pg_data() -> Path:
    """Under the stack directory — unless the unprivileged `postgres` user cannot reach it (a checkout under
    /root, say), in which case a directory named after the stack directory under /var/tmp (wiped with it)."""
    return service_data_dir("postgres", "postgres", "pg")


def _as_pg_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the package's `postgres` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_prepare(dist: Path) -> None:
    data = pg_data()
    if (data / "PG_VERSION").exists():
        return
    bin_dir = _pg_bin()
    data.mkdir(parents=True, exist_ok=True)
    pwfile = data.parent / f".{data.name}.pw"
    pwfile.parent.mkdir(parents=True, exist_ok=True)
    pwfile.write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    say(f"initializing PostgreSQL in {data}")
    proc = subprocess.run(
        _as_pg_user([str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={pwfile}",
                     "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"]),
        capture_output=True, text=True,
    )
    pwfile.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise LocalStackError(f"initdb failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# kplan local stack: loopback only, logical decoding for Debezium\n"
            f"listen_addresses = '{HOST}'\nport = {PG_PORT}\nunix_socket_directories = '{data}'\n"
            "wal_level = logical\nmax_wal_senders = 20\nmax_replication_slots = 20\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )


def psql(sql: str, database: str = PG_DATABASE, check: bool = True) -> str:
    """Run SQL on the local PostgreSQL (over its unix socket, as the superuser); returns psql's output."""
    bin_dir = _pg_bin()
    proc = subprocess.run(
        [str(bin_dir / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(pg_data()),
         "-p", str(PG_PORT), "-U", PG_USER, "-d", database, "-c", sql],
        capture_output=True, text=True,
    )
    if check and proc.returncode != 0:
        raise LocalStackError(f"psql failed: {proc.stderr.strip()}")
    return proc.stdout


def _pg_ready() -> bool:
    try:
        return psql("SELECT 1", database="postgres", check=False).strip() == "1"
    except LocalStackError:
        return False


def _pg_seed() -> None:
    """Create the demo database on first use."""
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'", database="postgres").strip() == "1":
        return
    say(f"creating the demo database {PG_DATABASE!r} (users, orders, products, customers, invoices)")
    psql(f"CREATE DATABASE {PG_DATABASE}", database="postgres")
    bin_dir = _pg_bin()
    proc = subprocess.run(
        [str(bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(pg_data()), "-p", str(PG_PORT),
         "-U", PG_USER, "-d", PG_DATABASE, "-f", str(DEV / "conf" / "demo.sql")],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise LocalStackError(f"seeding the demo database failed: {proc.stderr.strip()}")


def postgres_service() -> Service:
    def command(dist: Path) -> list[str]:
        return _as_pg_user([str(_pg_bin() / "postgres"), "-D", str(pg_data())])

    # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for Debezium's replication connection to end).
    return Service("postgres", (PG_PORT,), _pg_ready, command, _pg_prepare, after_start=_pg_seed,
                   stop_signal=signal.SIGINT, marker_text=f"-D {pg_data()}")


def pg_endpoint() -> dict[str, str | int]:
    return {"host": HOST, "port": PG_PORT, "user": PG_USER, "password": PG_PASSWORD, "database": PG_DATABASE}
