"""Connector states and restarts on the real Connect worker: `state: stopped` ends STOPPED (Connect's own status)
and stays so through a config change; `restart_on_change: true` really restarts the connector and its tasks when
its config changes, seen in Connect's status topic (a restart request is the only thing that writes the state
RESTARTING there), and a connector without it is not restarted."""

from __future__ import annotations

import json

import pytest
import requests
from confluent_kafka import Consumer, TopicPartition
from kplan_helpers import kplan, stack_doc, topic_ends, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def _connector(name, topic, tmp_path, config=None, **settings):
    f = tmp_path / f"{name}.txt"
    f.touch()
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, **settings,
            "config": {"file": str(f), "topic": topic, **(config or {})}}


def _status(connect_url, name) -> dict:
    return requests.get(f"{connect_url}/connectors/{name}/status", timeout=10).json()


def _config(connect_url, name) -> dict:
    return requests.get(f"{connect_url}/connectors/{name}/config", timeout=10).json()


def test_a_stopped_connector_is_created_stopped_and_stays_stopped_through_a_config_change(stack, prefix, tmp_path):
    t, name = f"{prefix}.t", f"{prefix}-src"
    topics = [{"name": t, "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics, [
        _connector(name, t, tmp_path, state="stopped", config={"batch.size": "2000"})]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    status = _status(stack.connect_url, name)
    assert (status["connector"]["state"], status["tasks"]) == ("STOPPED", []), status

    # a config change of a connector declared stopped: written, and the connector stays STOPPED
    write_stack(path, stack_doc(stack, prefix, topics, [
        _connector(name, t, tmp_path, state="stopped", config={"batch.size": "100"})]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"update connector {name} (stopped)" in r.out, r.out
    assert _config(stack.connect_url, name)["batch.size"] == "100"
    status = _status(stack.connect_url, name)
    assert (status["connector"]["state"], status["tasks"]) == ("STOPPED", []), status
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0

    # started, then stopped again by declaration
    for declared, expected in (("running", "RUNNING"), ("stopped", "STOPPED")):
        write_stack(path, stack_doc(stack, prefix, topics, [
            _connector(name, t, tmp_path, state=declared, config={"batch.size": "100"})]))
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        status = _status(stack.connect_url, name)
        assert status["connector"]["state"] == expected, status
        assert [task["state"] for task in status["tasks"]] == ([] if declared == "stopped" else ["RUNNING"]), status
        assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def _status_topic() -> str:
    """The status topic of the running worker, from its own configuration."""
    from localstack import stack_dir

    for line in (stack_dir() / "conf" / "connect.properties").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "status.storage.topic":
            return value.strip()
    raise AssertionError("the worker's connect.properties names no status.storage.topic")


def _states_since(bootstrap: str, topic: str, start: dict[int, int], name: str) -> list[tuple[str, str]]:
    """(key, state) of every status record Connect wrote for connector `name` and its tasks since `start`."""
    keys = {f"status-connector-{name}", f"status-task-{name}-0"}
    end = topic_ends(bootstrap, topic)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kplan-test-status", "enable.auto.commit": False})
    out = []
    try:
        consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
        remaining = {p for p in end if end[p] > start.get(p, 0)}
        while remaining:
            msg = consumer.poll(5.0)
            assert msg is not None, "the status topic could not be read to its end"
            if msg.error():
                continue
            if msg.offset() >= end[msg.partition()] - 1:
                remaining.discard(msg.partition())
            key = (msg.key() or b"").decode()
            if key in keys and msg.value():
                out.append((key, json.loads(msg.value())["state"]))
    finally:
        consumer.close()
    return out


def _restart_signal(bootstrap, topic, start, name, restart: bool) -> list[tuple[str, str]]:
    """The states written since `start`, once they show the connector's task running its new config (and, when a
    restart is expected, the restart)."""
    task = f"status-task-{name}-0"

    def settled():
        states = _states_since(bootstrap, topic, start, name)
        task_states = [state for key, state in states if key == task]
        rerun = "UNASSIGNED" in task_states and task_states[-1] == "RUNNING"  # stopped, then running again
        return states if rerun and (not restart or "RESTARTING" in task_states) else None

    return wait_for(settled, 60, "Connect's status records of the update")


def test_restart_on_change_restarts_the_connector_and_its_tasks_and_only_then(stack, prefix, tmp_path):
    t = f"{prefix}.t"
    restarted, plain = f"{prefix}-restarted", f"{prefix}-plain"
    topics = [{"name": t, "partitions": 1, "replication_factor": 1}]

    def connectors(batch_size: str):
        return [_connector(restarted, t, tmp_path, restart_on_change=True, config={"batch.size": batch_size}),
                _connector(plain, t, tmp_path, config={"batch.size": batch_size})]

    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics, connectors("2000")))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    status_topic = _status_topic()
    start = topic_ends(stack.bootstrap_servers, status_topic)

    write_stack(path, stack_doc(stack, prefix, topics, connectors("100")))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    for name in (restarted, plain):
        assert _config(stack.connect_url, name)["batch.size"] == "100"
        assert _status(stack.connect_url, name)["connector"]["state"] == "RUNNING"

    # the restart request: Connect records the connector and its task as RESTARTING
    states = _restart_signal(stack.bootstrap_servers, status_topic, start, restarted, restart=True)
    assert (f"status-connector-{restarted}", "RESTARTING") in states, states
    assert (f"status-task-{restarted}-0", "RESTARTING") in states, states
    # the same config change without restart_on_change: reconfigured by Connect, never restarted
    states = _restart_signal(stack.bootstrap_servers, status_topic, start, plain, restart=False)
    assert not [s for s in states if s[1] == "RESTARTING"], states
