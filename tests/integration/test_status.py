"""`kplan status` against the real broker and Connect worker: in sync, missing, drifted, FAILED tasks with their
traces (scrubbed of secrets), connectors not in their declared state, unreachable systems."""

from __future__ import annotations

import json

import pytest
import requests
from by_hand import set_topic_configs
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"




def _topic(name, partitions=1, **config):
    return {"name": name, "partitions": partitions, "replication_factor": 1, **({"config": config} if config else {})}


def _source(name, topic, tmp_path):
    f = tmp_path / f"{name}.txt"
    f.touch()
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, "config": {"file": str(f), "topic": topic}}


def _status(connect_url, name):
    r = requests.get(f"{connect_url}/connectors/{name}/status", timeout=10)
    return r.json() if r.status_code == 200 else {}


def _states(connect_url, name):
    body = _status(connect_url, name)
    return (body.get("connector") or {}).get("state"), [t.get("state") for t in body.get("tasks") or []]


def _applied(stack, prefix, tmp_path, topics, connectors=()):
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics, connectors))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    return path


def test_an_applied_stack_is_all_in_sync(stack, admin, prefix, tmp_path):
    t1, t2, conn = f"{prefix}.orders", f"{prefix}.events", f"{prefix}-src"
    path = _applied(stack, prefix, tmp_path, [_topic(t1, 3, **{"retention.ms": "7d"}), _topic(t2)],
                    [_source(conn, t1, tmp_path)])
    wait_for(lambda: _states(stack.connect_url, conn) == ("RUNNING", ["RUNNING"]), what="connector and task running")

    r = kplan("status", str(path))
    assert r.code == 0, r.text
    lines = r.out.splitlines()
    assert lines[0].startswith(f"Status of stack {prefix} on cluster ")
    row = next(line for line in lines if line.startswith(f"  {t1} "))
    assert "in sync" in row and "3 partitions, RF 1" in row and f"{path}:" in row
    row = next(line for line in lines if line.startswith(f"  {conn} "))
    assert "in sync" in row and "RUNNING, 1 task" in row
    assert any(line.startswith("      task 0  RUNNING  worker ") for line in lines)
    assert lines[-1] == "3 resources: 3 in sync; connectors: 1 running"
    assert "\x1b[" not in r.out and r.err == ""

    r = kplan("status", str(path), "--format", "json")
    assert r.code == 0, r.text
    doc = json.loads(r.out)
    assert doc["in_sync"] is True and doc["summary"]["in_sync"] == 3
    c = next(x for x in doc["resources"] if x["address"] == f"connector.{conn}")
    assert c["state"] == "RUNNING" and c["connector_type"] == "source" and c["tasks"][0]["worker_id"]
    assert "config" not in c


def test_a_topic_deleted_out_of_band_is_missing_and_one_changed_is_drifted(stack, admin, prefix, tmp_path):
    keep, gone, changed = f"{prefix}.keep", f"{prefix}.gone", f"{prefix}.changed"
    path = _applied(stack, prefix, tmp_path, [_topic(keep), _topic(gone, 2), _topic(changed, **{"retention.ms": "1d"})])
    assert kplan("status", str(path)).code == 0

    admin.delete_topics([gone])[gone].result(30)
    wait_for(lambda: gone not in admin.list_topics(timeout=10).topics, what="topic deleted")
    set_topic_configs(admin, changed, {"retention.ms": "3600000"})

    r = kplan("status", str(path))
    assert r.code == 2, r.text
    rows = {line.split()[0]: line for line in r.out.splitlines() if line.startswith(f"  {prefix}")}
    assert "missing" in rows[gone] and "declared 2 partitions, RF 1" in rows[gone]
    assert "drifted" in rows[changed] and "in sync" in rows[keep]
    assert 'config["retention.ms"] is 3600000 (1h), declared 86400000 (1d)' in r.out
    assert r.out.splitlines()[-1] == "3 resources: 1 in sync, 1 drifted, 1 missing"
    doc = json.loads(kplan("status", str(path), "--format", "json").out)
    assert {x["name"]: x["status"] for x in doc["resources"]} == {keep: "in_sync", gone: "missing",
                                                                   changed: "drifted"}


