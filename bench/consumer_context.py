"""Benchmark: what the consumer-context read costs on a cluster with many consumer groups (docs/consumers.md).

On the local stack: T topics (default 10, one partition, 100 records each) and G consumer groups (default 1,000),
each created by committing offsets with confluent-kafka on one of the topics, at one of D distinct positions
(default 5: the timestamp fetch makes one round per distinct position on a partition). Times the follow-up read a
plan makes when it deletes those topics and cuts a retention (kplan.cluster.consumers through the cluster's reader:
list the groups, fetch every group's offsets, describe the groups on the topics, list the offsets, fetch the
timestamps), and `kplan plan` of a stack that deletes them (whole process). Prints JSON: min/median/max of each.

    PYTHONPATH=dev .venv/bin/python bench/consumer_context.py [--groups G] [--topics T] [--runs R] [--cleanup]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from _common import BOOTSTRAP, delete_prefix, emit, ensure_topics, interleaved_runs, localstack, topic_names
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

PREFIX = "kplanbench-groups"
PARTITIONS = 1  # as bench._common.ensure_topics creates them
RECORDS = 100  # per partition


def _ensure_groups(admin, topics: list[str], groups: int, distinct: int) -> int:
    """Groups `<prefix>-g-NNNN`, each with committed offsets on topic i % T: created where missing."""
    have = {g.group_id for g in admin.list_consumer_groups(request_timeout=60).result(90).valid}
    names = [f"{PREFIX}-g-{i:04d}" for i in range(groups)]

    def commit(i: int) -> None:
        c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": names[i], "enable.auto.commit": False})
        try:
            at = (i // len(topics)) % distinct * (RECORDS // max(distinct, 1))
            c.commit(offsets=[TopicPartition(topics[i % len(topics)], p, at) for p in range(PARTITIONS)],
                     asynchronous=False)
        finally:
            c.close()

    missing = [i for i, n in enumerate(names) if n not in have]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(commit, missing))
    return len(missing)


def _fill(admin, topics: list[str]) -> None:
    ends = admin.list_offsets({TopicPartition(t, p): _latest() for t in topics for p in range(PARTITIONS)})
    p = Producer({"bootstrap.servers": BOOTSTRAP})
    for tp, f in ends.items():
        for i in range(RECORDS - f.result(30).offset):
            p.produce(tp.topic, value=b"x", partition=tp.partition)
    p.flush(60)


def _latest():
    from confluent_kafka.admin import OffsetSpec

    return OffsetSpec.latest()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--groups", type=int, default=1000)
    p.add_argument("--topics", type=int, default=10)
    p.add_argument("--distinct", type=int, default=5, help="distinct committed positions per partition")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--cleanup", action="store_true", help="delete the benchmark's topics and groups and exit")
    args = p.parse_args()
    localstack.up()
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    groups = [g.group_id for g in admin.list_consumer_groups(request_timeout=60).result(90).valid
              if g.group_id.startswith(PREFIX)]
    if args.cleanup:
        for f in (admin.delete_consumer_groups(groups, request_timeout=60).values() if groups else ()):
            f.result(90)
        delete_prefix(admin, PREFIX)
        emit({"cleaned": PREFIX})
        return
    topics = topic_names(PREFIX, args.topics)
    created_topics = ensure_topics(admin, topics, {})
    if created_topics:
        time.sleep(2)
    _fill(admin, topics)
    started = time.perf_counter()
    created_groups = _ensure_groups(admin, topics, args.groups, args.distinct)
    creating_s = round(time.perf_counter() - started, 1)

    from kplan.model.desired import ClusterSpec
    from kplan.session.systems import StackReader

    reader = StackReader(ClusterSpec(BOOTSTRAP, timeout_s=60.0))
    wanted = {t: PARTITIONS for t in topics}
    cuts = {topics[0]: 3_600_000}
    times, found = [], None
    try:
        for _ in range(args.runs):
            t0 = time.perf_counter()
            found = reader.read_consumers(wanted, cuts)
            times.append(time.perf_counter() - t0)
    finally:
        reader.close()
    assert found is not None
    with tempfile.TemporaryDirectory() as tmp:
        # the same stack twice: cutting every topic's retention (the plan reads the groups) and leaving it (no read)
        argv = []
        for name, config in (("cut", {"retention.ms": "1h"}), ("same", {})):
            doc = {"stack": "bench-groups", "cluster": {"bootstrap_servers": BOOTSTRAP, "timeout": "60s"},
                   "topics": [{"name": t, "partitions": PARTITIONS, "replication_factor": 1, "config": config}
                              for t in topics]}
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            argv.append(["kplan.cli", "plan", str(path), "--no-color"])
        cut, same = interleaved_runs(argv, args.runs)
    stamped = sum(len(o) for pos in found.topics.values() for o in pos.timestamps.values())
    emit({
        "benchmark": "consumer_context",
        "groups_on_cluster": len(groups) + created_groups,
        "groups_read": len(found.groups),
        "topics": args.topics, "partitions_each": PARTITIONS, "distinct_positions": args.distinct,
        "timestamps_fetched": stamped,
        "created_now": {"topics": created_topics, "groups": created_groups, "groups_s": creating_s},
        "consumer_context_read": {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
                                  "max_s": round(max(times), 3), "runs_s": [round(t, 3) for t in times]},
        "kplan_plan_retention_cut_every_topic": cut,
        "kplan_plan_no_disruption": same,
    })


if __name__ == "__main__":
    main()
