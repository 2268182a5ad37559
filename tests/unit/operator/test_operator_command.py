"""`kplan operator`'s bad input: one error line each, never a traceback (the `kplan` process, as users run it)."""

from __future__ import annotations

import os
import subprocess
import sys


def kplan(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("POD_NAMESPACE", "KUBECONFIG")}
    return subprocess.run([sys.executable, "-m", "kplan", *args], capture_output=True, text=True, timeout=60, env=env)


def test_a_file_that_is_not_a_kubeconfig_is_one_error_line(tmp_path):
    bad = tmp_path / "kubeconfig"
    bad.write_text("just: text\n")
    run = kplan("operator", "--kubeconfig", str(bad), "--namespace", "x")
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [f"Error: {bad}: not a kubeconfig kplan can read (KeyError: 'contexts'); it "
                                       "needs current-context, its cluster's server and a user with a token"]


def test_an_api_server_that_does_not_answer_is_one_error_line(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text('{"current-context": "a", "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],'
                      ' "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],'
                      ' "users": [{"name": "u", "user": {"token": "not-shown"}}]}')
    run = kplan("operator", "--kubeconfig", str(config), "--namespace", "x")
    assert run.returncode == 1
    assert run.stderr.splitlines() == ["Error: the Kubernetes API server cannot be reached: the Kubernetes API server "
                                       "https://127.0.0.1:1 did not answer: ConnectionError"]


def test_a_lease_without_a_namespace_is_a_usage_error(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text("{}")
    run = kplan("operator", "--kubeconfig", str(config))
    assert run.returncode == 64
    assert run.stderr.splitlines()[-1] == ("Error: the Lease needs a namespace: --lease-namespace NS (or --namespace, "
                                           "or $POD_NAMESPACE)")