def test_an_undeclared_override_plan_leaves_alone_is_reported_without_exit_2(stack, admin, prefix, tmp_path):
    """Issue 26 defect 6: drift kplan will not act on (an override the stack does not declare, not authoritative)
    is shown by plan and status, and neither signals pending changes."""
    t = f"{prefix}.extra"
    path = _applied(stack, prefix, tmp_path, [_topic(t)])
    set_topic_configs(admin, t, {"cleanup.policy": "compact"})
    plan = kplan("plan", str(path), "--detailed-exitcode")
    status = kplan("status", str(path))
    assert "No changes." in plan.out and 'config["cleanup.policy"]' in plan.out, plan.text
    assert 'config["cleanup.policy"] is compact on the cluster, not declared' in status.out, status.text
    assert (plan.code, status.code) == (0, 0), (plan.text, status.text)


def test_a_failed_task_shows_its_trace_without_secrets(stack, admin, prefix, tmp_path):
    t, sink = f"{prefix}.in", f"{prefix}-sink"
    _applied(stack, prefix, tmp_path, [_topic(t)])
    # a sink whose file is in a directory that does not exist: Connect accepts it and its task FAILS at start.
    # Created directly through Connect (an apply would roll it back); the file path is passed as a kplan secret
    # so that the trace, which names the file, must come out scrubbed.
    secret_path = str(tmp_path / "no" / "such" / f"dir-{prefix}" / "out.txt")
    cfg = {"connector.class": FILE_SINK, "tasks.max": "1", "topics": t, "file": secret_path}
    r = requests.put(f"{stack.connect_url}/connectors/{sink}/config", json=cfg, timeout=30)
    assert r.status_code == 201, r.text
    wait_for(lambda: _states(stack.connect_url, sink) == ("RUNNING", ["FAILED"]), what="the sink's task FAILED")
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [_topic(t)], [
        {"name": sink, "class": FILE_SINK, "tasks_max": 1,
         "config": {"topics": t, "file": "${secret:env:KPLAN_TEST_SINK_FILE}"}}]))
    env = {"KPLAN_TEST_SINK_FILE": secret_path}

    r = kplan("status", str(path), env=env)
    assert r.code == 2, r.text
    lines = r.out.splitlines()
    row = next(line for line in lines if line.startswith(f"  {sink} "))
    assert "not in declared state" in row and "RUNNING, task 0 FAILED" in row
    i = next(i for i, line in enumerate(lines) if line.startswith("      task 0  FAILED  worker "))
    trace = lines[i + 1:i + 4]  # the root cause (naming the file: scrubbed), the top exception, the rest counted
    assert trace[0] == "        Caused by: java.nio.file.NoSuchFileException: (sensitive)", r.out
    assert trace[1].startswith("        org.apache.kafka.connect.errors.ConnectException: Couldn't find or create")
    assert trace[2].startswith("        ... (") and trace[2].endswith(" more lines)"), r.out
    assert lines[-1] == "2 resources: 1 in sync, 1 not in declared state; connectors: 1 FAILED"
    # the connector is declared as it is: not drift, and not yet owned by the stack (it was created by hand)
    assert "drifted" not in r.out and "not yet recorded as owned" in r.out

    j = kplan("status", str(path), "--format", "json", env=env)
    assert j.code == 2
    task = next(x for x in json.loads(j.out)["resources"] if x["name"] == sink)["tasks"][0]
    assert task["state"] == "FAILED" and not task["in_declared_state"] and len(task["trace"]["lines"]) == 2
    assert task["trace"]["more_lines"] > 0
    for out in (r.text, j.text):
        assert secret_path not in out and f"dir-{prefix}" not in out


