"""Ctrl-C while a connector write is in flight (issue 41, defect 9), on the real Connect worker: kplan waits for
the request's answer before it rolls back, so that the rollback undoes what Connect did (a create that lands after
the undo looked would leave a connector nobody owns; an update, its new config), and the run exits 130 with the
rollback's report. The request is held by a proxy in front of the worker (holding_proxy.py): SIGINT is sent once
the request has reached the proxy, and the worker does the write only after kplan gave up on it or after a while,
so nothing here depends on the machine's speed."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import requests
from holding_proxy import HoldingProxy
from kplan_helpers import ROOT, kplan, run_env, stack_doc, write_stack

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
BEFORE = "The cluster is as it was before this apply."


@pytest.fixture
def proxy(stack):
    p = HoldingProxy(stack.connect_url)
    yield p
    p.close()


def _stack(stack, proxy, prefix, tmp_path, *, connector: bool = True, file: str = "a.txt"):
    (tmp_path / file).touch()
    doc = stack_doc(stack, prefix, [{"name": f"{prefix}.t", "partitions": 1, "replication_factor": 1}],
                    [{"name": f"{prefix}-src", "class": FILE_SOURCE, "tasks_max": 1,
                      "config": {"file": str(tmp_path / file), "topic": f"{prefix}.t"}}] if connector else [])
    doc["cluster"]["connect_url"] = proxy.url
    return write_stack(tmp_path / f"s-{file}-{connector}.yaml", doc)


def _interrupted_apply(path, proxy: HoldingProxy) -> tuple[int, str]:
    """`kplan apply`, SIGINT once the held request has reached the proxy; (exit code, stderr) once the worker has
    answered the held request."""
    proc = subprocess.Popen([sys.executable, "-m", "kplan", "apply", str(path), "--auto-approve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env(), cwd=ROOT)
    while not proxy.held.wait(0.2):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the apply ended (exit {proc.returncode}) before its request was held: {out}{err}")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proxy.forwarded.wait(60), "the held request was never forwarded"
    return proc.returncode, out + err


def _connector(stack, name: str) -> dict | None:
    r = requests.get(f"{stack.connect_url}/connectors/{name}/config", timeout=30)
    return None if r.status_code == 404 else r.json()


def _listed(stack, name: str) -> bool:
    return name in requests.get(f"{stack.connect_url}/connectors", timeout=30).json()


def test_ctrl_c_while_a_connector_is_created_rolls_back_the_create_that_landed(stack, proxy, prefix, tmp_path):
    path = _stack(stack, proxy, prefix, tmp_path)
    proxy.arm("POST", "/connectors")
    code, text = _interrupted_apply(path, proxy)
    where = f"exit {code}, client gave up: {proxy.client_gave_up}; output: {text[-1500:]}"
    assert not _listed(stack, f"{prefix}-src"), f"the create landed after the rollback: {where}"
    assert code == 130 and BEFORE in text and "interrupted (Ctrl-C)" in text, where
    assert "Traceback" not in text, where
    plan = kplan("plan", str(path), "--detailed-exitcode")
    assert plan.code == 2 and "did not finish" not in plan.text, plan.text


def test_ctrl_c_while_a_connector_is_updated_puts_its_config_back(stack, proxy, prefix, tmp_path):
    name = f"{prefix}-src"
    assert kplan("apply", str(_stack(stack, proxy, prefix, tmp_path)), "--auto-approve").code == 0
    before = _connector(stack, name)
    path = _stack(stack, proxy, prefix, tmp_path, file="b.txt")
    proxy.arm("PUT", f"/connectors/{name}/config")
    code, text = _interrupted_apply(path, proxy)
    where = f"exit {code}, client gave up: {proxy.client_gave_up}; output: {text[-1500:]}"
    assert _connector(stack, name) == before, f"the update landed after the rollback: {where}"
    assert code == 130 and BEFORE in text, where
    plan = kplan("plan", str(path), "--detailed-exitcode")
    assert plan.code == 2 and "did not finish" not in plan.text, plan.text


def test_ctrl_c_while_a_connector_is_deleted_brings_it_back(stack, proxy, prefix, tmp_path):
    name = f"{prefix}-src"
    assert kplan("apply", str(_stack(stack, proxy, prefix, tmp_path)), "--auto-approve").code == 0
    before = _connector(stack, name)
    path = _stack(stack, proxy, prefix, tmp_path, connector=False)
    proxy.arm("DELETE", f"/connectors/{name}")
    code, text = _interrupted_apply(path, proxy)
    where = f"exit {code}, client gave up: {proxy.client_gave_up}; output: {text[-1500:]}"
    assert _connector(stack, name) == before, f"the connector is not back as it was: {where}"
    status = requests.get(f"{stack.connect_url}/connectors/{name}/status", timeout=30).json()
    assert status["connector"]["state"] == "RUNNING", (status, where)
    assert code == 130 and BEFORE in text, where
