"""A connector's `auto_restart` carried out by a running `kplan watch` on the real stack (docs/auto-restart.md): a
FileStreamSink whose output directory is gone FAILS when its task starts; the watcher restarts it on the declared
backoff (the restarts counted in its scraped /metrics, each one an event consumed from the audit topic), and once
max_restarts are spent it leaves the connector FAILED, calls it exhausted (metric, audit event) and `kplan status`
shows the restarts. A restart that finds the directory back heals the connector: the watcher's restart is real."""

from __future__ import annotations

import shutil
import time
from datetime import datetime

import requests
from kplan_helpers import base_stack, kplan, wait_for, write_stack
from test_watch import Watcher, audit_events, end_watch

BACKOFF = (3.0, 6.0)  # seconds before the first restart (from the failure seen) and before each next one


def _restarts(stack, topic: str, prefix: str, admin) -> list[dict]:
    if topic not in admin.list_topics(timeout=20).topics:
        return []
    return [e for e in audit_events(stack, topic, prefix) if "restart" in e]


def _task_state(stack, connector: str) -> str | None:
    tasks = requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=30).json().get("tasks") or []
    return tasks[0]["state"] if tasks else None


def _fail(stack, connector: str) -> None:
    """Restart the task by hand while its directory is gone: it FAILS as it starts."""
    requests.post(f"{stack.connect_url}/connectors/{connector}/tasks/0/restart", timeout=30).raise_for_status()
    wait_for(lambda: _task_state(stack, connector) == "FAILED", 120, "Connect to show the task FAILED")


def _at(event: dict) -> float:
    """When the watcher's schedule decided the restart (the event's start; its end is when the restart was made,
    later by the time opening the cluster and Connect's answer took)."""
    return datetime.fromisoformat(event["started"]).timestamp()


def test_a_failed_sink_is_restarted_on_its_backoff_then_exhausted(stack, admin, prefix, tmp_path):
    sink_dir, audit, connector = tmp_path / "sink", f"{prefix}-audit", f"{prefix}-sink"
    sink_dir.mkdir()
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1}]
    doc["connectors"] = [{"name": connector, "class": "FileStreamSink", "tasks_max": 1,
                          "auto_restart": {"max_restarts": 2, "backoff": [f"{int(b)}s" for b in BACKOFF],
                                           "reset_after": "1h"},
                          "config": {"topics": f"{prefix}.orders", "file": str(sink_dir / "out.txt")}}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    watcher = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)
    labels = {"connector": connector, "stack": prefix}
    try:
        wait_for(lambda: watcher.rounds() >= 1, 120, "a first round")
        assert watcher.value("kplan_connector_restarts_total", **labels) == 0.0

        # 1. the directory is gone when the task starts; back before the restart is due: the restart heals it
        shutil.rmtree(sink_dir)
        failed_at = time.time()
        _fail(stack, connector)
        sink_dir.mkdir()
        wait_for(lambda: watcher.value("kplan_connector_restarts_total", **labels) == 1.0, 120, "the first restart")
        wait_for(lambda: _task_state(stack, connector) == "RUNNING", 120, "the restarted task RUNNING")
        first = wait_for(lambda: _restarts(stack, audit, prefix, admin), 60, "the restart's audit event")
        assert [(e["command"], e["outcome"], e["restart"]) for e in first] == [
            ("watch", "restarted", {"address": f"connector.{connector}", "attempt": 1, "max_restarts": 2})]
        assert _at(first[0]) >= failed_at + BACKOFF[0], "restarted before the declared backoff"

        # 2. gone for good: one more restart (its backoff counted from the first), then the attempts are spent
        shutil.rmtree(sink_dir)
        _fail(stack, connector)
        wait_for(lambda: watcher.value("kplan_connector_auto_restart_exhausted", **labels) == 1.0, 180,
                 "the connector called exhausted")
        events = wait_for(lambda: (e := _restarts(stack, audit, prefix, admin)) and len(e) >= 3 and e, 60,
                          "three restart events")
        assert [(e["outcome"], e["restart"]["attempt"]) for e in events] == [
            ("restarted", 1), ("restarted", 2), ("restarts-exhausted", 2)]
        assert _at(events[1]) >= _at(events[0]) + BACKOFF[1], "the second restart came before its backoff"
        samples = watcher.scrape()[1]
        assert samples[("kplan_connector_restarts_total", tuple(sorted(labels.items())))] == 2.0
        assert samples[("kplan_connector_auto_restart_attempts", tuple(sorted(labels.items())))] == 2.0
        assert samples[("kplan_resources", (("kind", "connector"), ("stack", prefix), ("state", "unhealthy")))] == 1.0
        start = watcher.rounds()
        wait_for(lambda: watcher.rounds() >= start + 3, 120, "three more rounds")
        assert watcher.value("kplan_connector_restarts_total", **labels) == 2.0  # no restart once exhausted
        assert _task_state(stack, connector) == "FAILED"

        status = kplan("status", str(path))
        assert status.code == 2, status.text
        assert (f"connector '{connector}': kplan watch restarted it 2 time(s) (auto_restart), the last at "
                in status.out), status.text
        assert "its 2 attempts are spent" in status.out, status.text
    finally:
        end_watch(watcher, path, admin, audit)


def test_a_watcher_started_again_goes_on_with_the_kept_attempts_and_backoff(stack, admin, prefix, tmp_path):
    """The first watcher restarts the FAILED sink once (its task FAILS again: the directory stays gone), then stops;
    a second watcher reads the record back (`__kplan_restarts`): it shows that restart from its first round and
    waits the second backoff (an hour) from it, instead of restarting after the first backoff as a new policy would."""
    sink_dir, audit, connector = tmp_path / "sink", f"{prefix}-audit", f"{prefix}-sink"
    sink_dir.mkdir()
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1}]
    doc["connectors"] = [{"name": connector, "class": "FileStreamSink", "tasks_max": 1,
                          "auto_restart": {"max_restarts": 3, "backoff": ["2s", "1h"], "reset_after": "1h"},
                          "config": {"topics": f"{prefix}.orders", "file": str(sink_dir / "out.txt")}}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    labels = {"connector": connector, "stack": prefix}
    first = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)
    try:
        wait_for(lambda: first.rounds() >= 1, 120, "a first round")
        shutil.rmtree(sink_dir)
        _fail(stack, connector)
        wait_for(lambda: first.value("kplan_connector_restarts_total", **labels) == 1.0, 120, "the first restart")
    finally:
        assert first.stop() == 0, first.told
    wait_for(lambda: _task_state(stack, connector) == "FAILED", 120, "the restarted task FAILED again")

    second = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)
    try:
        wait_for(lambda: second.rounds() >= 1, 120, "the second watcher's first round")
        assert second.value("kplan_connector_restarts_total", **labels) == 1.0
        assert second.value("kplan_connector_auto_restart_attempts", **labels) == 1.0
        start = second.rounds()
        wait_for(lambda: second.rounds() >= start + 4, 120, "four more rounds (the first backoff twice over)")
        assert second.value("kplan_connector_restarts_total", **labels) == 1.0
        assert [e["restart"]["attempt"] for e in _restarts(stack, audit, prefix, admin)] == [1]
        assert _task_state(stack, connector) == "FAILED"
    finally:
        end_watch(second, path, admin, audit)
