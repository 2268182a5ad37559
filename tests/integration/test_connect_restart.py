"""A Kafka Connect worker that restarts while an apply runs: the apply waits for it (the same backoff and deadline
as every transient failure) and completes. The worker is restarted through the local stack's launcher, between the
apply's steps (a `Faults` hook of the run, in this process), and is healthy again before the test ends, so later
tests are unaffected. (The retry rules themselves: tests/unit/cluster/test_connect_client.py.)"""

from __future__ import annotations

import threading
import time
import urllib.parse

import pytest
import requests
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

import localstack
from kplan.cli import main as kplan_main
from kplan.state import faults

pytestmark = pytest.mark.serial  # stops and restarts the Connect worker

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


class RestartConnect(faults.Faults):
    """After step `index` (0-based) is done, stop the Connect worker (so the next step meets a worker that is
    down) and start it again in the background."""

    def __init__(self, index: int):
        self.index = index
        self.stopped_at: float | None = None
        self.ready_at: float | None = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def after_step(self, index: int) -> None:
        if index != self.index or self.thread is not None:
            return
        service = localstack.connect_service()
        assert service.stop(), "the Connect worker was not running"
        self.stopped_at = time.monotonic()
        self.thread = threading.Thread(target=self._start, args=(service,), daemon=True)
        self.thread.start()

    def _start(self, service) -> None:
        try:
            time.sleep(2)  # the next step's first requests are refused
            service.start(localstack.dist_dir())
            service.wait_ready(localstack.START_TIMEOUT_S)
            self.ready_at = time.monotonic()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e


def _healthy(stack) -> bool:
    try:
        return requests.get(f"{stack.connect_url}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def restart(stack):
    """The fault, installed for this process's apply runs; afterwards Connect is healthy again, whatever
    happened."""
    fault = RestartConnect(0)
    faults.install(fault)
    yield fault
    faults.install(None)
    if fault.thread is not None:
        fault.thread.join(localstack.START_TIMEOUT_S + 60)
    if not _healthy(stack):
        localstack.up()
    wait_for(lambda: _healthy(stack), timeout=120, what="Kafka Connect healthy again")


def test_an_apply_completes_although_connect_restarts_between_its_steps(stack, prefix, restart, tmp_path,
                                                                          monkeypatch, capsys):
    topic, conn = f"{prefix}.lines", f"{prefix}-src"
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    doc = stack_doc(stack, prefix, [
        {"name": topic, "partitions": 1, "replication_factor": 1}], [
        {"name": conn, "class": FILE_SOURCE, "config": {"file": str(source), "topic": topic}}])
    # the stack's timeout bounds how long a step retries (docs/architecture.md, Deadlines): it must outlast the
    # worker's restart, which takes 10-20 s on a busy machine
    doc["cluster"]["timeout"] = "60s"
    path = write_stack(tmp_path / "s.yaml", doc)
    monkeypatch.chdir(tmp_path)  # the run's local journal copy goes here
    # step 1 creates the topic; Connect is stopped right after it, so step 2 (the connector) starts against a
    # worker that refuses connections, then answers while it starts, then works
    try:
        kplan_main(["apply", str(path), "--auto-approve"])
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out = capsys.readouterr()
    assert restart.stopped_at is not None and restart.error is None, restart.error
    assert code == 0, out.out + out.err
    assert restart.ready_at is not None and restart.ready_at > restart.stopped_at
    assert f"create connector {conn} (running) ... done" in out.out

    status = requests.get(f"{stack.connect_url}/connectors/{urllib.parse.quote(conn, safe='')}/status",
                          timeout=30).json()
    assert status["connector"]["state"] == "RUNNING" and [t["state"] for t in status["tasks"]] == ["RUNNING"]
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
