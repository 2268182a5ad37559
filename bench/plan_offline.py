"""Benchmark: kplan's own work for a no-change plan at a scale the local broker cannot hold (default 100,000 topics).

A single local broker cannot carry 100,000 partitions here: each partition's active segment keeps a file open and
this machine's hard limit is 20,000 open files per process (`ulimit -Hn`), which a non-privileged container cannot
raise. So the cluster reads are measured up to 10,000 topics (plan_scale.py) and this script measures the rest —
loading and validating the stack, diffing it against the live state, rendering the plan — at any N, by planning
against a live-state document (`kplan plan --live-state`, the offline planning the golden tests use) instead of the
cluster. The document is what the cluster read would give: every topic with the overrides the stack declares and
the effective configs the local broker really reports for such a topic (read once from a probe topic).

Times R rounds (default 3) of `kplan plan --live-state --detailed-exitcode` and `kplan validate`, interleaved, each a
whole fresh process, and prints JSON: min/median/max seconds, peak memory (`peak_rss_mib`; `peak_tree_rss_mib` with
any child process), and how long writing the documents took.

    PYTHONPATH=dev .venv/bin/python bench/plan_offline.py [--topics N] [--runs R] [--no-broker]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import yaml
from _common import BOOTSTRAP, emit, interleaved_runs, stack_up, topic_names
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from plan_scale import OVERRIDES, stack_document

PREFIX = "kplanbench-offline"
PER_FILE = 10_000  # topics per member file: a stack file is limited to 5 MiB (a 100,000-topic one is ~14 MiB)
# --no-broker: the 33 effective configs a Kafka 4.x broker reports for a topic with OVERRIDES (its defaults), written
# in instead of read from a probe topic.
TYPICAL_EFFECTIVE = {
    "cleanup.policy": "delete", "compression.type": "producer", "delete.retention.ms": "86400000",
    "file.delete.delay.ms": "60000", "flush.messages": "9223372036854775807", "flush.ms": "9223372036854775807",
    "follower.replication.throttled.replicas": "", "index.interval.bytes": "4096",
    "leader.replication.throttled.replicas": "", "local.retention.bytes": "-2", "local.retention.ms": "-2",
    "max.compaction.lag.ms": "9223372036854775807", "message.timestamp.after.max.ms": "3600000",
    "message.timestamp.before.max.ms": "9223372036854775807", "message.timestamp.type": "CreateTime",
    "min.cleanable.dirty.ratio": "0.5", "min.compaction.lag.ms": "0", "min.insync.replicas": "1",
    "preallocate": "false", "remote.storage.enable": "false", "retention.bytes": "-1", "segment.bytes": "1073741824",
    "segment.index.bytes": "10485760", "segment.jitter.ms": "0", "segment.ms": "604800000",
    "unclean.leader.election.enable": "false", "message.downconversion.enable": "true",
    "compression.gzip.level": "-1", "compression.lz4.level": "9", "compression.zstd.level": "3",
    "remote.log.copy.disable": "false", **OVERRIDES,
}


def broker_effective_configs(admin: AdminClient) -> tuple[str, dict[str, str]]:
    """(cluster id, the effective configs the broker reports for a topic with OVERRIDES), from a probe topic."""
    probe = f"{PREFIX}-probe"
    admin.create_topics([NewTopic(probe, 1, 1, config=dict(OVERRIDES))])[probe].result(60)
    try:
        for _ in range(1200):  # up to 2 minutes: right after a bulk create or delete the broker lags
            try:
                entries = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, probe)])
                found = next(iter(entries.values())).result(30)
                return (admin.describe_cluster().result(30).cluster_id,
                        {k: e.value for k, e in found.items() if e.value is not None})
            except Exception:  # noqa: BLE001 - the probe is not visible yet
                time.sleep(0.1)
        raise SystemExit("the probe topic never became readable")
    finally:
        admin.delete_topics([probe])[probe].result(60)


def live_document(cluster_id: str, topics: list[str], effective: dict[str, str]) -> dict:
    return {"cluster_id": cluster_id, "broker_count": 1,
            "topics": {n: {"partitions": 1, "replication_factor": 1, "overrides": dict(OVERRIDES),
                           "effective": effective} for n in topics},
            "connectors": {}, "connector_plugins": None}


def write_directory_stack(directory: Path, topics: list[str]) -> None:
    """The stack as a directory (docs/stack-format.md): the stack's settings in 00-stack.yaml, the topics in files
    of PER_FILE each."""
    directory.mkdir()
    doc = stack_document(topics, [])
    entries = doc.pop("topics")
    (directory / "00-stack.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for i in range(0, len(entries), PER_FILE):
        (directory / f"{10 + i // PER_FILE:02d}-topics.yaml").write_text(
            yaml.safe_dump({"topics": entries[i:i + PER_FILE]}, sort_keys=False, width=200))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-broker", action="store_true",
                   help="start no broker: the live state holds TYPICAL_EFFECTIVE (a Kafka 4.x broker's) configs")
    args = p.parse_args()
    if args.no_broker:
        cluster_id, effective = "kplanbench-offline-cluster", dict(TYPICAL_EFFECTIVE)
    else:
        # what it uses (the other services would only load the machine); nothing against KPLAN_BOOTSTRAP's cluster,
        # which the test suite's stack is: starting it here would restart its broker with the benchmarks' JIT
        stack_up(("kafka",))
        cluster_id, effective = broker_effective_configs(AdminClient({"bootstrap.servers": BOOTSTRAP}))
    topics = topic_names(PREFIX, args.topics)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        stack, live = Path(tmp) / "stack", Path(tmp) / "live.json"
        write_directory_stack(stack, topics)
        live.write_text(json.dumps(live_document(cluster_id, topics, effective)))
        written_s = time.perf_counter() - start
        plan_argv = ["kplan.cli", "plan", str(stack), "--live-state", str(live), "--detailed-exitcode", "--no-color"]
        validate_argv = ["kplan.cli", "validate", str(stack)]
        plan, validate = interleaved_runs([plan_argv, validate_argv], args.runs)
        sizes = {"stack_mib": round(sum(f.stat().st_size for f in stack.iterdir()) / 2**20, 1),
                 "stack_files": len(list(stack.iterdir())),
                 "live_state_mib": round(live.stat().st_size / 2**20, 1)}
    emit({
        "benchmark": "plan_offline",
        "topics": args.topics,
        "effective_configs_per_topic": len(effective),
        "documents": {**sizes, "written_s": round(written_s, 2)},
        "kplan_plan_live_state": plan,
        "kplan_validate": validate,
    })


if __name__ == "__main__":
    main()
