"""The fault script of the integration tests (tests/integration/faulty_kplan.py) takes its points from
kplan.state.faults: its options parsed here, in the unit stage, so that a change to that module which breaks the
script fails in minutes, not in the integration stages where every paused or killed run would fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kplan.state import faults

SCRIPT = Path(__file__).resolve().parents[2] / "integration" / "faulty_kplan.py"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60)


def test_the_fault_script_takes_every_transition_point_of_kplans_state():
    for point in faults.POINTS:
        r = _run("--pause-at", f"{point}:1", "--kill-at", f"{point}:2", "--", "--version")
        assert r.returncode == 0 and r.stdout.startswith("kplan, version"), r.stdout + r.stderr


def test_the_fault_script_refuses_a_point_that_is_none():
    r = _run("--pause-at", "nothing:1", "--", "--version")
    assert r.returncode == 2 and "expected lock-taken:N or journal-written:N" in r.stderr, r.stderr
