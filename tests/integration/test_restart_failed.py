"""Recovery of failed connectors on the real Connect worker (`restart_failed`): a FileStream sink whose task FAILED
(its output directory vanished, then the task was restarted, as a worker restart would) is only reported without
the option; with it, plan shows a `restart` change, an apply while the cause remains fails with the task's error
in one line and rolls back, and once the directory is back apply restarts the task, which ends RUNNING; the next
plan shows no change."""

from __future__ import annotations

import shutil

import requests
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _states(connect_url, name):
    st = requests.get(f"{connect_url}/connectors/{name}/status", timeout=10).json()
    return st["connector"]["state"], [t["state"] for t in st["tasks"]]


def test_a_failed_task_is_restarted_by_apply_only_with_restart_failed(stack, prefix, tmp_path):
    t, name = f"{prefix}.in", f"{prefix}-sink"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    topics = [{"name": t, "partitions": 1, "replication_factor": 1}]
    connector = {"name": name, "class": FILE_SINK, "tasks_max": 1,
                 "config": {"topics": t, "file": str(out_dir / "sink.txt")}}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics, [connector]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _states(stack.connect_url, name) == ("RUNNING", ["RUNNING"])

    # the task dies: its directory is gone and the task is restarted (as by a worker restart)
    shutil.rmtree(out_dir)
    requests.post(f"{stack.connect_url}/connectors/{name}/tasks/0/restart", timeout=10).raise_for_status()
    wait_for(lambda: _states(stack.connect_url, name) == ("RUNNING", ["FAILED"]), 30, "the task to fail")

    # without the option: no change planned, a warning; status reports the failure
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    # the error, root cause first (the directory that is gone), then the exception Connect reported on top
    failure = (f"task 0 FAILED: java.nio.file.NoSuchFileException: {out_dir / 'sink.txt'} (root cause of "
               "org.apache.kafka.connect.errors.ConnectException: Couldn't find or create file")
    assert f"is unhealthy ({failure}" in r.out and "the plan does not restart it" in r.out, r.out
    r = kplan("status", str(path))
    assert r.code == 2 and "task 0 FAILED" in r.out and "Couldn't find or create file" in r.out, r.text

    # with it (stack-wide, from the defaults): a restart change naming the task and its error
    doc = stack_doc(stack, prefix, topics, [connector])
    doc["defaults"] = {"connector": {"restart_failed": True}}
    write_stack(path, doc)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"connector.{name} will be restarted (its failed instances only)" in r.out, r.out
    assert 'tasks["0"]["state"] = FAILED -> RUNNING' in r.out, r.out
    assert failure in r.out, r.out
    assert "1 to restart." in r.out
    r = kplan("plan", str(path), "--format", "markdown")
    assert f"| `!` | `connector.{name}` | restart |" in r.out, r.out

    # the cause remains: the restarted task fails again; the step fails with its error, in one line
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    assert (f"Error: apply failed: connector {name} task 0 FAILED again after its restart: "
            f"java.nio.file.NoSuchFileException: {out_dir / 'sink.txt'} (root cause of ") in r.text, r.text
    assert "(root cause of org.apache.kafka.connect.errors.ConnectException: Couldn't find or create file" in r.text
    assert "The cluster is as it was before this apply." in r.text

    # the cause fixed: apply restarts the failed task only, and it ends RUNNING
    out_dir.mkdir()
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"restart failed task 0 of connector {name} ... done" in r.out, r.out
    assert "Apply complete! Resources: 0 added, 0 changed, 0 destroyed, 1 restarted." in r.out, r.out
    assert _states(stack.connect_url, name) == ("RUNNING", ["RUNNING"])
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
