"""`auto_restart` never fights a state the stack declares (docs/auto-restart.md): a sink whose task FAILED, then paused
(or stopped) by the stack's `state`, is left as the stack says by a running `kplan watch` with a one-second backoff:
no restart, no audit event, the connector still PAUSED (or STOPPED) in Connect after several rounds. Declared running
again, the same watcher restarts the failed task: the hold came from the declared state, not from a watcher that
restarts nothing."""

from __future__ import annotations

import shutil

import pytest
import requests
from kplan_helpers import base_stack, kplan, wait_for, write_stack
from test_auto_restart import _fail, _restarts
from test_watch import Watcher


def _connector_state(stack, connector: str) -> str | None:
    return requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=30).json()["connector"]["state"]


@pytest.mark.parametrize("held", ["paused", "stopped"])
def test_a_declared_pause_or_stop_is_never_restarted(stack, admin, prefix, tmp_path, held):
    sink_dir, audit, connector = tmp_path / "sink", f"{prefix}-audit", f"{prefix}-sink"
    sink_dir.mkdir()
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": f"{prefix}.orders", "partitions": 1, "replication_factor": 1}]
    entry = {"name": connector, "class": "FileStreamSink", "tasks_max": 1,
             "auto_restart": {"max_restarts": 3, "backoff": ["1s"], "reset_after": "1h"},
             "config": {"topics": f"{prefix}.orders", "file": str(sink_dir / "out.txt")}}
    doc["connectors"] = [entry]
    path = write_stack(tmp_path / "stack.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    shutil.rmtree(sink_dir)
    _fail(stack, connector)  # FAILED before any watcher runs
    entry["state"] = held
    write_stack(path, doc)
    applied = kplan("apply", str(path), "--auto-approve")
    assert applied.code == 0, applied.text
    shown = held.upper()
    wait_for(lambda: _connector_state(stack, connector) == shown, 60, f"Connect to show the connector {shown}")

    watcher = Watcher(str(path), "--interval", "1s", "--audit-topic", audit)
    labels = {"connector": connector, "stack": prefix}
    try:
        wait_for(lambda: watcher.rounds() >= 5, 120, "five rounds")  # each past the one-second backoff
        assert watcher.value("kplan_connector_restarts_total", **labels) == 0.0
        assert _restarts(stack, audit, prefix, admin) == []
        assert _connector_state(stack, connector) == shown

        # declared running again: the same watcher restarts the task when it fails now
        sink_dir.mkdir()  # (kplan's apply waits for a resumed connector to run: a failing one is rolled back)
        del entry["state"]
        entry["restart_failed"] = True  # Connect's resume leaves the FAILED task FAILED
        write_stack(path, doc)
        resumed = kplan("apply", str(path), "--auto-approve")
        assert resumed.code == 0, resumed.text
        shutil.rmtree(sink_dir)
        _fail(stack, connector)
        wait_for(lambda: (watcher.value("kplan_connector_restarts_total", **labels) or 0) >= 1, 120,
                 "a restart once the stack declares the connector running")
    finally:
        assert watcher.stop() == 0, watcher.told
        kplan("destroy", str(path), "--auto-approve")
        for f in admin.delete_topics([audit]).values():
            try:
                f.result(30)
            except Exception:  # noqa: BLE001 - never created if the test failed early
                pass
