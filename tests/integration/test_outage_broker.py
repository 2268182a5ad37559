"""The Kafka broker dies in the middle of an apply (issue 11, situation 3).

The apply must give up within the stack's timeout plus the documented margin (kplan.transport.reach.MARGIN_S) of the
broker stopping — not after minutes of retries, journal writes and a lock release that each wait the timeout again —
and leave its journal (the local copy: the cluster is gone) saying that the run is not finished. Once the broker is
back, `kplan recover --rollback` retries the undo steps that failed and leaves the cluster exactly as before the
run: topics, configs, connector, ownership record, no lock.

The broker is stopped through the local stack's launcher, between the apply's steps (a `Faults` hook of the run, in
this process), and is started again by the test; the fixture makes sure it (and Connect) are healthy again before
the test ends, so later tests of the session are unaffected. Takes about 40 s.
"""

from __future__ import annotations

import json
import time

import pytest
import requests
from kplan_helpers import kplan, lock_exists, snapshot, wait_for, write_stack

import localstack
from kplan.cli import main as kplan_main
from kplan.state import faults
from kplan.state.journal import Journal, RunStatus, StepStatus, local_state_dir
from kplan.state.ownership import read_ownership
from kplan.transport.reach import MARGIN_S

pytestmark = pytest.mark.serial  # stops and restarts the broker

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
TIMEOUT_S = 10


class StopBroker(faults.Faults):
    """After step `index` (0-based) is done, stop the broker (the rest of the run meets a cluster that is gone)."""

    def __init__(self, index: int):
        self.index = index
        self.stopped_at: float | None = None

    def after_step(self, index: int) -> None:
        if index != self.index or self.stopped_at is not None:
            return
        assert localstack.broker_service().stop(), "the broker was not running"
        self.stopped_at = time.monotonic()


def _connect_healthy(stack) -> bool:
    try:
        return requests.get(f"{stack.connect_url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _start_broker() -> None:
    """Start the broker again the way the launcher does, its after-start step included (the secured listener's
    SCRAM users are checked and created again if missing: after this restart the local broker was seen without
    them)."""
    broker = localstack.broker_service()
    if broker.pid() is None:
        broker.start(localstack.dist_dir())
    broker.wait_ready(localstack.START_TIMEOUT_S)
    broker.after_start()


@pytest.fixture
def outage(stack):
    """The fault, installed for this process's apply runs; afterwards the broker and Connect are healthy again,
    whatever happened."""
    fault = StopBroker(2)
    faults.install(fault)
    yield fault
    faults.install(None)
    _start_broker()
    if not _connect_healthy(stack):
        localstack.up()
    wait_for(lambda: _connect_healthy(stack), timeout=120, what="Kafka Connect healthy again")


def _apply(path) -> tuple[int, float]:
    """`kplan apply PATH --auto-approve` in this process (the fault is this process's): exit code, when it ended."""
    try:
        kplan_main(["apply", str(path), "--auto-approve"])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    return code, time.monotonic()


def _doc(stack, prefix: str, source, changed: bool) -> dict:
    base = {"name": f"{prefix}.base", "partitions": 1, "replication_factor": 1,
            "config": {"retention.ms": "3600000"} if changed else {}}
    doc: dict = {"stack": prefix, "cluster": {"bootstrap_servers": stack.bootstrap_servers,
                                              "connect_url": stack.connect_url, "timeout": f"{TIMEOUT_S}s"},
                 "topics": [base]}
    if changed:
        doc["topics"] += [{"name": f"{prefix}.t{i}", "partitions": 1, "replication_factor": 1} for i in range(3)]
        doc["connectors"] = [{"name": f"{prefix}-src", "class": FILE_SOURCE,
                              "config": {"file": str(source), "topic": f"{prefix}.t0"}}]
    return doc


def test_a_broker_that_dies_mid_apply_is_reported_within_the_timeout_and_recovered_exactly(
        stack, prefix, admin, outage, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, source, changed=False))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)

    # steps: 1 create the three topics, 2 change base's config, 3 create the connector, 4 record ownership; the
    # broker stops once step 3 is done, so step 4's journal write is the first request it leaves unanswered
    write_stack(path, _doc(stack, prefix, source, changed=True))
    code, ended = _apply(path)
    out = capsys.readouterr()
    assert outage.stopped_at is not None, out.out + out.err
    took = ended - outage.stopped_at
    print(f"\napply gave up {took:.1f}s after the broker stopped (cluster.timeout {TIMEOUT_S}s)")
    assert code != 0, out.out + out.err
    assert took <= TIMEOUT_S + MARGIN_S, f"{took:.1f}s\n{out.out}{out.err}"
    assert "Could NOT be rolled back" in out.out + out.err

    # the cluster is gone: only the local copy knows where the run stands
    (local,) = (local_state_dir() / "journal").glob(f"{prefix}@*.json")
    journal = Journal.from_json(json.loads(local.read_text()))
    assert journal.unfinished or journal.status == RunStatus.ROLLBACK_INCOMPLETE, journal.describe()
    assert any(s["status"] == StepStatus.UNDO_FAILED for s in journal.steps), journal.steps

    _start_broker()
    wait_for(lambda: _connect_healthy(stack), timeout=120, what="Kafka Connect healthy again")
    # the apply ran in this (living) process, which holds the lock it could not release: --force says it is over
    r = kplan("recover", str(path), "--rollback", "--auto-approve", "--force")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before, r.text
    assert not lock_exists(admin, prefix, {"bootstrap.servers": stack.bootstrap_servers})
    record = read_ownership({"bootstrap.servers": stack.bootstrap_servers}, prefix, 20)
    assert record.owned("topics") == {f"{prefix}.base"} and not record.owned("connectors") and not record.run, record
    # the declared stack is still to be applied, and nothing is unfinished
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and "did not finish" not in r.text, r.text
