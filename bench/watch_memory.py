"""Benchmark: the memory of a long `kplan watch` (issue 59): S stacks x T topics under one --tree, watched for R
rounds; the watcher's resident memory after each round, read from its own metrics (`process_resident_memory_bytes`,
prometheus-client's process collector) with the round counter of the same scrape. Prints JSON: the memory after
the first round, after the warm-up, at the end and at most, its growth per round over the rounds after the warm-up
(least squares), every 10th round's, and the rounds' durations. Flat means: the later rounds' memory no higher than
the earlier ones' (allocator arenas and librdkafka's buffers settle over the first rounds).

    PYTHONPATH=dev .venv/bin/python bench/watch_memory.py [--stacks 100] [--topics 50] [--rounds 50] [--cleanup]

The broker's JIT does not matter to the watcher's memory: the benchmark keeps the local broker as it runs
(KPLAN_STACK_JIT=c1 unless set).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KPLAN_STACK_JIT", "c1")

import requests  # noqa: E402
import yaml  # noqa: E402
from _common import ROOT, cluster_section, delete_prefix, emit, ensure_topics, stack_up  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

PREFIX = "kplanbench-watch"


def _scrape(url: str) -> tuple[float, float, float]:
    """(rounds finished, resident bytes, the last round's seconds) from one scrape."""
    text = requests.get(url, timeout=30).text
    values = {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}
    return (values.get("kplan_watch_rounds_total", 0.0), values["process_resident_memory_bytes"],
            values.get("kplan_watch_round_duration_seconds", 0.0))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stacks", type=int, default=100)
    p.add_argument("--topics", type=int, default=50, help="topics per stack")
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5, help="rounds before the growth is measured")
    p.add_argument("--interval", default="1s")
    p.add_argument("--cleanup", action="store_true", help="delete the benchmark's topics and exit")
    args = p.parse_args()
    stack_up(("kafka",))
    bootstrap = cluster_section()["bootstrap_servers"]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if args.cleanup:
        delete_prefix(admin, PREFIX)
        return
    names = {s: [f"{PREFIX}-s{s:03d}-t{t:03d}" for t in range(args.topics)] for s in range(args.stacks)}
    ensure_topics(admin, [n for topics in names.values() for n in topics], {"retention.ms": "86400000"})
    with tempfile.TemporaryDirectory(prefix="kplan-watch-bench-") as tree:
        for s, topics in names.items():
            d = Path(tree) / f"s{s:03d}"
            d.mkdir()
            (d / "stack.yaml").write_text(yaml.safe_dump({
                "stack": f"{PREFIX}-s{s:03d}", "cluster": {"bootstrap_servers": bootstrap, "timeout": "60s"},
                "topics": [{"name": n, "partitions": 1, "replication_factor": 1,
                            "config": {"retention.ms": "1d"}} for n in topics]}, sort_keys=False))
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "kplan"), "watch", "--tree", tree, "--interval",
                                 args.interval, "--metrics-addr", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            url = line.split("metrics on ", 1)[1].split()[0].rstrip(",")
            samples: dict[int, tuple[float, float]] = {}
            deadline = time.monotonic() + 3600
            while len(samples) < args.rounds and time.monotonic() < deadline:
                rounds, rss, seconds = _scrape(url)
                if rounds >= 1 and int(rounds) not in samples:
                    samples[int(rounds)] = (rss, seconds)
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(30)
    order = sorted(samples)
    after = [r for r in order if r > args.warmup]
    mib = {r: samples[r][0] / 2**20 for r in order}
    slope = 0.0
    if len(after) > 1:
        mean_r, mean_m = statistics.fmean(after), statistics.fmean(mib[r] for r in after)
        slope = sum((r - mean_r) * (mib[r] - mean_m) for r in after) / sum((r - mean_r) ** 2 for r in after)
    durations = [samples[r][1] for r in order]
    emit({"benchmark": "watch_memory", "stacks": args.stacks, "topics_per_stack": args.topics,
          "rounds_seen": len(order), "interval": args.interval,
          "rss_mib": {"after_round_1": round(mib[order[0]], 1),
                      "after_warmup": round(mib[after[0]], 1) if after else None,
                      "end": round(mib[order[-1]], 1), "max": round(max(mib.values()), 1)},
          "growth_kib_per_round_after_warmup": round(slope * 1024, 1),
          # every 10th round's memory: flat, or still growing at the end?
          "rss_mib_every_10_rounds": {r: round(mib[r], 1) for r in order if r % 10 == 0},
          "round_s": {"min": round(min(durations), 3), "median": round(statistics.median(durations), 3),
                      "max": round(max(durations), 3)},
          "python": sys.version.split()[0]})


if __name__ == "__main__":
    main()