def test_a_failed_task_shows_its_root_cause_first(stack, admin, prefix, tmp_path):
    """Issue 56, item 9: a sink whose JsonConverter meets a record that is not JSON (errors.tolerance none) FAILS
    with Connect's "Tolerance exceeded in error handler" on top and the converter's parse error as the last
    `Caused by:`. Status shows that root cause first, then the top exception; plan's warning names it too."""
    from confluent_kafka import Producer

    t, sink = f"{prefix}.in", f"{prefix}-sink"
    _applied(stack, prefix, tmp_path, [_topic(t)])
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    producer.produce(t, value=b"not json at all")
    assert producer.flush(30) == 0
    config = {"topics": t, "file": str(tmp_path / "out.txt"), "errors.tolerance": "none",
              "value.converter": "org.apache.kafka.connect.json.JsonConverter",
              "value.converter.schemas.enable": "false"}
    r = requests.put(f"{stack.connect_url}/connectors/{sink}/config",
                     json={"connector.class": FILE_SINK, "tasks.max": "1", **config}, timeout=30)
    assert r.status_code == 201, r.text
    wait_for(lambda: _states(stack.connect_url, sink) == ("RUNNING", ["FAILED"]), what="the sink's task FAILED")
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [_topic(t)], [
        {"name": sink, "class": FILE_SINK, "tasks_max": 1, "config": config}]))
    root = "com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'not'"
    top = "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"

    r = kplan("status", str(path))
    assert r.code == 2, r.text
    lines = r.out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("      task 0  FAILED  worker "))
    assert lines[i + 1].startswith(f"        Caused by: {root}"), r.out
    shown = lines[i + 2:i + 4]  # the root cause's message may go on for a line ("at [Source: ...; line: 1]")
    assert f"        {top}" in shown, r.out
    j = kplan("status", str(path), "--format", "json")
    task = next(x for x in json.loads(j.out)["resources"] if x["name"] == sink)["tasks"][0]
    assert task["trace"]["lines"][0].startswith(f"Caused by: {root}") and top in task["trace"]["lines"], j.out

    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert f"connector {sink!r} is unhealthy (task 0 FAILED: {root}" in r.out, r.out
    assert f"(root cause of {top})" in r.out, r.out


def test_a_paused_connector_declared_running_is_not_in_its_declared_state(stack, admin, prefix, tmp_path):
    t, conn = f"{prefix}.t", f"{prefix}-src"
    path = _applied(stack, prefix, tmp_path, [_topic(t)], [_source(conn, t, tmp_path)])
    wait_for(lambda: _states(stack.connect_url, conn) == ("RUNNING", ["RUNNING"]), what="connector running")
    assert kplan("status", str(path)).code == 0

    assert requests.put(f"{stack.connect_url}/connectors/{conn}/pause", timeout=30).status_code == 202
    wait_for(lambda: _states(stack.connect_url, conn) == ("PAUSED", ["PAUSED"]), what="connector paused")
    r = kplan("status", str(path))
    assert r.code == 2, r.text
    row = next(line for line in r.out.splitlines() if line.startswith(f"  {conn} "))
    assert "not in declared state" in row and "PAUSED, declared running" in row
    assert "      task 0  PAUSED  worker " in r.out
    assert r.out.splitlines()[-1] == "2 resources: 1 in sync, 1 not in declared state; connectors: 1 paused"

    assert requests.put(f"{stack.connect_url}/connectors/{conn}/resume", timeout=30).status_code == 202
    wait_for(lambda: _states(stack.connect_url, conn) == ("RUNNING", ["RUNNING"]), what="connector resumed")
    assert kplan("status", str(path)).code == 0


def test_unreachable_connect_is_an_error(stack, prefix, tmp_path):
    doc = stack_doc(stack, prefix, [_topic(f"{prefix}.t")])
    doc["cluster"]["connect_url"] = "http://127.0.0.1:9"
    r = kplan("status", str(write_stack(tmp_path / "s.yaml", doc)))
    assert r.code == 1 and r.out == ""
    assert r.err.startswith("Error: ") and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
