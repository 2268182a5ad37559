"""A topic migration's copy (`migrate_from:`, docs/migrations.md) against the floor: a plain consumer-to-producer
loop (floor_copy.py) on the same cluster, interleaved in one run.

    PYTHONPATH=dev .venv/bin/python bench/migration_copy.py [--mb 1024] [--record-bytes 1024] [--partitions 12]
                                                            [--to 4] [--runs 3]

Once: an old topic of `--partitions` partitions filled with `--mb` MiB of keyed records (`--record-bytes` each, 10,000
distinct keys). Each round, in turn: the floor copies it into a fresh topic of `--to` partitions, then `kplan apply`
of a stack declaring a fresh topic of `--to` partitions with `migrate_from:` the old one (the new topic created, every
record copied once in transactions with the offset map, no group to move), timed as whole processes; the stack is
destroyed and the topics deleted after each round. Prints the seconds and CPU seconds of each (min / median / max),
the MiB/s, kplan's median over the floor's (`ratio`), and the copy step's own seconds as the apply prints them
(`kplan_copy_step_s`: the rest of kplan's time is its start, plan, topic creation and checks). Issue 70 asks for a
ratio of 1.5 or less at 1 GB."""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _common import BOOTSTRAP, ROOT, cluster_section, delete_prefix, emit, precompile, stack_up, timed


def fill(admin, topic: str, partitions: int, mib: int, record_bytes: int) -> int:
    """The old topic with `mib` MiB of keyed records; the records written."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import NewTopic

    for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(60)
    producer = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 20, "batch.size": 1_000_000,
                         "partitioner": "murmur2_random", "compression.type": "none"})
    rng = random.Random(70)
    value = bytes(rng.getrandbits(8) for _ in range(record_bytes))
    count = mib * 1024 * 1024 // record_bytes
    for i in range(count):
        while True:
            try:
                producer.produce(topic, key=f"key-{i % 10_000:05d}".encode(), value=value, headers={"n": str(i)})
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(300):
        raise SystemExit("the old topic's records were not all acknowledged")
    return count


def new_topic(admin, name: str, partitions: int) -> None:
    from confluent_kafka.admin import NewTopic

    for f in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        f.result(60)


def summary(values: list[float]) -> dict:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3), "max": round(max(values), 3),
            "runs": [round(v, 3) for v in values]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=1024, help="MiB of records in the old topic")
    ap.add_argument("--record-bytes", type=int, default=1024)
    ap.add_argument("--partitions", type=int, default=12, help="the old topic's partitions")
    ap.add_argument("--to", type=int, default=4, help="the new topic's partitions")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    stack_up(("kafka",))
    precompile()
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    prefix = f"kplanbench-copy-{os.getpid()}"
    old = f"{prefix}-old"
    started = time.monotonic()
    records = fill(admin, old, args.partitions, args.mb, args.record_bytes)
    fill_s = time.monotonic() - started
    times: dict[str, list[float]] = {"floor": [], "kplan": []}
    cpus: dict[str, list[float]] = {"floor": [], "kplan": []}
    steps: list[float] = []  # the copy step's own seconds, as the apply prints them
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(args.runs):
                floor_to = f"{prefix}-floor-{r}"
                new_topic(admin, floor_to, args.to)
                t, _, out = timed([str(ROOT / "bench" / "floor_copy.py"), BOOTSTRAP, old, floor_to], cpu=cpus["floor"])
                times["floor"].append(t)
                if f'"records": {records}' not in out:
                    raise SystemExit(f"the floor copied {out.strip()}, not {records} records")
                stack = Path(tmp) / f"s{r}.yaml"
                stack.write_text(yaml.safe_dump({
                    "stack": f"{prefix}-s{r}", "cluster": cluster_section("300s"),
                    "topics": [{"name": f"{prefix}-kplan-{r}", "partitions": args.to, "replication_factor": 1,
                                "migrate_from": old}]}))
                t, _, out = timed(["kplan", "apply", str(stack), "--auto-approve"], cpu=cpus["kplan"])
                times["kplan"].append(t)
                step = re.search(r"copy topic \S+ into \S+ \.\.\. done \(([\d.]+)s\)", out)
                steps.append(float(step.group(1)) if step else float("nan"))
                timed(["kplan", "destroy", str(stack), "--auto-approve"])
                for f in admin.delete_topics([floor_to]).values():  # (the destroy deleted kplan's)
                    f.result(60)
    finally:
        delete_prefix(admin, prefix)
    mib = records * args.record_bytes / 1024 / 1024
    emit({"benchmark": "migration_copy", "records": records, "mib": round(mib, 1), "record_bytes": args.record_bytes,
          "partitions": f"{args.partitions} -> {args.to}", "fill_s": round(fill_s, 1),
          "floor_s": summary(times["floor"]), "kplan_s": summary(times["kplan"]),
          "kplan_copy_step_s": summary(steps), "floor_cpu_s": summary(cpus["floor"]),
          "kplan_cpu_s": summary(cpus["kplan"]),
          "floor_mib_per_s": round(mib / statistics.median(times["floor"]), 1),
          "kplan_mib_per_s": round(mib / statistics.median(times["kplan"]), 1),
          "ratio": round(statistics.median(times["kplan"]) / statistics.median(times["floor"]), 2),
          "load_average": [round(x, 2) for x in os.getloadavg()]})


if __name__ == "__main__":
    sys.exit(main())
