"""Benchmark: `kplan plan` with no changes at scale, against a floor of raw reads.

On the local stack: N topics (default 2,000, each with two overrides) and M connectors (default 200, created
STOPPED so they cost the worker nothing), declared exactly in a generated stack file. Times `kplan plan` (median
of several runs, whole process) against bench/floor_reads.py, and prints JSON: both times, their ratio, kplan's
peak memory, and `kplan validate` of the same file (no cluster). Targets (issue 13): ratio <= 1.3 at 1,000 and at
10,000 topics + 1,000 connectors, validate <= 1.5 s and peak memory <= 250 MiB at 10,000 topics.

    PYTHONPATH=dev .venv/bin/python bench/plan_scale.py [--topics N] [--connectors M] [--runs R] [--cleanup]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import (
    BOOTSTRAP,
    CONNECT,
    ROOT,
    cluster_section,
    connector_config,
    delete_prefix,
    emit,
    ensure_connectors,
    ensure_topics,
    interleaved_runs,
    stack_up,
    topic_names,
)
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

PREFIX = "kplanbench-plan"
OVERRIDES = {"retention.ms": "86400000", "max.message.bytes": "2097152"}


def stack_document(topics: list[str], connectors: list[str]) -> dict:
    return {
        "stack": "bench-plan",
        "cluster": cluster_section(),
        "topics": [{"name": n, "partitions": 1, "replication_factor": 1, "config": dict(OVERRIDES)} for n in topics],
        "connectors": [
            {"name": c, "class": connector_config(topics[0])["connector.class"], "tasks_max": 1, "state": "stopped",
             "config": {k: v for k, v in connector_config(topics[0]).items()
                        if k not in ("connector.class", "tasks.max")}}
            for c in connectors
        ],
    }


def wait_listed(admin, names: list[str]) -> float:
    """Wait until the cluster lists every topic just created (a broker lists thousands of new topics minutes after
    the controller answered: timing plans before then would time plans of changes); how long that took."""
    start, wanted = time.monotonic(), set(names)
    while True:
        try:
            seen = wanted & set(admin.list_topics(timeout=60).topics)
        except KafkaException:  # brokers busy applying the creates' metadata: ask again (within the deadline)
            seen = set()
        if len(seen) == len(wanted):
            return round(time.monotonic() - start, 1)
        if time.monotonic() - start > max(300.0, 0.1 * len(wanted)):
            raise SystemExit(f"only {len(seen)} of {len(wanted)} topics listed after {time.monotonic() - start:.0f} s")
        time.sleep(2.0)


def wait_settled(plan_argv: list[str], timeout_s: float = 2400.0) -> float:
    """Wait until `kplan plan` stops refusing the cluster's metadata as not settled, i.e. until every broker can
    describe the topics it lists (after 25,000 creates with overrides, each broker of the 3-broker cluster applied
    their configs for minutes: 1,200-7,700 topics a minute each, 2026-11-26); how long that took. A plan refused so
    is not a plan to time."""
    start = time.monotonic()
    while True:
        proc = subprocess.run([sys.executable, "-m", *plan_argv], capture_output=True, text=True, cwd=ROOT)
        if proc.returncode in (0, 2):
            return round(time.monotonic() - start, 1)
        if "has not settled" not in proc.stderr or time.monotonic() - start > timeout_s:
            raise SystemExit(f"kplan plan exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
        time.sleep(10.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=2000)
    p.add_argument("--connectors", type=int, default=200)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--cleanup", action="store_true", help="delete the benchmark's topics and connectors and exit")
    args = p.parse_args()
    stack_up(("kafka", "connect"))  # what it uses: the other services would only load the machine
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    if args.cleanup:
        delete_prefix(admin, PREFIX)
        emit({"cleaned": PREFIX})
        return
    topics = topic_names(PREFIX, args.topics)
    connectors = [f"{PREFIX}-c-{i:04d}" for i in range(args.connectors)]
    created_topics = ensure_topics(admin, topics, OVERRIDES)
    listed_after_s = wait_listed(admin, topics) if created_topics else 0.0
    created_connectors = ensure_connectors(connectors, topics[0])
    with tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "bench.yaml"
        stack.write_text(yaml.safe_dump(stack_document(topics, connectors), sort_keys=False))
        # interleaved run by run (plan, floor, validate), so that both see the same machine
        plan_argv = ["kplan.cli", "plan", str(stack), "--detailed-exitcode", "--no-color"]
        floor_argv = [str(Path(__file__).with_name("floor_reads.py")), BOOTSTRAP, CONNECT, PREFIX]
        validate_argv = ["kplan.cli", "validate", str(stack)]
        settled_after_s = wait_settled(plan_argv)
        plan, floor, validate = interleaved_runs([plan_argv, floor_argv, validate_argv], args.runs)
    ratio = round(plan["median_s"] / floor["median_s"], 2)
    big = args.topics >= 10_000
    emit({
        "benchmark": "plan_scale",
        "topics": args.topics,
        "connectors": args.connectors,
        "created_now": {"topics": created_topics, "connectors": created_connectors, "listed_after_s": listed_after_s,
                        "settled_after_s": settled_after_s},
        "kplan_plan": plan,
        "floor_raw_reads": floor,
        "kplan_validate": validate,
        "ratio": ratio,
        "targets": {"ratio_max": 1.3, **({"validate_max_s": 1.5, "peak_tree_rss_mib_max": 250} if big else {})},
        "meets_targets": {"ratio": ratio <= 1.3,
                          **({"validate": validate["median_s"] <= 1.5, "memory": plan["peak_tree_rss_mib"] <= 250}
                             if big else {})},
    })


if __name__ == "__main__":
    main()
