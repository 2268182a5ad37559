"""Connector offsets as declared state, on the real stack (Kafka Connect's offsets API, KIP-875): a FileStream
sink's offsets set through plan/apply (Connect's GET shows them and the sink re-reads from there: its output
file), a PostgreSQL CDC source reset (its tables re-snapshotted: op 'r' again), the same token planned as no
change, and both rolled back to the journaled offsets by an injected failure on a later step."""

from __future__ import annotations

import glob
import json
import time
from pathlib import Path

import pytest
import requests
from confluent_kafka import ConsumerGroupTopicPartitions, Producer
from kplan_helpers import (
    base_stack,
    cleanup_pg_source,
    consume_events,
    faulty_kplan,
    kplan,
    topic_ends,
    wait_for,
    write_stack,
)

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


def _offsets(connect_url: str, name: str) -> list[dict]:
    r = requests.get(f"{connect_url}/connectors/{name}/offsets", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["offsets"]


def _state(connect_url: str, name: str) -> str:
    return requests.get(f"{connect_url}/connectors/{name}/status", timeout=30).json()["connector"]["state"]


def _journaled(state_dir: Path) -> dict:
    """The offsets step's journal entry of the last run (its outcome: the offsets it found)."""
    [path] = glob.glob(str(state_dir / "journal" / "*.json"))
    doc = json.loads(Path(path).read_text())
    return next(s for s in doc["steps"] if s["kind"] == "alter-offsets")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _sink_stack(stack, prefix: str, out: Path, offsets: dict | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.in", "partitions": 1, "replication_factor": 1}]
    conn = {"name": f"{prefix}-sink", "class": "FileStreamSink", "tasks_max": 1,
            "config": {"topics": f"{prefix}.in", "file": str(out)}}
    if offsets is not None:
        conn["offsets"] = offsets
    doc["connectors"] = [conn]
    return doc


@pytest.mark.compat
def test_a_filestream_sinks_offsets_are_set_then_rolled_back(stack, admin, prefix, tmp_path):
    out, topic, name = tmp_path / "sink.txt", f"{prefix}.in", f"{prefix}-sink"
    path = write_stack(tmp_path / "sink.yaml", _sink_stack(stack, prefix, out))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    for i in range(10):
        producer.produce(topic, json.dumps(f"line-{i}").encode())  # the worker uses JsonConverter
    producer.flush(30)
    wait_for(lambda: len(_lines(out)) == 10, 60, "the sink to write the 10 records")
    at_end = [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 10}}]
    wait_for(lambda: _offsets(stack.connect_url, name) == at_end, 60, "the sink to commit offset 10")

    write_stack(path, _sink_stack(stack, prefix, out, {"request": "replay-1",
                                                        "set": [{"topic": topic, "partition": 0, "offset": 6}]}))
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"# offsets.{name} will be updated in place (offsets request not applied yet)" in r.out
    assert f'offsets["{topic}/0"] = 10 -> 6  # moved to the declared position' in r.out
    assert 'request            = "replay-1"' in r.out or "request" in r.out and "replay-1" in r.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in r.out
    md = kplan("plan", str(path), "--format", "markdown").out
    assert f"offsets.{name}" in md and "replay-1" in md
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    [change] = [c for c in doc["resource_changes"] if c["type"] == "offsets"]
    assert change["before"]["offsets"] == at_end and change["after"]["offsets"] == [
        {"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 6}}]

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    # the sink re-read from offset 6: records 6..9 written a second time
    wait_for(lambda: len(_lines(out)) == 14, 60, "the sink to re-read from offset 6")
    assert _lines(out)[10:] == [f"line-{i}" for i in range(6, 10)]
    wait_for(lambda: _offsets(stack.connect_url, name) == at_end, 60, "the sink to commit offset 10 again")
    assert _state(stack.connect_url, name) == "RUNNING"
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text  # the same token: applied once

    # a new request whose run fails on a later step (the ownership record): the offsets go back to those journaled
    write_stack(path, _sink_stack(stack, prefix, out, {"request": "replay-2",
                                                        "set": [{"topic": topic, "partition": 0, "offset": 2}]}))
    state = tmp_path / "state"
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2", env={"KPLAN_STATE_DIR": str(state)})
    assert r.code == 1, r.text
    assert "injected failure after step 2" in r.text
    entry = _journaled(state)
    assert entry["outcome"]["offsets"] == at_end and entry["status"] == "undone", entry
    assert _offsets(stack.connect_url, name) == at_end
    assert _state(stack.connect_url, name) == "RUNNING"
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and f"offsets.{name}" in r.out, r.text  # the request is still to be applied


@pytest.mark.compat
def test_a_new_sink_with_offsets_is_created_stopped_and_starts_from_them(stack, admin, prefix, tmp_path):
    out, topic, name = tmp_path / "sink.txt", f"{prefix}.in", f"{prefix}-sink"
    doc = _sink_stack(stack, prefix, out)
    doc["connectors"] = []
    path = write_stack(tmp_path / "sink.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0  # the topic only
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    for i in range(5):
        producer.produce(topic, json.dumps(f"line-{i}").encode())  # the worker uses JsonConverter
    producer.flush(30)
    write_stack(path, _sink_stack(stack, prefix, out, {"request": "start-at-3",
                                                        "set": [{"topic": topic, "partition": 0, "offset": 3}]}))
    r = kplan("plan", str(path))
    assert f"apply creates connector '{name}' stopped" in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"create connector {name} (stopped)" in r.out
    wait_for(lambda: len(_lines(out)) == 2, 60, "the new sink to read from offset 3")
    time.sleep(2)
    assert _lines(out) == ["line-3", "line-4"]  # never read from the start
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


# -- CDC ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def cdc(stack, admin, unique):
    prefix = unique("offs").replace("-", "_")
    source = f"{prefix}-pg".replace("_", "-")
    yield prefix, source
    cleanup_pg_source(admin, stack.connect_url, prefix, source)


def _cdc_stack(stack, prefix, source, offsets=None) -> dict:
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    src = {"name": source, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
           "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                          "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
           "snapshot_mode": "initial", "tables": ["users", "products"]}
    if offsets is not None:
        src["offsets"] = offsets
    doc["cdc"] = [src]
    return doc


def _count(table: str) -> int:
    return int(localstack.psql(f"SELECT count(*) FROM {table}").strip())


def test_a_cdc_source_reset_resnapshots_its_tables_and_is_rolled_back(stack, admin, cdc, tmp_path):
    prefix, source = cdc
    users, products = f"{prefix}.public.users", f"{prefix}.public.products"
    path = write_stack(tmp_path / "cdc.yaml", _cdc_stack(stack, prefix, source))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    consume_events(stack.bootstrap_servers, users, _count("users"))  # the initial snapshot
    wait_for(lambda: _offsets(stack.connect_url, source), 60, "Debezium to commit an offset")

    write_stack(path, _cdc_stack(stack, prefix, source, {"request": "resnapshot-1", "reset": True}))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    assert ("Debezium re-reads (re-snapshots) all 2 captured table(s) from scratch — public.users, public.products"
            in r.out), r.out
    slot = source.replace("-", "_")
    assert f"it keeps its replication slot '{slot}'" in r.out
    assert f"offsets.{source}" in r.out

    ends = {t: topic_ends(stack.bootstrap_servers, t) for t in (users, products)}
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    for table, topic in (("users", users), ("products", products)):
        again = consume_events(stack.bootstrap_servers, topic, _count(table), start=ends[topic])
        assert len(again) == _count(table) and all(e["op"] == "r" for e in again), again[:2]
    assert _state(stack.connect_url, source) == "RUNNING"
    slots = localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    assert slots == "1"
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text

    # the next reset fails on a later step: the offsets Debezium had are put back
    wait_for(lambda: _offsets(stack.connect_url, source), 60, "Debezium to commit an offset")
    write_stack(path, _cdc_stack(stack, prefix, source, {"request": "resnapshot-2", "reset": True}))
    state = tmp_path / "state"
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2",
                     env={**PG_ENV, "KPLAN_STATE_DIR": str(state)})
    assert r.code == 1, r.text
    entry = _journaled(state)
    assert entry["status"] == "undone" and entry["outcome"]["offsets"], entry
    journaled = entry["outcome"]["offsets"]
    # the rollback patched them back (verified by a GET before the source ran again); with no database change
    # since, Debezium has nothing newer to commit: Connect still shows exactly the journaled offsets
    assert _offsets(stack.connect_url, source) == journaled
    assert wait_for(lambda: _state(stack.connect_url, source) == "RUNNING", 60, "the source to run again")
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 2 and f"offsets.{source}" in r.out, r.text


def test_destroying_a_sink_waits_while_a_task_that_has_not_stopped_holds_its_group(stack, admin, prefix, tmp_path):
    """Issue 56, item 5: Connect refuses to reset a sink's offsets (500 "its tasks haven't stopped completely yet ...
    can be safely retried") while a task's consumer is still in the sink's group, and a task that did not leave
    keeps its place for a while (its session timeout if it died). Here the task is stuck for real: it writes to a
    FIFO nobody reads, so it does not stop in time, Connect abandons it (STOPPED, no task) and its consumer stays in
    `connect-<name>`. Destroy must wait, saying for what, beyond the stack's timeout (the fixed window it gave up
    after), and finish once the group empties (the FIFO read: the task ends and leaves)."""
    import fcntl
    import os
    import re
    import struct
    import subprocess
    import sys
    import termios
    import threading

    name, topic, timeout_s = f"{prefix}-sink", f"{prefix}.in", 10
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the sink opens it for writing: never blocked at start
    doc = _sink_stack(stack, prefix, fifo)
    doc["cluster"]["timeout"] = f"{timeout_s}s"
    string = "org.apache.kafka.connect.storage.StringConverter"
    doc["connectors"][0]["config"].update({"key.converter": string, "value.converter": string})
    path = write_stack(tmp_path / "sink.yaml", doc)
    drained = threading.Event()
    draining = threading.Thread(target=lambda: drain(), daemon=True)

    def drain():  # reads the FIFO until every writer closed it (EOF), or the test ends
        while not drained.is_set():
            try:
                if os.read(reader, 1 << 16) == b"":
                    return
            except BlockingIOError:
                time.sleep(0.05)

    try:
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
        for i in range(300):  # 300 KB: more than the pipe holds (64 KiB), so the task blocks writing
            producer.produce(topic, f"{i:06d}".encode() + b"x" * 994)
        producer.flush(30)

        def queued() -> int:
            return struct.unpack("i", fcntl.ioctl(reader, termios.FIONREAD, b"\0" * 4))[0]

        wait_for(lambda: queued() >= 60_000, 60, "the sink's task to fill the FIFO and block")

        proc = subprocess.Popen([sys.executable, "-m", "kplan", "destroy", str(path), "--auto-approve"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)
        err: list[str] = []
        readers = [threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)]
        readers[0].start()
        waiting = (f"connector {name}: Connect cannot reset its offsets yet: its consumer group 'connect-{name}' "
                   "still has 1 member")

        def waited() -> int | None:  # how long kplan says it has waited so far, or None once it exited
            said = [int(m.group(1)) for line in list(err) if waiting in line
                    for m in [re.search(r"\((\d+)s so far", line)] if m]
            return max(said) if said else -1 if proc.poll() is None else None

        # hold the group beyond the stack's timeout, as kplan's own lines show, then let the task end
        wait_for(lambda: waited() is None or waited() > timeout_s, 120, "kplan to wait beyond the stack's timeout")
        draining.start()
        out, _ = proc.communicate(timeout=180)
        readers[0].join(10)
        text = out + "".join(err)
        assert any(waiting in line for line in err), text
        assert proc.returncode == 0, text
        assert "Destroy complete!" in out, text
        assert name not in requests.get(f"{stack.connect_url}/connectors", timeout=30).json()
        group = f"connect-{name}"
        offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
        assert [tp for tp in offsets.topic_partitions if tp.offset >= 0] == [], offsets.topic_partitions
    finally:
        drained.set()
        if draining.is_alive():
            draining.join(5)
        os.close(reader)
