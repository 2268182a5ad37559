"""The local stack: a real Kafka broker (KRaft combined mode), a real Kafka Connect worker with the Debezium
plugins, PostgreSQL and MariaDB — from Maven Central and Debian's packages, on 127.0.0.1.

No Docker: the jars come from `dev/pom.xml` (the one place versions are pinned) through Maven into
`.stack/dist/`, the databases from Debian's `postgresql` and `mariadb-server` packages, and the processes run from
there. Everything the stack writes (data, logs, pid files, rendered configs) lives under one directory, `.stack/`
by default (`KPLAN_STACK_DIR` overrides it); `KPLAN_STACK_{BROKER,CONTROLLER,CONNECT,PG,MARIADB}_PORT` move its
ports and `KPLAN_STACK_START_TIMEOUT` bounds each service's start.

This package is the API: up(), down(), status(), the endpoints (BOOTSTRAP, CONNECT_URL, PG_*, MY_*) and SQL helpers
(psql, mysql). Its modules, one job each: common (shared basics), process (the Service class), dist (Maven
assembly), kafka (broker and Connect), postgres, mariadb; __main__ is the `dev/stack` command line and
pytest_plugin the `stack` fixture for the tests.
"""

from __future__ import annotations

import os
import shutil

from .common import HOST, ROOT, LocalStackError, say, stack_dir
from .dist import check_maven, dist_current, dist_dir, ensure_dist, pom_digest, pom_versions
from .kafka import (
    BOOTSTRAP,
    BROKER_PORT,
    CONNECT_PORT,
    CONNECT_URL,
    CONTROLLER_PORT,
    MIN_JAVA,
    broker_service,
    check_java,
    connect_service,
    plugins,
)
from .mariadb import (
    MY_DATABASE,
    MY_PASSWORD,
    MY_PORT,
    MY_SERVER_ID,
    MY_USER,
    mariadb_endpoint,
    mariadb_service,
    my_bins,
    my_data,
    mysql,
)
from .postgres import PG_DATABASE, PG_PASSWORD, PG_PORT, PG_USER, pg_data, pg_endpoint, postgres_service, psql
from .process import Service, tail

START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_START_TIMEOUT", "180"))


__all__ = [
    "BOOTSTRAP", "BROKER_PORT", "CONNECT_PORT", "CONNECT_URL", "CONTROLLER_PORT", "HOST", "MIN_JAVA", "MY_DATABASE",
    "MY_PASSWORD", "MY_PORT", "MY_SERVER_ID", "MY_USER", "PG_DATABASE", "PG_PASSWORD", "PG_PORT", "PG_USER", "ROOT",
    "START_TIMEOUT_S", "LocalStackError", "Service", "check_java", "check_maven", "dist_current", "dist_dir",
    "down", "endpoints", "ensure_dist", "logs", "mariadb_endpoint", "my_bins", "mysql", "pg_endpoint", "plugins",
    "pom_digest", "pom_versions", "psql", "services", "stack_dir", "status", "up",
]


def services() -> list[Service]:
    """In start order; stopped in reverse (Connect, then the broker, then MariaDB, then PostgreSQL)."""
    return [postgres_service(), mariadb_service(), broker_service(), connect_service()]


def endpoints() -> dict[str, str]:
    return {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT_URL}


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start what is not running; return True if anything was started. Idempotent on a healthy stack."""
    svcs = services()
    if dist_current() and all(s.pid() is not None and s.ready() and not s.runs_old_dist() for s in svcs):
        say("already running and healthy")
        return False
    check_java()
    dist = ensure_dist()
    started = False
    for i, svc in enumerate(svcs):
        pid = svc.pid()
        if pid is not None and svc.runs_old_dist():
            say(f"{svc.name} (pid {pid}) runs from an older dev/pom.xml; restarting it to load the new plugins")
            for dependent in reversed(svcs[i:]):
                dependent.stop()
            pid = None
        if pid is not None:
            try:
                svc.wait_ready(min(timeout_s, 60.0))
                continue
            except LocalStackError:
                say(f"{svc.name} (pid {pid}) is running but not healthy; restarting it and what depends on it")
                for dependent in reversed(svcs[i:]):
                    dependent.stop()
        elif svc.has_stale_pid_file():
            say(f"{svc.name} was left behind by a crashed run (stale pid file); restarting it cleanly")
            svc.pid_file.unlink(missing_ok=True)
            # what depends on a restarted service is restarted too, so it reconnects cleanly
            for dependent in reversed(svcs[i + 1:]):
                dependent.stop()
        say(f"starting {svc.name} (log: {svc.log_file})")
        svc.start(dist)
        svc.wait_ready(timeout_s)
        svc.after_start()
        started = True
    say(f"ready: bootstrap servers {BOOTSTRAP}, Connect {CONNECT_URL}, PostgreSQL {HOST}:{PG_PORT}/{PG_DATABASE}, "
        f"MariaDB {HOST}:{MY_PORT}/{MY_DATABASE}")
    return started


def down(wipe: bool = False) -> None:
    for svc in reversed(services()):
        svc.stop()
    if wipe:
        shutil.rmtree(pg_data(), ignore_errors=True)
        shutil.rmtree(my_data(), ignore_errors=True)
        for sub in ("data", "logs", "run", "conf"):
            shutil.rmtree(stack_dir() / sub, ignore_errors=True)
        say(f"wiped data and logs under {stack_dir()} (the jars in {dist_dir()} are kept)")
    say("stopped")


def status() -> bool:
    """Print what runs; True when every service is running and healthy."""
    healthy = True
    for svc in services():
        pid = svc.pid()
        if pid is None:
            state = "not running" + (" (stale pid file from a crashed run)" if svc.has_stale_pid_file() else "")
            healthy = False
        elif svc.ready():
            state = f"running (pid {pid}), healthy"
        else:
            state = f"running (pid {pid}), NOT ready"
            healthy = False
        print(f"{svc.name:8} {state}")
    print(f"bootstrap servers: {BOOTSTRAP}")
    print(f"connect url:       {CONNECT_URL}")
    print(f"postgresql:        {HOST}:{PG_PORT} database {PG_DATABASE!r} (user {PG_USER})")
    print(f"mariadb:           {HOST}:{MY_PORT} database {MY_DATABASE!r} (user {MY_USER})")
    print("versions:          " + ", ".join(f"{k} {v}" for k, v in sorted(pom_versions().items())))
    print(f"data and logs:     {stack_dir()}")
    return healthy


def logs(lines: int = 40) -> None:
    for svc in services():
        print(f"==> {svc.log_file} <==")
        print(tail(svc.log_file, lines))
