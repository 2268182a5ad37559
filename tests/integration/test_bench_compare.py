"""bench/compare_peers.py on the real stack, at a few topics: every tool's three operations run, are checked
against the cluster and are timed, and a peer that is not installed is reported, not faked, while kplan's part runs.
(The figures themselves are the benchmark's business, not a test's.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.skipif(not (PEERS / "topicctl").exists(), reason="topicctl is not built (make bench-peers)")
def test_a_peer_above_its_size_limit_is_skipped_and_says_why(stack):
    code, result, _ = compare(stack, "--runs", "1", "--peers", "topicctl", "--peer-max-topics", "topicctl=3")
    assert code == 0
    assert result["tools"]["topicctl"]["skipped"] == "4 topics is above --peer-max-topics 3"
    assert "operations" not in result["tools"]["topicctl"]
    assert result["tools"]["terraform"] == {"available": False, "why": "not asked for (--peers)"}


@pytest.mark.skipif(not (PEERS / "topicctl").exists() or shutil.which("terraform") is None
                    or not list(PEERS.glob("terraform-provider-kafka_*")),
                    reason="the peers are not built (make bench-peers) or no terraform CLI is on PATH")
def test_every_installed_peer_runs_interleaved(stack):
    code, result, err = compare(stack, "--runs", "2")
    assert code == 0, (err[-2000:], result["errors"])
    for tool in ("kplan", "floor", "topicctl", "terraform"):
        assert_timed(result, tool, 2)
    assert result["tools"]["topicctl"]["version"].startswith("topicctl version v1.23.1")
    assert "terraform-provider-kafka v0.13.1" in result["tools"]["terraform"]["version"]
    for op in OPERATIONS:
        assert set(result["ratios"][op]) == {"kplan", "topicctl", "terraform"}
        assert {"vs_floor", "vs_kplan"} <= set(result["ratios"][op]["terraform"])
    # round 2 starts with the floor: the order rotates
    rounds = [line.split(": ", 1)[1] for line in err.splitlines() if line.startswith("[compare] round 2/2")]
    assert rounds == ["floor", "topicctl", "terraform", "kplan"]
