"""Benchmark: creating N topics (default 1,000) with `kplan apply --auto-approve` against a floor of one raw
batched `create_topics` call (bench/floor_create.py, a fresh process like kplan). Prints JSON with both times
(median of several runs) and their ratio (target <= 2.5, issue 13).

Each run uses fresh topic names and deletes them afterwards; kplan's time is the whole process (start-up, lock,
read, plan, plan-time validation, journal, create, verification, ownership record).

    PYTHONPATH=dev .venv/bin/python bench/apply_scale.py [--topics N] [--runs R]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import yaml
from _common import BOOTSTRAP, cluster_section, delete_prefix, emit, settle, stack_up, timed
from confluent_kafka.admin import AdminClient
from floor_create import CONFIG  # the same topic configs as the floor


def floor_once(prefix: str, n: int) -> float:
    return timed([str(Path(__file__).with_name("floor_create.py")), BOOTSTRAP, prefix, str(n)])[0]


def kplan_once(prefix: str, n: int) -> tuple[float, int]:
    doc = {
        "stack": prefix,
        "cluster": cluster_section(),
        "topics": [{"name": f"{prefix}-t-{i:05d}", "partitions": 1, "replication_factor": 1, "config": dict(CONFIG)}
                   for i in range(n)],
    }
    with tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "apply-bench.yaml"
        stack.write_text(yaml.safe_dump(doc, sort_keys=False))
        elapsed, rss, out = timed(["kplan.cli", "apply", str(stack), "--auto-approve", "--no-color"])
        if f"{n} added" not in out:
            sys.exit(f"kplan apply did not report {n} topics added:\n{out[-2000:]}")
        # tear down through kplan too, so its ownership record stays consistent
        timed(["kplan.cli", "destroy", str(stack), "--auto-approve", "--no-color"])
    return elapsed, rss


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    stack_up(("kafka", "connect"))  # what it uses: the other services would only load the machine
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    floor, kplan, rss = [], [], []
    for run in range(args.runs):
        prefix = f"kplanbench-apply-{uuid.uuid4().hex[:6]}"
        # alternate which goes first, and let the broker finish each deletion before timing the next creation
        for which in (("kplan", "floor") if run % 2 == 0 else ("floor", "kplan")):
            if which == "floor":
                floor.append(floor_once(prefix + "f", args.topics))
                delete_prefix(admin, prefix + "f")
                settle(admin, prefix + "f")
            else:
                t, m = kplan_once(prefix + "k", args.topics)
                kplan.append(t)
                rss.append(m)
                settle(admin, prefix + "k")
    k, f = statistics.median(kplan), statistics.median(floor)
    emit({
        "benchmark": "apply_scale",
        "topics": args.topics,
        "kplan_apply": {"median_s": round(k, 3), "runs_s": [round(x, 3) for x in kplan],
                        "peak_rss_mib": round(max(rss) / 1024, 1)},
        "floor_create_topics": {"median_s": round(f, 3), "runs_s": [round(x, 3) for x in floor]},
        "ratio": round(k / f, 2),
        "target_ratio_max": 2.5,
    })


if __name__ == "__main__":
    main()
