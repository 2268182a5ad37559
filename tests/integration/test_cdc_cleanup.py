"""Destroying a PostgreSQL CDC source on the real stack: with `on_destroy` kplan drops the source's replication slot
and publication after deleting its connector (checked in pg_replication_slots / pg_publication); without it, they
stay and destroy prints the exact SQL to drop them, which works when run."""

from __future__ import annotations

import pytest
from kplan_helpers import base_stack, cleanup_pg_source, drop_pg_slot, kplan, wait_for, write_stack

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


def _objects(slot: str, publication: str) -> tuple[bool, bool]:
    s = localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    p = localstack.psql(f"SELECT count(*) FROM pg_publication WHERE pubname = '{publication}'").strip()
    return s == "1", p == "1"


@pytest.fixture
def source(stack, admin, unique):
    prefix = unique("cdcdrop").replace("-", "_")
    name = f"{prefix}-pg".replace("_", "-")
    yield prefix, name
    cleanup_pg_source(admin, stack.connect_url, prefix, name)


def _stack(stack, prefix, name, **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": name, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "tables": ["users"], **extra}]
    return doc


def _created(stack, path, slot, publication):
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    wait_for(lambda: _objects(slot, publication) == (True, True), 60, "Debezium's slot and publication")


@pytest.mark.parametrize("opt_in", [True, False], ids=["on_destroy", "without"])
def test_destroy_drops_the_slot_and_publication_only_when_the_source_says_so(stack, source, tmp_path, opt_in):
    prefix, name = source
    slot, publication = name.replace("-", "_"), name.replace("-", "_") + "_pub"
    extra = {"on_destroy": {"drop_replication_slot": True, "drop_publication": True}} if opt_in else {}
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, name, **extra))
    _created(stack, path, slot, publication)

    r = kplan("plan", str(path), "--destroy", "--format", "markdown", env=PG_ENV)
    assert r.code == 0, r.text
    sql = f"SELECT pg_drop_replication_slot('{slot}'); DROP PUBLICATION \"{publication}\";"
    if opt_in:
        assert f"apply drops its replication slot '{slot}' and publication \"{publication}\"" in r.out, r.out
        assert sql not in r.out
    else:
        assert sql in r.out, r.out

    r = kplan("destroy", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    assert "Destroy complete!" in r.out, r.out
    if opt_in:
        assert (f"drop replication slot {slot} and publication {publication} of connector {name} (PostgreSQL "
                f"{localstack.PG_DATABASE} at 127.0.0.1:{localstack.PG_PORT}) ... done" in r.out), r.out
        assert _objects(slot, publication) == (False, False)
        assert localstack.PG_PASSWORD not in r.text
    else:
        # printed with the plan and again as the last words, and left in place
        assert r.out.count(sql) == 2, r.out
        assert r.out.rstrip().endswith(sql), r.out
        wait_for(lambda: localstack.psql(
            f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'").strip() == "f", 30,
            "the slot to be released")
        assert _objects(slot, publication) == (True, True)
        localstack.psql(sql)  # the printed SQL is exactly what drops them
        assert _objects(slot, publication) == (False, False)


def test_the_drop_waits_while_a_client_that_stopped_answering_holds_the_slot(stack, source, tmp_path):
    """Issue 56, the class of item 5 (a wait that gave up after a fixed window while the system would end it):
    `on_destroy` drops the slot once no client holds it, and gave up after `cluster.timeout` — after the topics
    were deleted, so the rollback was incomplete. A replication client that stopped answering (a task that died
    without closing its connection) holds a slot until PostgreSQL ends it, after its wal_sender_timeout (1 min
    here). Here a real client (pg_recvlogical) reads the slot and is then frozen (SIGSTOP): destroy must wait,
    saying for what, beyond the stack's timeout, and drop the slot once the client is gone (killed)."""
    import os
    import re
    import signal
    import subprocess
    import sys
    import threading

    from localstack.postgres import _pg_bin

    prefix, name = source
    slot, publication, timeout_s = name.replace("-", "_"), name.replace("-", "_") + "_pub", 10
    doc = _stack(stack, prefix, name, on_destroy={"drop_replication_slot": True, "drop_publication": True},
                 connector={"state": "stopped"})  # stopped: Debezium never reads, the test's client does
    doc["cluster"]["timeout"] = f"{timeout_s}s"
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    localstack.psql(f"SELECT pg_create_logical_replication_slot('{slot}', 'test_decoding')")
    holder = subprocess.Popen([str(_pg_bin() / "pg_recvlogical"), "-h", "127.0.0.1", "-p", str(localstack.PG_PORT),
                               "-U", localstack.PG_USER, "-d", localstack.PG_DATABASE, "-S", slot, "--start",
                               "-f", os.devnull], env={**os.environ, "PGPASSWORD": localstack.PG_PASSWORD})
    try:
        wait_for(lambda: localstack.psql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'"
                                         ).strip() == "t", 30, "the client to read the slot")
        holder.send_signal(signal.SIGSTOP)  # it answers no more; PostgreSQL would end it after wal_sender_timeout
        proc = subprocess.Popen([sys.executable, "-m", "kplan", "destroy", str(path), "--auto-approve"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                                env={**os.environ, **PG_ENV, "NO_COLOR": "1"})
        err: list[str] = []
        reader = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
        reader.start()
        waiting = f"replication slot '{slot}' in PostgreSQL {localstack.PG_DATABASE} at 127.0.0.1:{localstack.PG_PORT} "

        def waited() -> int | None:  # how long kplan says it has waited so far, or None once it exited
            said = [int(m.group(1)) for line in list(err) if waiting in line
                    for m in [re.search(r"\((\d+)s so far", line)] if m]
            return max(said) if said else -1 if proc.poll() is None else None

        wait_for(lambda: waited() is None or waited() > timeout_s, 120, "kplan to wait beyond the stack's timeout")
        holder.kill()  # the client gone, its connection closed: the slot is free
        out, _ = proc.communicate(timeout=120)
        reader.join(10)
        text = out + "".join(err)
        line = next((x for x in err if waiting in x), "")
        assert "is still in use by PID " in line and "'pg_recvlogical' from 127.0.0.1" in line, text
        assert "wal_sender_timeout (60s)" in line, text
        assert proc.returncode == 0, text
        assert "Destroy complete!" in out, text
        assert _objects(slot, publication) == (False, False)
    finally:
        holder.kill()
        holder.wait(10)
        drop_pg_slot(slot)
