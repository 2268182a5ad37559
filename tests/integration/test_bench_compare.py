"""bench/compare_peers.py on the real stack, at a few topics: every tool's three operations run, are checked
against the cluster and are timed, and a peer that is not installed is reported, not faked, while kplan's part runs.
(The figures themselves are the benchmark's business, not a test's. The peers themselves are exercised by running
the benchmark — `make bench-peers bench-compare` — not here: the test suite does not build them, and a test that
would only be skipped is not kept.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEERS = ROOT / ".bench-peers" / "bin"
OPERATIONS = ("create", "plan", "change")


def compare(stack, *args: str) -> tuple[int, dict, str]:
    env = {**os.environ, "KPLAN_BOOTSTRAP": stack.bootstrap_servers, "KPLAN_CONNECT_URL": stack.connect_url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "dev")])}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "compare_peers.py"), "--topics", "4", *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def assert_timed(result: dict, tool: str, runs: int) -> None:
    for op in OPERATIONS:
        figures = result["tools"][tool]["operations"][op]
        assert len(figures["runs_s"]) == runs and None not in figures["runs_s"], (tool, op, result["errors"])
        assert 0 < figures["min_s"] <= figures["median_s"] <= figures["max_s"]


def test_without_peers_kplan_and_the_floor_still_run(stack, tmp_path):
    code, result, err = compare(stack, "--runs", "1", "--peers-bin", str(tmp_path), "--terraform", "/nonexistent")
    assert code == 0, (err[-2000:], result["errors"])
    assert result["errors"] == []
    assert_timed(result, "kplan", 1)
    assert_timed(result, "floor", 1)
    why = f"{tmp_path / 'topicctl'} not found: build it with `make bench-peers`"
    assert result["tools"]["topicctl"] == {"available": False, "why": why}
    assert result["tools"]["terraform"]["available"] is False
    assert "version -json` failed" in result["tools"]["terraform"]["why"]
    assert set(result["ratios"]["plan"]) == {"kplan"}
    assert result["ratios"]["plan"]["kplan"]["vs_floor"] > 0
