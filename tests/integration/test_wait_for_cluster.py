"""`--wait-for-cluster` (issue 14, init-container mode) against real systems started after kplan.

A second, separate broker and Connect worker are started by the local stack's own launcher (`python -m localstack
up --only kafka` / `--only connect`, the code behind `dev/stack`) on ports of their own, with a data directory of
their own under the checkout (its jars are the session stack's: the dist directory is linked, not assembled
again), while `kplan apply --wait-for-cluster` already waits for them. The session's stack stays untouched.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from kplan_helpers import ROOT, kplan, run_env, write_stack
from second_stack import free_ports, second_stack, topic_names

import localstack


@pytest.fixture
def second(stack, request):
    """Nothing runs on its ports until the test starts it; afterwards it is stopped and its directory removed."""
    with second_stack("wait", free_ports(6)) as s:
        yield s


def test_apply_waits_for_a_broker_and_connect_started_after_it(second, unique, tmp_path):
    name = unique("wait")
    path = write_stack(tmp_path / "s.yaml", {
        "stack": name,
        "cluster": {"bootstrap_servers": second.bootstrap, "connect_url": second.connect_url, "timeout": "15s"},
        "topics": [{"name": f"{name}.a", "partitions": 2, "replication_factor": 1},
                   {"name": f"{name}.b", "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}],
    })
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kplan", "apply", str(path), "--auto-approve",
                             "--wait-for-cluster", "180s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=run_env({"KPLAN_STATE_DIR": str(tmp_path / "state")}), cwd=ROOT,
                            stdin=subprocess.DEVNULL)
    try:
        time.sleep(3)
        assert proc.poll() is None, "kplan did not wait: " + "".join(proc.communicate())
        broker_ready = second.launcher("up", "--only", "kafka")
        assert proc.poll() is None, "kplan went on without Connect: " + "".join(proc.communicate())
        connect_ready = second.launcher("up", "--only", "connect")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    ended = time.monotonic()
    print(f"\nbroker ready {broker_ready - started:.1f}s, Connect ready {connect_ready - started:.1f}s after kplan "
          f"started; kplan ended {ended - connect_ready:.1f}s after Connect was ready")
    assert proc.returncode == 0, out + err
    lines = err.splitlines()
    assert any(line.startswith("waiting for the cluster, ") and f" left: Kafka at {second.bootstrap} (connection "
               f"refused), Kafka Connect at {second.connect_url} (" in line for line in lines), err
    assert any(line.startswith("waiting for the cluster, ") and f" left: Kafka Connect at {second.connect_url} ("
               in line for line in lines), err  # the broker is up, Connect not yet
    assert any(line.startswith("Kafka and Kafka Connect ready after ") for line in lines), err
    assert "Apply complete!" in out
    assert {f"{name}.a", f"{name}.b"} <= topic_names(second.bootstrap)
    assert "Traceback" not in err


@pytest.mark.integration
def test_a_cluster_that_never_comes_is_exit_4_within_the_deadline(tmp_path):
    broker, connect = free_ports(2)
    path = write_stack(tmp_path / "s.yaml", {
        "stack": "never", "cluster": {"bootstrap_servers": f"127.0.0.1:{broker}",
                                      "connect_url": f"http://127.0.0.1:{connect}"},
        "topics": [{"name": "never.a", "partitions": 1, "replication_factor": 1}]})
    started = time.monotonic()
    run = kplan("apply", str(path), "--auto-approve", "--wait-for-cluster", "8s", timeout=60)
    took = time.monotonic() - started
    print(f"\nexit {run.code} after {took:.1f}s (deadline 8s)")
    assert run.code == 4, run.text
    assert took < 8 + 5
    errors = [line for line in run.err.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: the cluster was not ready within 8s (--wait-for-cluster): Kafka at 127.0.0.1:{broker} "
                      f"(connection refused) and Kafka Connect at http://127.0.0.1:{connect} (connection refused) "
                      "were not ready"], run.err
    assert "Traceback" not in run.text and run.out == ""


def test_connect_that_does_not_answer_keeps_plan_waiting_then_exit_4_naming_connect(stack, tmp_path):
    (connect,) = free_ports(1)
    path = write_stack(tmp_path / "s.yaml", {
        "stack": "noconnect", "cluster": {"bootstrap_servers": stack.bootstrap_servers,
                                          "connect_url": f"http://127.0.0.1:{connect}"}})
    run = kplan("plan", str(path), "--wait-for-cluster", "6s", timeout=60)
    assert run.code == 4, run.text
    error = run.err.strip().splitlines()[-1]
    assert error == (f"Error: the cluster was not ready within 6s (--wait-for-cluster): Kafka Connect at "
                     f"http://127.0.0.1:{connect} (connection refused) was not ready"), run.err
    assert " left: Kafka Connect at " in run.err and "Kafka at " not in run.err.replace("Kafka Connect at ", "")


def test_the_wait_uses_the_stacks_secured_client_settings(stack, tmp_path):
    """On the SASL_SSL listener: the right credentials pass at once (no progress line); a wrong password is waited
    out as "authentication failed" and named when the deadline passes."""
    cluster = {"bootstrap_servers": localstack.SASL_BOOTSTRAP, "client": {
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": localstack.ADMIN_USER,
        "sasl.password": "${secret:env:WAIT_TEST_PASSWORD}", "ssl.ca.location": str(localstack.ca_file())}}
    path = write_stack(tmp_path / "s.yaml", {"stack": "waitsecured", "cluster": cluster})
    good = kplan("status", str(path), "--wait-for-cluster", "30s",
                 env={"WAIT_TEST_PASSWORD": localstack.ADMIN_PASSWORD})
    assert good.code == 0, good.text
    assert "waiting for" not in good.err
    bad = kplan("status", str(path), "--wait-for-cluster", "6s", env={"WAIT_TEST_PASSWORD": "not-the-password"})
    assert bad.code == 4, bad.text
    assert "authentication failed" in bad.err.splitlines()[-1], bad.err
    assert "not-the-password" not in bad.text
