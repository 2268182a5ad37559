"""Saved plans and what moves on its own between `plan -out` and `apply PLANFILE` (issue 56, "the saved plan is
stale", looked for beyond group resets): a running sink commits new offsets, and a connector's failed task comes
back. Neither changes what the plan does, so the saved plan is applied, not refused as no longer matching:

- a connector's offsets request: its positions are the declared ones, and the offsets the plan showed as `before`
  move all the time while the connector runs (they are not compared: kplan.plan.fingerprint.what_changes);
- a connector's config change planned while a task was FAILED (flagged `unhealthy`, which the plan does not act
  on): the task's health is no more staleness than it is in the connector's fingerprint.
"""

from __future__ import annotations

import json
import shutil

import requests
from confluent_kafka import Producer
from kplan_helpers import base_stack, kplan, wait_for, write_stack


def _offsets(connect_url: str, name: str) -> list[dict]:
    r = requests.get(f"{connect_url}/connectors/{name}/offsets", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["offsets"]


def _sink_stack(stack, prefix: str, out, offsets: dict | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.in", "partitions": 1, "replication_factor": 1}]
    conn = {
        "name": f"{prefix}-sink",
        "class": "FileStreamSink",
        "tasks_max": 1,
        "config": {"topics": f"{prefix}.in", "file": str(out)},
    }
    if offsets is not None:
        conn["offsets"] = offsets
    doc["connectors"] = [conn]
    return doc


def _produce(bootstrap: str, topic: str, values: range) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in values:
        producer.produce(topic, json.dumps(f"line-{i}").encode())  # the worker uses JsonConverter
    producer.flush(30)


def _at(topic: str, offset: int) -> list[dict]:
    return [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": offset}}]


def test_a_saved_offsets_request_applies_though_the_running_sink_committed_since(stack, prefix, tmp_path):
    out, topic, name = tmp_path / "sink.txt", f"{prefix}.in", f"{prefix}-sink"
    path = write_stack(tmp_path / "sink.yaml", _sink_stack(stack, prefix, out))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, range(10))
    wait_for(lambda: _offsets(stack.connect_url, name) == _at(topic, 10), 60, "the sink to commit offset 10")
    write_stack(
        path,
        _sink_stack(
            stack, prefix, out, {"request": "replay-1", "set": [{"topic": topic, "partition": 0, "offset": 6}]}
        ),
    )
    planfile = tmp_path / "p.plan"
    r = kplan("plan", str(path), "-out", str(planfile), "--no-color")
    assert r.code == 0 and f'offsets["{topic}/0"] = 10 -> 6  # moved to the declared position' in r.out, r.text
    _produce(stack.bootstrap_servers, topic, range(10, 15))
    wait_for(lambda: _offsets(stack.connect_url, name) == _at(topic, 15), 60, "the sink to commit offset 15")
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 0, r.text
    assert f"set 1 offset(s) of connector {name} (request replay-1) ... done" in r.out, r.out
    # the sink read again from the reviewed offset 6: records 6..14 a second time, then committed 15 again
    wait_for(
        lambda: _offsets(stack.connect_url, name) == _at(topic, 15) and len(out.read_text().splitlines()) == 24,
        60,
        "the sink to re-read from offset 6",
    )
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def _states(connect_url: str, name: str):
    st = requests.get(f"{connect_url}/connectors/{name}/status", timeout=10).json()
    return st["connector"]["state"], [t["state"] for t in st["tasks"]]


def test_a_saved_config_change_applies_though_the_failed_task_came_back(stack, prefix, tmp_path):
    out_dir, name = tmp_path / "out", f"{prefix}-sink"
    out_dir.mkdir()
    path = write_stack(tmp_path / "sink.yaml", _sink_stack(stack, prefix, out_dir / "sink.txt"))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    shutil.rmtree(out_dir)  # the task dies: its directory is gone and the task is restarted
    requests.post(f"{stack.connect_url}/connectors/{name}/tasks/0/restart", timeout=10).raise_for_status()
    wait_for(lambda: _states(stack.connect_url, name) == ("RUNNING", ["FAILED"]), 30, "the task to fail")
    doc = _sink_stack(stack, prefix, out_dir / "sink.txt")
    doc["connectors"][0]["config"]["errors.log.enable"] = "true"
    write_stack(path, doc)
    planfile = tmp_path / "p.plan"
    r = kplan("plan", str(path), "-out", str(planfile), "--no-color")
    assert r.code == 0, r.text
    [line] = [x for x in r.out.splitlines() if "is unhealthy (task 0 FAILED" in x]
    assert "the plan does not restart it" in line, line
    out_dir.mkdir()  # the cause fixed, the task restarted (by hand, or by a worker restart)
    requests.post(f"{stack.connect_url}/connectors/{name}/tasks/0/restart", timeout=10).raise_for_status()
    wait_for(lambda: _states(stack.connect_url, name) == ("RUNNING", ["RUNNING"]), 30, "the task to run again")
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 0, r.text
    config = requests.get(f"{stack.connect_url}/connectors/{name}/config", timeout=10).json()
    assert config.get("errors.log.enable") == "true", config
