"""CDC health in `kplan status` on real systems (docs/cdc-health.md): a PostgreSQL source's replication slot (active,
the PID holding it, the WAL it retains, judged against the source's `slot_health.max_retained_wal`) and a MariaDB
source's binlog position against the connector's committed one. Only status reads the database: plan opens no
connection to it (counted at a TCP proxy in front of PostgreSQL)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading

import pytest
from kplan_helpers import base_stack, cleanup, cleanup_pg_source, kplan, wait_for, write_stack

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}
MY_ENV = {"KPLAN_TEST_MARIADB_PASSWORD": localstack.MY_PASSWORD}
# kplan's own interpreter directory only: no `mariadb`/`mysql` client on PATH, as in the shipped image
NO_CLIENT_PATH = os.path.dirname(sys.executable)


class CountingProxy:
    """A TCP proxy to PostgreSQL that counts the connections opened through it."""

    def __init__(self, port: int):
        self.target = (localstack.HOST, port)
        self.server = socket.create_server((localstack.HOST, 0))
        self.port = self.server.getsockname()[1]
        self.count = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.count += 1
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.server.close()


@pytest.fixture
def pg(stack, admin, unique):
    """A unique source over its own table (dropped afterwards with the slot, publication, connector, topics)."""
    prefix = unique("hl").replace("-", "_")
    source = f"{prefix}-pg".replace("_", "-")
    table = f"{prefix}_wal"
    localstack.psql(f"CREATE TABLE {table} (id serial PRIMARY KEY, payload text NOT NULL)")
    proxy = CountingProxy(localstack.PG_PORT)
    yield prefix, source, table, proxy
    cleanup_pg_source(admin, stack.connect_url, prefix, source)
    localstack.psql(f"DROP TABLE IF EXISTS {table}")
    proxy.close()


def _pg_stack(stack, prefix, source, table, port, state="running", **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": source, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
        "connection": {"host": localstack.HOST, "port": port, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "snapshot_mode": "no_data", "tables": [table], "connector": {"state": state}, **extra,
    }]
    return doc


def _health(path, source, env):
    r = kplan("status", str(path), "--format", "json", env=env)
    assert r.code in (0, 2), r.text
    res = {x["address"]: x for x in json.loads(r.out)["resources"]}[f"connector.{source}"]
    return r.code, res


def _slot_row(slot):
    out = localstack.psql(f"SELECT active, active_pid, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint "
                          f"FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    return [part.strip() for part in out.split("|")] if out else None


def _write_wal(table, rows):
    """~2 KB of incompressible text per row (below the TOAST threshold, so it reaches the WAL as written)."""
    localstack.psql(f"INSERT INTO {table} (payload) SELECT (SELECT string_agg(md5(random()::text || i || j), '') "
                    f"FROM generate_series(1, 60) j) FROM generate_series(1, {rows}) i")


def test_status_shows_the_slot_and_its_retained_wal_and_plan_never_connects(stack, pg, tmp_path):
    prefix, source, table, proxy = pg
    slot = source.replace("-", "_")
    path = write_stack(tmp_path / "cdc.yaml", _pg_stack(stack, prefix, source, table, proxy.port,
                                                        slot_health={"max_retained_wal": "1MiB"}))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text

    # the slot is active, held by the connector's walsender, as pg_replication_slots says
    def active():
        row = _slot_row(slot)
        return row if row and row[0] == "t" else None

    row = wait_for(active, timeout=90, what=f"slot {slot} active")
    code, res = _health(path, source, PG_ENV)
    h = res["cdc_health"]
    assert h["engine"] == "postgres" and h["error"] is None
    assert h["slot"]["name"] == slot and h["slot"]["exists"] is True and h["slot"]["active"] is True
    assert h["slot"]["active_pid"] == int(row[1])
    assert h["slot"]["max_retained_wal_bytes"] == 1024**2
    assert isinstance(h["slot"]["retained_wal_bytes"], int) and isinstance(h["slot"]["confirmed_flush_lag_bytes"], int)
    text = kplan("status", str(path), env=PG_ENV)
    assert f"slot {slot} active (pid {row[1]})" in text.out, text.out
    assert localstack.PG_PASSWORD not in text.text

    # plan (no change) opens no connection to the database; status does
    before = proxy.count
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0, r.text
    assert proxy.count == before
    kplan("status", str(path), env=PG_ENV)
    assert proxy.count > before

    # paused as declared: the slot keeps the WAL written meanwhile, past the source's 1 MiB threshold
    write_stack(path, _pg_stack(stack, prefix, source, table, proxy.port, state="paused",
                                slot_health={"max_retained_wal": "1MiB"}))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    wait_for(lambda: _health(path, source, PG_ENV)[1]["state"] == "PAUSED", timeout=60, what="connector PAUSED")
    retained_before = _health(path, source, PG_ENV)[1]["cdc_health"]["slot"]["retained_wal_bytes"]
    _write_wal(table, 8000)  # ~16 MB
    code, res = _health(path, source, PG_ENV)
    h = res["cdc_health"]
    retained = h["slot"]["retained_wal_bytes"]
    assert retained > retained_before + 8 * 1024**2, (retained_before, retained)
    assert int(_slot_row(slot)[2]) >= retained  # what the server says, read after status
    assert code == 2
    assert res["status"] == "not_in_declared_state" and res["in_declared_state"] is True
    assert h["healthy"] is False
    assert [p for p in h["problems"] if "retains" in p and "more than 1.0 MiB" in p], h["problems"]
    text = kplan("status", str(path), env=PG_ENV)
    assert text.code == 2
    assert f"! replication slot {slot} retains" in text.out and "more than 1.0 MiB" in text.out, text.out
    # plan has nothing to do about a slot: no change
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0, r.text

    # with a threshold above what it retains, the same slot is healthy again
    write_stack(path, _pg_stack(stack, prefix, source, table, proxy.port, state="paused",
                                slot_health={"max_retained_wal": "1GiB"}))
    code, res = _health(path, source, PG_ENV)
    assert code == 0 and res["status"] == "in_sync" and res["cdc_health"]["healthy"] is True, res


def test_a_database_status_cannot_log_in_to_is_one_line(stack, pg, tmp_path):
    prefix, source, table, proxy = pg
    path = write_stack(tmp_path / "cdc.yaml", _pg_stack(stack, prefix, source, table, localstack.PG_PORT))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    h = _status_with_a_wrong_password(path, source, {"KPLAN_TEST_PG_PASSWORD": "not-the-password-h28"},
                                      "PostgreSQL not read", "password authentication failed", localstack.PG_PASSWORD)
    assert "slot" not in h


def _status_with_a_wrong_password(path, source, wrong: dict, heading: str, why: str, real_password: str) -> dict:
    """Status with a password the database refuses: one line under the connector, no password shown; its
    `cdc_health` JSON."""
    r = kplan("status", str(path), env=wrong)
    assert r.code == 2, r.text  # the password differs from the connector's: drift; the report is complete
    lines = [line for line in r.out.splitlines() if heading in line]
    assert len(lines) == 1 and why in lines[0], r.out
    assert all(v not in r.text for v in wrong.values() if v.startswith("not-the-password"))
    assert real_password not in r.text
    r = kplan("status", str(path), "--format", "json", env=wrong)
    h = {x["address"]: x for x in json.loads(r.out)["resources"]}[f"connector.{source}"]["cdc_health"]
    assert why in h["error"] and h["problems"] == [], h
    return h


@pytest.fixture
def maria(stack, admin, unique):
    prefix = unique("hm").replace("-", "_")
    source = f"{prefix}-mariadb".replace("_", "-")
    yield prefix, source
    cleanup(admin, stack.connect_url, source)
    localstack.mysql(f"DELETE FROM users WHERE email = '{prefix}@example.com'")
    cleanup(admin, stack.connect_url, prefix)
    cleanup(admin, stack.connect_url, f"schema-changes.{source}")


def _maria_stack(stack, prefix, source):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": source, "engine": "mariadb", "topic_prefix": prefix,
        "connection": {"host": localstack.HOST, "port": localstack.MY_PORT, "user": localstack.MY_USER,
                       "password": "${secret:env:KPLAN_TEST_MARIADB_PASSWORD}", "database": localstack.MY_DATABASE},
        "snapshot_mode": "no_data", "tables": ["users"],
    }]
    return doc


def test_status_shows_the_mariadb_binlog_position_against_the_connectors(stack, maria, tmp_path):
    """Read through PyMySQL: kplan runs here with no mariadb/mysql client on its PATH (the shipped image has none)."""
    prefix, source = maria
    assert shutil.which("mariadb", path=NO_CLIENT_PATH) is None and shutil.which("mysql", path=NO_CLIENT_PATH) is None
    env = {**MY_ENV, "PATH": NO_CLIENT_PATH}
    path = write_stack(tmp_path / "cdc.yaml", _maria_stack(stack, prefix, source))
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    wait_for(lambda: _health(path, source, env)[1]["state"] == "RUNNING", timeout=60, what="connector RUNNING")
    # no offset is committed before the first change event: the connector's side is not known yet
    code, res = _health(path, source, env)
    assert res["cdc_health"]["error"] is None, res["cdc_health"]
    assert res["cdc_health"]["binlog"]["connector_file"] is None and res["cdc_health"]["healthy"] is True
    server = localstack.mysql("SHOW MASTER STATUS").split()  # this MariaDB predates SHOW BINARY LOG STATUS
    assert res["cdc_health"]["binlog"]["server_file"] == server[0]
    assert "connector none committed yet" in kplan("status", str(path), env=env).out
    email = f"{prefix}@example.com"
    localstack.mysql(f"INSERT INTO users (name, email) VALUES ('{prefix}', '{email}')")

    def committed():
        code, res = _health(path, source, env)
        b = res.get("cdc_health", {}).get("binlog") or {}
        return (code, res) if b.get("connector_file") and res["state"] == "RUNNING" else None

    code, res = wait_for(committed, timeout=90, what="the connector's committed binlog position")
    h = res["cdc_health"]
    assert h["engine"] == "mariadb" and h["error"] is None and h["healthy"] is True and code == 0
    server = localstack.mysql("SHOW MASTER STATUS").split()
    b = h["binlog"]
    assert b["server_file"] == server[0] and b["server_position"] <= int(server[1])
    assert b["lag_files"] == 0 and b["lag_bytes"] == b["server_position"] - b["connector_position"] >= 0
    text = kplan("status", str(path), env=env)
    assert f"binlog server {b['server_file']}:" in text.out, text.out
    assert localstack.MY_PASSWORD not in text.text


def test_a_mariadb_status_cannot_log_in_to_is_one_line(stack, maria, tmp_path):
    prefix, source = maria
    path = write_stack(tmp_path / "cdc.yaml", _maria_stack(stack, prefix, source))
    r = kplan("apply", str(path), "--auto-approve", env={**MY_ENV, "PATH": NO_CLIENT_PATH})
    assert r.code == 0, r.text
    h = _status_with_a_wrong_password(path, source, {"KPLAN_TEST_MARIADB_PASSWORD": "not-the-password-h41",
                                                     "PATH": NO_CLIENT_PATH},
                                      "MariaDB not read", "Access denied", localstack.MY_PASSWORD)
    assert h["binlog"]["server_file"] is None
