"""The audit feed on the real stack (docs/operations.md): an apply, a failed apply (rolled back) and a recovery each
leave exactly one event on the audit topic, read back by an independent consumer; the event matches its JSON
Schema and no secret canary is in any; a run killed mid-way writes none (it did not end), its recovery does."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
from confluent_kafka import Consumer, TopicPartition
from kplan_helpers import base_stack, kplan, run_env, write_stack

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "integration" / "faulty_kplan.py"
SCHEMA = json.loads((ROOT / "schemas" / "audit-event.schema.json").read_text())
CANARY = "audit-canary-8f2d61"


def _events(bootstrap: str, topic: str, expected: int) -> list[dict]:
    """Every event on the topic, read from the start by a consumer of its own (after `expected` have come, a
    last poll to see that no more do)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"audit-reader-{time.time_ns()}",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        out, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error():
                out.append(json.loads(message.value()))
            elif len(out) >= expected and message is None:
                break
        return out
    finally:
        consumer.close()


def _doc(stack, prefix, *topics):
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": t, "partitions": 1, "replication_factor": 1,
                      "config": {"retention.ms": "1d"}} for t in topics]
    doc["connectors"] = [{"name": f"{prefix}-sink", "class": "FileStreamSink", "tasks_max": 1, "state": "stopped",
                          "config": {"topics": topics[0], "file": "/tmp/kplan-audit-sink.txt",
                                     "x.canary.password": "${secret:env:AUDIT_CANARY}"}}]
    return doc


def test_an_apply_a_failed_apply_and_a_recovery_each_leave_exactly_one_event(stack, admin, prefix, tmp_path):
    audit = f"{prefix}-audit"
    env = {"AUDIT_CANARY": CANARY, "KPLAN_AUDIT_TOPIC": audit}
    path = write_stack(tmp_path / "stack.yaml", _doc(stack, prefix, f"{prefix}.a"))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)  # 1: applied
        assert r.code == 0, r.text
        path = write_stack(path, _doc(stack, prefix, f"{prefix}.a", f"{prefix}.b"))
        failed = subprocess.run([sys.executable, str(HARNESS), "--fail-at", "step:1", "--", "apply", str(path),
                                 "--auto-approve"], capture_output=True, text=True, env=run_env(env), cwd=ROOT,
                                timeout=300)  # 2: a step fails, everything is rolled back
        assert failed.returncode == 1, failed.stdout + failed.stderr
        killed = subprocess.run([sys.executable, str(HARNESS), "--kill-at", "journal-written:2", "--", "apply",
                                 str(path), "--auto-approve"], capture_output=True, text=True, env=run_env(env),
                                cwd=ROOT, timeout=300)  # killed mid-way: it never ended, so no event
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        r = kplan("recover", str(path), "--rollback", "--auto-approve", env=env)  # 3: the recovery
        assert r.code == 0, r.text

        events = _events(stack.bootstrap_servers, audit, 3)
        assert [(e["command"], e["outcome"]) for e in events] == [
            ("apply", "applied"), ("apply", "rolled-back"), ("recover --rollback", "rolled-back")]
        for e in events:
            jsonschema.validate(e, SCHEMA)
            assert e["stack"] == prefix and e["who"]["host"] and e["cluster_id"]
        assert {"address": f"topic.{prefix}.a", "action": "create"} in events[0]["changes"]
        assert events[1]["changes"] == [{"address": f"topic.{prefix}.b", "action": "create"}]
        assert events[1]["error"]
        assert CANARY not in json.dumps(events)
    finally:
        kplan("destroy", str(path), "--auto-approve", env={"AUDIT_CANARY": CANARY})
        for f in admin.delete_topics([audit]).values():
            try:
                f.result(30)
            except Exception:  # noqa: BLE001 - never created when the test failed early
                pass
