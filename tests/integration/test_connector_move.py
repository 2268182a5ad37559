"""A connector renamed with `moved_from:` (issue 43) on the real stack: its offsets carry over, so a FileStream source
continues where it stopped (not one line read twice) and a Debezium PostgreSQL source keeps its replication slot
(no new snapshot, no change lost while rows are written throughout, counted by an independent consumer); a kill at
any step of the rename, then `recover --rollback` or `--resume`, leaves exactly the connectors, offsets and records
before or after (the conformance kit's kill harness, tests/integration/conformance.py)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import requests
from confluent_kafka.admin import AdminClient
from conformance import CANARY_VAR, Ctx, KillTrial, KindFixture, kill_trials, learn, run_kill
from kplan_helpers import base_stack, consume_events, drop_pg_slot, kplan, topic_ends, wait_for, write_stack

import localstack
from kplan.transport.kafka import dispose

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


def _offsets(connect_url: str, name: str) -> list[dict]:
    r = requests.get(f"{connect_url}/connectors/{name}/offsets", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["offsets"]


def _names(connect_url: str, prefix: str) -> list[str]:
    return sorted(n for n in requests.get(f"{connect_url}/connectors", timeout=30).json() if n.startswith(prefix))


def _records(bootstrap: str, topic: str) -> int:
    return sum(topic_ends(bootstrap, topic).values())


# -- a FileStream source: its file position carries over ------------------------------------------------------------

def _file_stack(stack, prefix: str, source: Path, name: str, moved_from: str | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}]
    connector = {"name": name, "class": SOURCE, "tasks_max": 1,
                 "config": {"file": str(source), "topic": f"{prefix}.t"}}
    if moved_from:
        connector["moved_from"] = moved_from
    doc["connectors"] = [connector]
    return doc


def _read_to_end(stack, name: str, source: Path) -> None:
    """Until Connect's offsets say the source read the whole file (committed after its records were written)."""
    size = source.stat().st_size
    wait_for(lambda: any(o["offset"].get("position") == size for o in _offsets(stack.connect_url, name)),
             timeout=60, what=f"connector {name} to read {source.name} to its end")


def test_a_renamed_source_continues_where_the_old_one_stopped(stack, admin, unique, tmp_path):
    prefix = unique("mv")
    source = tmp_path / "in.txt"
    source.write_text("".join(f"line {i}\n" for i in range(5)))
    v1 = write_stack(tmp_path / "v1.yaml", _file_stack(stack, prefix, source, f"{prefix}-src"))
    assert kplan("apply", str(v1), "--auto-approve").code == 0
    # Connect commits a source's offsets on a timer: stopping flushes them, so read them once stopped too
    _read_to_end(stack, f"{prefix}-src", source)
    assert _records(stack.bootstrap_servers, f"{prefix}.t") == 5

    v2 = write_stack(tmp_path / "v2.yaml", _file_stack(stack, prefix, source, f"{prefix}-src-v2", f"{prefix}-src"))
    plan = kplan("plan", str(v2), "--no-color")
    assert plan.code == 0, plan.text
    assert f"connector.{prefix}-src-v2 will be renamed from connector.{prefix}-src, keeping its position" in plan.out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 1 to rename." in plan.out
    r = kplan("apply", str(v2), "--auto-approve", "--no-color")
    assert r.code == 0, r.text
    for step in ("stop connector", "create connector", "copy connector", "delete connector", "start connector"):
        assert step in r.out, r.out
    assert _names(stack.connect_url, prefix) == [f"{prefix}-src-v2"]
    state = requests.get(f"{stack.connect_url}/connectors/{prefix}-src-v2/status", timeout=30).json()
    assert state["connector"]["state"] == "RUNNING"

    with source.open("a") as f:  # three more lines: only they reach the topic
        f.write("".join(f"line {i}\n" for i in range(5, 8)))
    _read_to_end(stack, f"{prefix}-src-v2", source)
    assert _records(stack.bootstrap_servers, f"{prefix}.t") == 8  # 16 had it started from scratch

    again = kplan("plan", str(v2), "--detailed-exitcode", "--no-color")
    assert again.code == 0 and "No changes" in again.out and "does nothing now" in again.out, again.text
    assert kplan("destroy", str(v2), "--auto-approve").code == 0
    assert _names(stack.connect_url, prefix) == []


