"""The integration tests' warm `kplan` (tests/integration/kplan_zygote.py) answers each request and sleeps while it has
none: it polled every 20 ms before, ~3 ms of CPU a second in each of a CI run's five or six test processes."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ZYGOTE = ROOT / "tests" / "integration" / "kplan_zygote.py"


def _answer(proc: subprocess.Popen, timeout: float = 120) -> dict:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "the zygote did not answer"
    return json.loads(proc.stdout.readline())


def _wakeups(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("voluntary_ctxt_switches:")).split()[1])


def test_the_zygote_answers_a_commands_end_and_sleeps_while_idle(tmp_path):
    proc = subprocess.Popen([sys.executable, str(ZYGOTE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert proc.stdin is not None
        proc.stdin.write((json.dumps({"id": 0, "argv": ["--version"], "env": dict(os.environ), "cwd": str(tmp_path),
                                      "out": str(tmp_path / "out"), "err": str(tmp_path / "err")}) + "\n").encode())
        proc.stdin.flush()
        assert _answer(proc)["id"] == 0  # forked
        assert _answer(proc) == {"id": 0, "code": 0}  # its end, told without a poll
        assert (tmp_path / "out").read_text().startswith("kplan, version ")
        before = _wakeups(proc.pid)
        time.sleep(1)
        assert _wakeups(proc.pid) - before <= 5  # polling: ~50 a second
    finally:
        proc.kill()
        proc.wait()
