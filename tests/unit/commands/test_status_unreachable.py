"""`kplan status` (the real CLI, in a subprocess) against a broker that is not there: an error on stderr, exit 1,
nothing on stdout, no traceback (no stack needed; tests/integration/test_status.py has the rest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_unreachable_kafka_is_an_error(tmp_path):
    doc = {"stack": "nowhere", "cluster": {"bootstrap_servers": "127.0.0.1:9", "timeout": "2s"},
           "topics": [{"name": "nowhere.t", "partitions": 1, "replication_factor": 1}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = subprocess.run([sys.executable, "-m", "kplan.cli", "status", str(path)], capture_output=True, text=True,
                       env={**os.environ, "NO_COLOR": "1"}, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("Error: cannot reach Kafka at 127.0.0.1:9") and "Traceback" not in r.stderr