# -- a Debezium PostgreSQL source: its slot carries over -----------------------------------------------------------

def _pg_stack(stack, prefix: str, table: str, name: str, **extra) -> dict:
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    connection = {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                  "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE}
    connection.update(extra.pop("connection", {}))
    doc["cdc"] = [{"name": name, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
                   "connection": connection, "snapshot_mode": "initial", "tables": [table], **extra}]
    return doc


class _Writer(threading.Thread):
    """Inserts a row every 100 ms until stopped; the ids it inserted."""

    def __init__(self, table: str):
        super().__init__(daemon=True)
        self.table, self.ids, self.done = table, [], threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.ids.append(int(localstack.psql(f"INSERT INTO {self.table} (n) VALUES (1) RETURNING id").split()[0]))
            time.sleep(0.1)


def test_a_renamed_postgres_source_keeps_its_slot_no_snapshot_no_change_lost(stack, admin, unique, tmp_path):
    prefix = unique("mvpg").replace("-", "_")
    table, old, new = f"{prefix}_rows", f"{prefix}-pg".replace("_", "-"), f"{prefix}-pg2".replace("_", "-")
    slot = old.replace("-", "_")  # the template's names for the old source's slot and publication
    localstack.psql(f"CREATE TABLE {table} (id serial PRIMARY KEY, n int)")
    localstack.psql(f"INSERT INTO {table} (n) SELECT 0 FROM generate_series(1, 5)")
    topic = f"{prefix}.public.{table}"
    writer = _Writer(table)
    try:
        v1 = write_stack(tmp_path / "v1.yaml", _pg_stack(stack, prefix, table, old))
        r = kplan("apply", str(v1), "--auto-approve", env=PG_ENV)
        assert r.code == 0, r.text
        assert len(consume_events(stack.bootstrap_servers, topic, 5, where=lambda e: e["op"] == "r")) == 5
        writer.start()
        wait_for(lambda: len(writer.ids) >= 10, what="rows written beside the connector")

        # renamed without keeping the slot: refused at plan, naming what to keep
        bare = write_stack(tmp_path / "bare.yaml", _pg_stack(stack, prefix, table, new, moved_from=old))
        refused = kplan("plan", str(bare), "--no-color", env=PG_ENV)
        assert refused.code == 1 and f"keep connection.slot_name: {slot}" in refused.text, refused.text

        v2 = write_stack(tmp_path / "v2.yaml", _pg_stack(stack, prefix, table, new, moved_from=old, connection={
            "slot_name": slot, "publication_name": f"{slot}_pub"}))
        plan = kplan("plan", str(v2), "--no-color", env=PG_ENV)
        assert plan.code == 0 and f"replication slot '{slot}'" in plan.out and "carry over" in plan.out, plan.text
        r = kplan("apply", str(v2), "--auto-approve", "--no-color", env=PG_ENV)
        assert r.code == 0, r.text
        assert _names(stack.connect_url, prefix.replace("_", "-")) == [new]
        wait_for(lambda: len(writer.ids) >= 20 + len(writer.ids) // 2, timeout=60, what="more rows after the rename")
    finally:
        writer.done.set()
        writer.join(30)
    try:
        inserted = set(writer.ids)
        events = consume_events(stack.bootstrap_servers, topic, 5 + len(inserted), timeout=120)
        created = [e["after"]["id"] for e in events if e["op"] == "c"]
        missing = sorted(inserted - set(created))
        print(f"rows inserted throughout: {len(inserted)}; create events: {len(created)}; "
              f"duplicates: {len(created) - len(set(created))}; missing: {len(missing)}")
        assert not missing, f"changes lost across the rename: {missing[:20]}"
        snapshots = [e for e in consume_events(stack.bootstrap_servers, topic, 10_000, timeout=10)
                     if e["op"] == "r"]
        assert len(snapshots) == 5  # the first connector's snapshot only: the renamed one took over its slot
        assert int(localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'")) == 1
    finally:
        kplan("destroy", str(tmp_path / "v2.yaml"), "--auto-approve", env=PG_ENV)
        drop_pg_slot(slot, f"{slot}_pub")
        localstack.psql(f"DROP TABLE IF EXISTS {table}")


# -- kills at every step of a rename ----------------------------------------------------------------------------------

def _move_sections(ctx: Ctx, version: int) -> dict:
    """v1: a FileStream source that has read three lines, with a canary secret; v2: the same renamed."""
    p, source = ctx.prefix, ctx.tmp / "in.txt"
    if not source.exists():
        source.write_text("a\nb\nc\n")
    connector = {"name": f"{p}-src" if version == 1 else f"{p}-src-v2", "class": SOURCE, "tasks_max": 1,
                 "config": {"file": str(source), "topic": f"{p}.t",
                            "my.app.password": "${secret:env:" + CANARY_VAR + "}"}}
    if version == 2:
        connector["moved_from"] = f"{p}-src"
    return {"topics": [{"name": f"{p}.t", "partitions": 1, "replication_factor": 1}], "connectors": [connector]}


def _state(ctx: Ctx, name: str) -> str | None:
    r = requests.get(f"{ctx.connect_url}/connectors/{name}/status", timeout=30)
    return r.json().get("connector", {}).get("state") if r.status_code == 200 else "gone"


def _move_read(ctx: Ctx) -> dict:
    """The connectors (config, state, offsets) and the topic's records, read through Connect and Kafka directly.
    Settled: once a source runs, its offsets show the whole file read."""
    out = {}
    size = (ctx.tmp / "in.txt").stat().st_size
    body = requests.get(f"{ctx.connect_url}/connectors?expand=info&expand=status", timeout=30).json()
    for name, c in sorted(body.items()):
        if name.startswith(ctx.prefix):
            state = (c.get("status") or {}).get("connector", {}).get("state")
            if state in (None, "UNASSIGNED", "RESTARTING"):  # for a moment after a write: read again, settled
                return _move_read(ctx) if wait_for(lambda: _state(ctx, name) not in (None, "UNASSIGNED", "RESTARTING"),
                                                   timeout=60, what=f"connector {name} to settle") else {}
            if state == "RUNNING":  # its offsets are committed on the worker's timer, after its records
                wait_for(lambda: any(o["offset"].get("position") == size for o in _offsets(ctx.connect_url, name)),
                         timeout=30, what=f"connector {name}'s offsets to show the whole file read")
            out[name] = {"config": c["info"]["config"], "state": state, "offsets": _offsets(ctx.connect_url, name)}
    topic = f"{ctx.prefix}.t"
    records = _records(ctx.bootstrap, topic) if topic in ctx.admin.list_topics(timeout=20).topics else None
    return {"connectors": out, "records": records}


MOVE = KindFixture(kind="connector-move", section="connectors", sections=_move_sections, read=_move_read,
                   kill_versions=(2,))
# a sample in CI (copying the offsets, deleting the old name, starting the new one); KPLAN_MOVE_KILLS=all: every one
SAMPLE = (KillTrial("connector-move", 2, 3, "middle", "rollback"),
          KillTrial("connector-move", 2, 4, "middle", "resume"),
          KillTrial("connector-move", 2, 5, "start", "rollback"))


@pytest.fixture
def move_ctx(request, stack, unique, tmp_path):
    def make() -> Ctx:
        prefix = unique("kit-move")
        (tmp_path / prefix).mkdir()
        admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
        request.addfinalizer(lambda: dispose(admin))
        cluster = {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s", "connect_url": stack.connect_url}
        return Ctx(prefix, tmp_path / prefix, stack.bootstrap_servers, stack.connect_url, stack.schema_registry_url,
                   admin, cluster, {"bootstrap.servers": stack.bootstrap_servers})
    return make


def test_a_kill_at_any_step_of_a_rename_rolls_back_or_resumes_exactly(move_ctx):
    learned = {2: learn(MOVE, move_ctx(), 2)}
    assert learned[2].steps == 6, learned[2]  # stop, create stopped, copy, delete, start, record
    everything = kill_trials(MOVE, learned)
    trials = everything if os.environ.get("KPLAN_MOVE_KILLS") == "all" else list(SAMPLE)
    outcomes = []
    for trial in trials:
        started = time.monotonic()
        outcome = run_kill(MOVE, move_ctx(), trial, learned[trial.version])
        outcomes.append({**outcome, "seconds": round(time.monotonic() - started, 1)})
    for o in outcomes:
        print(o["trial"], o["verdict"], o["seconds"], "ok" if o["ok"] else o)
    assert all(o["ok"] for o in outcomes), [o for o in outcomes if not o["ok"]]
