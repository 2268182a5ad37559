"""CDC preflight on the real PostgreSQL (issue 28 item 1): a plan that creates or changes a CDC source logs in to
its database and refuses what Debezium would fail on, located at the stack file's line; then the fixed source is
applied and its change events arrive."""

from __future__ import annotations

import pytest
from kplan_helpers import base_stack, cleanup_pg_source, consume_events, kplan, write_stack

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


@pytest.fixture
def cdc(stack, admin, unique):
    prefix = unique("pf").replace("-", "_")
    source = f"{prefix}-pg".replace("_", "-")
    yield prefix, source
    cleanup_pg_source(admin, stack.connect_url, prefix, source)


@pytest.fixture
def nopk_table(unique):
    """A table without a primary key, dropped afterwards."""
    name = unique("nopk").replace("-", "_")
    localstack.psql(f"CREATE TABLE public.{name} (id int NOT NULL, note text)")
    localstack.psql(f"INSERT INTO public.{name} VALUES (1, 'first')")
    yield name
    localstack.psql(f"DROP TABLE IF EXISTS public.{name}")


def _stack(stack, prefix, source, tables, user=localstack.PG_USER, port=None, password_env="KPLAN_TEST_PG_PASSWORD",
           **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": source, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
        "connection": {"host": "127.0.0.1", "port": port or localstack.PG_PORT, "user": user,
                       "password": "${secret:env:" + password_env + "}", "database": localstack.PG_DATABASE},
        "snapshot_mode": "initial",
        "tables": tables,
        **extra,
    }]
    return doc


def _line_of(path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_table_without_primary_key_is_refused_then_passes_with_replica_identity_full(stack, cdc, nopk_table,
                                                                                     tmp_path):
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", nopk_table]))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1, r.text
    line = _line_of(path, f"- {nopk_table}")
    fix = f"ALTER TABLE public.{nopk_table} REPLICA IDENTITY FULL;"
    errors = [x for x in r.text.splitlines() if fix in x]
    assert len(errors) == 1, r.text
    assert f"cdc.yaml:{line}" in r.text and "has no primary key" in errors[0], r.text
    assert "users" not in errors[0]  # users has a primary key: no finding of its own
    assert localstack.PG_PASSWORD not in r.text

    localstack.psql(f"ALTER TABLE public.{nopk_table} REPLICA IDENTITY FULL")
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    assert "REPLICA IDENTITY" not in r.text
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    topic = f"{prefix}.public.{nopk_table}"
    assert consume_events(stack.bootstrap_servers, topic, 1, where=lambda e: e["op"] == "r")  # the snapshot
    localstack.psql(f"UPDATE public.{nopk_table} SET note = 'changed' WHERE id = 1")
    updated = consume_events(stack.bootstrap_servers, topic, 1,
                             where=lambda e: e["op"] == "u" and e["after"]["note"] == "changed")
    assert updated and updated[0]["before"]["note"] == "first", updated  # FULL: the old row is in the event


def test_misspelled_table_gets_its_line_and_a_suggestion(stack, cdc, tmp_path):
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", "ordres"]))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1, r.text
    line = _line_of(path, "- ordres")
    hits = [x for x in r.text.splitlines() if "table public.ordres does not exist" in x]
    assert len(hits) == 1 and 'did you mean "public.orders"?' in hits[0], r.text
    assert f"cdc.yaml:{line}" in r.text, r.text

    # preflight: off: not checked, and the plan says so in one line
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", "ordres"], preflight="off"))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    assert "does not exist" not in r.text
    assert [x for x in r.text.splitlines() if "preflight is off" in x] != [], r.text


def test_user_without_replication_right_gets_its_line(stack, cdc, unique, tmp_path):
    prefix, source = cdc
    user = unique("norepl").replace("-", "_")
    localstack.psql(f"CREATE ROLE {user} LOGIN PASSWORD 'norepl-pw'")
    try:
        localstack.psql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}")
        path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users"], user=user,
                                                         password_env="KPLAN_TEST_NOREPL"))
        r = kplan("plan", str(path), env={"KPLAN_TEST_NOREPL": "norepl-pw"})
        assert r.code == 1, r.text
        hits = [x for x in r.text.splitlines() if f"ALTER ROLE {user} WITH REPLICATION;" in x]
        assert len(hits) == 1 and f"user {user} may not stream changes" in hits[0], r.text
        # users is owned by postgres: Debezium could not add it to the publication it creates either
        assert f"table public.users is not owned by user {user}" in r.text, r.text
        assert "norepl-pw" not in r.text

        localstack.psql(f"ALTER ROLE {user} WITH REPLICATION")
        r = kplan("plan", str(path), env={"KPLAN_TEST_NOREPL": "norepl-pw"})
        assert "may not stream changes" not in r.text, r.text
    finally:
        localstack.psql(f"DROP OWNED BY {user}")
        localstack.psql(f"DROP ROLE {user}")


