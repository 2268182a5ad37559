"""`make demo` (dev/demo.py) works: the README's first Quick start command, run as the user runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from kplan_helpers import ROOT

pytestmark = pytest.mark.serial  # stacks/cdc-postgres.yaml (fixed names): test_examples_cdc.py applies, destroys it


def test_the_demo_runs_the_main_job_end_to_end(stack):
    proc = subprocess.run([sys.executable, str(ROOT / "dev" / "demo.py")], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    # the stack's own endpoints (KPLAN_STACK_*_PORT may move them)
    assert f"bootstrap servers: {stack.bootstrap_servers}" in out and f"connect url:       {stack.connect_url}" in out
    assert "PostgresConnector" in out  # Connect's plugins are listed
    assert "Plan again: nothing left to do" in out and "No changes." in out
    assert "change event at demo.public.orders" in out and "op=c" in out
