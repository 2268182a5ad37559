"""Benchmark: `kplan plan` with no changes at scale, against a floor of raw reads.

On the local stack: N topics (default 2,000, each with two overrides) and M connectors (default 200, created
STOPPED so they cost the worker nothing), declared exactly in a generated stack file. Times `kplan plan` (median
of several runs, whole process) against bench/floor_reads.py, and prints JSON: both times, their ratio, kplan's
peak memory. Target: ratio <= 1.5 and plan under 10 s at 2,000 topics / 200 connectors.

    PYTHONPATH=dev .venv/bin/python bench/plan_scale.py [--topics N] [--connectors M] [--runs R] [--cleanup]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml
from _common import (
    BOOTSTRAP,
    CONNECT,
    connector_config,
    delete_prefix,
    emit,
    ensure_connectors,
    ensure_topics,
    localstack,
    median_runs,
    topic_names,
)
from confluent_kafka.admin import AdminClient

PREFIX = "kplanbench-plan"
OVERRIDES = {"retention.ms": "86400000", "max.message.bytes": "2097152"}


def stack_document(topics: list[str], connectors: list[str]) -> dict:
    return {
        "stack": "bench-plan",
        "cluster": {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT, "timeout": "60s"},
        "topics": [{"name": n, "partitions": 1, "replication_factor": 1, "config": dict(OVERRIDES)} for n in topics],
        "connectors": [
            {"name": c, "class": connector_config(topics[0])["connector.class"], "tasks_max": 1, "state": "stopped",
             "config": {k: v for k, v in connector_config(topics[0]).items()
                        if k not in ("connector.class", "tasks.max")}}
            for c in connectors
        ],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=2000)
    p.add_argument("--connectors", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--cleanup", action="store_true", help="delete the benchmark's topics and connectors and exit")
    args = p.parse_args()
    localstack.up()
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    if args.cleanup:
        delete_prefix(admin, PREFIX)
        emit({"cleaned": PREFIX})
        return
    topics = topic_names(PREFIX, args.topics)
    connectors = [f"{PREFIX}-c-{i:04d}" for i in range(args.connectors)]
    created_topics = ensure_topics(admin, topics, OVERRIDES)
    created_connectors = ensure_connectors(connectors, topics[0])
    with tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "bench.yaml"
        stack.write_text(yaml.safe_dump(stack_document(topics, connectors), sort_keys=False))
        plan = median_runs(["kplan.cli", "plan", str(stack), "--detailed-exitcode", "--no-color"], args.runs)
        floor = median_runs([str(Path(__file__).with_name("floor_reads.py")), BOOTSTRAP, CONNECT, PREFIX], args.runs)
    ratio = round(plan["median_s"] / floor["median_s"], 2)
    emit({
        "benchmark": "plan_scale",
        "topics": args.topics,
        "connectors": args.connectors,
        "created_now": {"topics": created_topics, "connectors": created_connectors},
        "kplan_plan": plan,
        "floor_raw_reads": floor,
        "ratio": ratio,
        "targets": {"ratio_max": 1.5, "plan_max_s": 10.0},
        "meets_targets": ratio <= 1.5 and plan["median_s"] < 10.0,
    })


if __name__ == "__main__":
    main()
