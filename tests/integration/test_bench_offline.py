"""bench/plan_offline.py on the real stack, at a few topics: it reads a probe topic's effective configs from the
broker, plans a directory stack against the live-state document it writes, and reports kplan's plan and validate
with their memory. (The figures themselves are the benchmark's business: bench/README.md.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_offline_plan_benchmark_runs_and_reports(stack):
    env = {**os.environ, "KPLAN_BOOTSTRAP": stack.bootstrap_servers, "KPLAN_CONNECT_URL": stack.connect_url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "dev")])}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "plan_offline.py"), "--topics", "25", "--runs", "1"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["topics"] == 25 and result["documents"]["stack_files"] == 2  # 00-stack.yaml and one topics file
    assert result["effective_configs_per_topic"] > 20  # what the broker reports for a topic, not a made-up set
    for figures in (result["kplan_plan_live_state"], result["kplan_validate"]):
        assert len(figures["runs_s"]) == 1 and figures["min_s"] > 0
        assert figures["peak_tree_rss_mib"] >= figures["peak_rss_mib"] > 10
