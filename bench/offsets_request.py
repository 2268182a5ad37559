"""Benchmark: what a declared offsets request costs (docs/offsets.md). Prints JSON with min/median/max of:
one `GET /connectors/<name>/offsets` round trip; `kplan plan` of a stack with one sink whose request is applied
(no offsets read) against the same stack with a pending request (one GET more, and the plan of it); and
`kplan apply` of a pending set request (stop, journal, PATCH, verify by GET, resume, record the token).

    PYTHONPATH=dev .venv/bin/python bench/offsets_request.py [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import yaml
from _common import BOOTSTRAP, CONNECT, emit, interleaved_runs, timed


def _stack(prefix: str, out: str, request: str | None, offset: int = 0) -> dict:
    conn = {"name": f"{prefix}-sink", "class": "FileStreamSink", "config": {"topics": f"{prefix}-in", "file": out}}
    if request:
        conn["offsets"] = {"request": request, "set": [{"topic": f"{prefix}-in", "partition": 0, "offset": offset}]}
    return {"stack": prefix, "cluster": {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT, "timeout": "30s"},
            "topics": [{"name": f"{prefix}-in", "partitions": 1, "replication_factor": 1}], "connectors": [conn]}


def _stats(values: list[float], unit: str) -> dict:
    return {f"min_{unit}": round(min(values), 3), f"median_{unit}": round(statistics.median(values), 3),
            f"max_{unit}": round(max(values), 3), "runs": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    prefix = f"bench-offsets-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp:
        applied, pending = Path(tmp) / "applied.yaml", Path(tmp) / "pending.yaml"
        out = str(Path(tmp) / "sink.txt")
        try:
            applied.write_text(yaml.safe_dump(_stack(prefix, out, "r0")))
            timed(["kplan.cli", "apply", str(applied), "--auto-approve"])
            pending.write_text(yaml.safe_dump(_stack(prefix, out, "next")))
            gets = []
            for _ in range(20):
                start = time.perf_counter()
                requests.get(f"{CONNECT}/connectors/{prefix}-sink/offsets", timeout=30).raise_for_status()
                gets.append((time.perf_counter() - start) * 1000)
            plans = interleaved_runs([["kplan.cli", "plan", str(applied)], ["kplan.cli", "plan", str(pending)]],
                                     args.runs)
            applies = []
            for i in range(args.runs):
                pending.write_text(yaml.safe_dump(_stack(prefix, out, f"r{i + 1}", i)))
                applies.append(timed(["kplan.cli", "apply", str(pending), "--auto-approve"])[0])
        finally:
            timed(["kplan.cli", "destroy", str(applied), "--auto-approve"])  # the connector, topic and record
    emit({"benchmark": "offsets_request", "get_offsets": _stats(gets, "ms"),
          "plan_request_applied": plans[0], "plan_request_pending": plans[1],
          "apply_set_request": _stats(applies, "s")})


if __name__ == "__main__":
    sys.exit(main())