def test_unreachable_database_with_preflight_warn_plans_with_one_warning(stack, cdc, tmp_path):
    prefix, source = cdc
    closed = _free_port()
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users"], port=closed, preflight="warn"))
    r = kplan("plan", str(path), "--format", "json", env=PG_ENV)
    assert r.code == 0, r.text
    import json

    diags = json.loads(r.out)["diagnostics"]  # Connect's own "Connection refused" is folded into this one
    assert [(d["severity"], d["code"]) for d in diags] == [("warning", "cdc-preflight-unreachable")], diags
    assert "the database is not reachable from here: preflight skipped" in diags[0]["message"]

    # the same source with preflight required: refused
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users"], port=closed))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1 and "the database is not reachable from here" in r.text, r.text


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def replica_pg():
    """A second, throwaway PostgreSQL (the launcher's binaries, its own port and data directory) with
    wal_level=replica; trust authentication on loopback. Stopped and removed afterwards."""
    import os
    import shutil
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    from localstack import postgres as pgmod

    bin_dir = pgmod._pg_bin()
    top = Path(tempfile.mkdtemp(prefix="kplan-pg-replica-", dir="/var/tmp"))  # the postgres user must reach it
    top.chmod(0o755)
    data = top / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(pgmod._as_pg_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                      "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(pgmod._as_pg_user([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k",
                                               str(data), "-c", "listen_addresses=127.0.0.1", "-c",
                                               "wal_level=replica", "-c", "fsync=off"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None, "the second PostgreSQL did not start"
            time.sleep(0.3)
        subprocess.run([str(bin_dir / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "-d", "postgres", "-c", "CREATE DATABASE demo"], check=True, capture_output=True)
        subprocess.run([str(bin_dir / "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "-d", "demo", "-c", "CREATE TABLE users (id int PRIMARY KEY)"], check=True,
                       capture_output=True)
        yield port
    finally:
        # runuser does not pass signals on: pg_ctl's fast shutdown stops the server
        subprocess.run(pgmod._as_pg_user([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast"]),
                       capture_output=True)
        proc.wait(timeout=30)
        shutil.rmtree(top, ignore_errors=True)


def test_wal_level_replica_fails_preflight(stack, cdc, replica_pg, tmp_path):
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users"], port=replica_pg))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1, r.text
    hits = [x for x in r.text.splitlines() if "wal_level is replica" in x]
    assert len(hits) == 1 and "ALTER SYSTEM SET wal_level = logical;" in hits[0], r.text
    assert f"cdc.yaml:{_line_of(path, 'name: ' + source)}" in hits[0], r.text


# -- MariaDB -------------------------------------------------------------------------------------------------------

MY_ENV = {"KPLAN_TEST_MARIADB_PASSWORD": localstack.MY_PASSWORD}


def _my_stack(stack, prefix, source, tables, user=localstack.MY_USER, password_env="KPLAN_TEST_MARIADB_PASSWORD"):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": source, "engine": "mariadb", "topic_prefix": prefix,
        "connection": {"host": localstack.HOST, "port": localstack.MY_PORT, "user": user,
                       "password": "${secret:env:" + password_env + "}", "database": localstack.MY_DATABASE},
        "tables": tables,
    }]
    return doc


@pytest.mark.serial  # sets the shared MariaDB's global binlog_format for a moment: never beside the MariaDB CDC tests
def test_mariadb_statement_binlog_fails_preflight_with_its_line(stack, unique, tmp_path):
    prefix = unique("pfm").replace("-", "_")
    path = write_stack(tmp_path / "cdc.yaml", _my_stack(stack, prefix, prefix.replace("_", "-"), ["users"]))
    r = kplan("plan", str(path), env=MY_ENV)
    assert r.code == 0, r.text  # the local server is ready: nothing to report
    localstack.mysql("SET GLOBAL binlog_format = 'STATEMENT'")
    try:
        r = kplan("plan", str(path), env=MY_ENV)
    finally:
        localstack.mysql("SET GLOBAL binlog_format = 'ROW'")
    assert r.code == 1, r.text
    hits = [x for x in r.text.splitlines() if "binlog_format is STATEMENT" in x]
    assert len(hits) == 1 and "SET GLOBAL binlog_format = 'ROW';" in hits[0], r.text
    assert f"cdc.yaml:{_line_of(path, 'name: ' + prefix.replace('_', '-'))}" in hits[0], r.text
    assert localstack.mysql("SELECT @@GLOBAL.binlog_format").strip() == "ROW"


def test_mariadb_user_without_replication_client_fails_preflight_with_its_line(stack, unique, tmp_path):
    prefix = unique("pfm").replace("-", "_")
    user = unique("norc").replace("-", "_")[:32]
    localstack.mysql(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'norc-pw'")
    try:
        localstack.mysql(f"GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE ON *.* TO '{user}'@'%'")
        path = write_stack(tmp_path / "cdc.yaml", _my_stack(stack, prefix, prefix.replace("_", "-"),
                                                            ["users", "ordrs"], user=user, password_env="KPLAN_NORC"))
        r = kplan("plan", str(path), env={"KPLAN_NORC": "norc-pw"})
        assert r.code == 1, r.text
        hits = [x for x in r.text.splitlines() if f"user {user} lacks" in x]
        assert len(hits) == 1 and f"lacks REPLICATION CLIENT, which Debezium needs; run: GRANT REPLICATION CLIENT ON " \
            f"*.* TO {user};" in hits[0], r.text
        missing = [x for x in r.text.splitlines() if "table demo.ordrs does not exist" in x]
        assert len(missing) == 1 and 'did you mean "demo.orders"?' in missing[0], r.text
        assert f"cdc.yaml:{_line_of(path, '- ordrs')}" in missing[0], r.text
        assert "norc-pw" not in r.text and "IDENTIFIED BY" not in r.text
    finally:
        localstack.mysql(f"DROP USER '{user}'@'%'")
