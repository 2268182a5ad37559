"""A connector whose task FAILED, paused by the stack until its target is fixed (Connect keeps the task FAILED under a
pause, and its resume does not restart it; Kafka 4.3.1): the pause is applied, and a rollback of it resumes the
connector as it was. `auto_restart` never fights a declared pause or stop (docs/auto-restart.md): a running `kplan
watch` with a one-second backoff leaves such a connector alone (no restart, no audit event, still PAUSED or STOPPED in
Connect after several rounds); declared running again, the same watcher restarts it when it fails: the hold came
from the declared state, not from a watcher that restarts nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from kplan_helpers import base_stack, faulty_kplan, kplan, wait_for, write_stack
from test_auto_restart import _fail, _restarts
from test_watch import Watcher, end_watch


def _states(stack, connector: str) -> tuple[str | None, list[str]]:
    status = requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=30).json()
    return status["connector"]["state"], [t["state"] for t in status.get("tasks") or []]


def _failing_sink(stack, prefix: str, tmp_path: Path, **keys) -> tuple[dict, dict, Path]:
    """A FileStreamSink applied, then FAILED (its output directory gone): the stack document, its connector entry
    and the stack file."""
    sink_dir, connector = tmp_path / "sink", f"{prefix}-sink"
    sink_dir.mkdir()
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1}]
    entry = {"name": connector, "class": "FileStreamSink", "tasks_max": 1, **keys,
             "config": {"topics": f"{prefix}.orders", "file": str(sink_dir / "out.txt")}}
    doc["connectors"] = [entry]
    path = write_stack(tmp_path / "stack.yaml", doc)
    applied = kplan("apply", str(path), "--auto-approve")
    assert applied.code == 0, applied.text
    shutil.rmtree(sink_dir)
    _fail(stack, connector)
    return doc, entry, path


def test_a_failing_connector_paused_then_rolled_back_runs_as_it_was(stack, admin, prefix, tmp_path):
    """The pause applied, then the apply's next step fails: the rollback resumes the connector with its task FAILED,
    as it was, and says it rolled back (it said "Could NOT be rolled back", waiting for a FAILED task to run)."""
    doc, entry, path = _failing_sink(stack, prefix, tmp_path)
    connector = entry["name"]
    entry["state"] = "paused"
    doc["topics"].append({"name": f"{prefix}.extra", "partitions": 1, "replication_factor": 1})
    write_stack(path, doc)
    failed = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
    assert failed.code != 0, failed.text
    assert "Rolled back" in failed.text and "Could NOT" not in failed.text, failed.text
    assert _states(stack, connector) == ("RUNNING", ["FAILED"])
    assert f"{prefix}.extra" not in admin.list_topics(timeout=20).topics


@pytest.mark.parametrize("held", ["paused", "stopped"])
def test_a_declared_pause_or_stop_is_never_restarted(stack, admin, prefix, tmp_path, held):
    doc, entry, path = _failing_sink(
        stack, prefix, tmp_path, auto_restart={"max_restarts": 3, "backoff": ["1s"], "reset_after": "1h"})
    connector, audit = entry["name"], f"{prefix}-audit"
    entry["state"] = held
    write_stack(path, doc)
    applied = kplan("apply", str(path), "--auto-approve")  # failed before the fix: a FAILED task under a pause
    assert applied.code == 0, applied.text
    shown = held.upper()
    wait_for(lambda: _states(stack, connector)[0] == shown, 60, f"Connect to show the connector {shown}")

    watcher = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)
    labels = {"connector": connector, "stack": prefix}
    try:
        wait_for(lambda: watcher.rounds() >= 5, 120, "five rounds")  # each past the one-second backoff
        assert watcher.value("kplan_connector_restarts_total", **labels) == 0.0
        assert _restarts(stack, audit, prefix, admin) == []
        assert _states(stack, connector)[0] == shown

        # declared running again: the same watcher restarts the task when it fails now
        (tmp_path / "sink").mkdir()  # kplan waits for a resumed connector to run: a failing one is rolled back
        del entry["state"]
        entry["restart_failed"] = True  # Connect's resume leaves the FAILED task FAILED
        write_stack(path, doc)
        resumed = kplan("apply", str(path), "--auto-approve")
        assert resumed.code == 0, resumed.text
        shutil.rmtree(tmp_path / "sink")
        _fail(stack, connector)
        wait_for(lambda: (watcher.value("kplan_connector_restarts_total", **labels) or 0) >= 1, 120,
                 "a restart once the stack declares the connector running")
    finally:
        end_watch(watcher, path, admin, audit)
