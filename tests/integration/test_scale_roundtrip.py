"""A 1,000-topic stack end to end on the real stack, in CI's time: `kplan apply` creates every topic, `kplan plan`
right after says "No changes" (detailed exit code 0: the read right after the bulk create is consistent), and
`kplan destroy` removes every one of them. Each phase's wall time is printed (run with -s); speed itself is
measured by the benchmarks under bench/, not asserted here."""

from __future__ import annotations

import time

import pytest
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

pytestmark = pytest.mark.serial  # creates and deletes 1,000 topics at once on the broker every other test uses

# 1,000 (2,000 until 2026-11-26): one create request either way (3,999 metadata records; 7,999 at 2,000; the
# controller takes 10,000 per request), so the same code runs; at 2,000 it was the serial stage's longest test (65-104
# s of CI's critical path). Size is `make scale-test`'s (25,000 partitions in batches, killed, rolled back, resumed).
COUNT = 1000
CONFIGS = ({}, {"retention.ms": "1d"}, {"cleanup.policy": "compact"}, {"retention.ms": "7d", "compression.type": "lz4"})


def _listed(admin, prefix: str) -> set[str]:
    return {n for n in admin.list_topics(timeout=30).topics if n.startswith(prefix)}


def test_apply_plan_destroy_round_trip_of_1000_topics(stack, admin, prefix, tmp_path):
    names = [f"{prefix}.t{i:05d}" for i in range(COUNT)]
    topics = [{"name": n, "partitions": 1 + i % 3, "replication_factor": 1, "config": dict(CONFIGS[i % len(CONFIGS)])}
              for i, n in enumerate(names)]
    doc = stack_doc(stack, prefix, topics)
    doc["cluster"]["timeout"] = "60s"
    path = write_stack(tmp_path / "s.yaml", doc)
    times: dict[str, float] = {}

    started = time.monotonic()
    r = kplan("apply", str(path), "--auto-approve")
    times["apply"] = time.monotonic() - started
    assert r.code == 0, r.text[-3000:]
    assert f"Apply complete! Resources: {COUNT} added, 0 changed, 0 destroyed." in r.out, r.out[-2000:]
    assert _listed(admin, prefix) == set(names)

    started = time.monotonic()
    r = kplan("plan", str(path), "--detailed-exitcode")
    times["plan"] = time.monotonic() - started
    assert r.code == 0, r.text[-3000:]
    assert "No changes." in r.out

    started = time.monotonic()
    r = kplan("destroy", str(path), "--auto-approve")
    times["destroy"] = time.monotonic() - started
    assert r.code == 0, r.text[-3000:]
    assert f"{COUNT} destroyed" in r.out, r.out[-2000:]
    wait_for(lambda: not _listed(admin, prefix), timeout=60, what="every topic unlisted")
    times["gone"] = time.monotonic() - started
    print(f"round trip of {COUNT} topics: apply {times['apply']:.1f} s, plan {times['plan']:.1f} s, destroy "
          f"{times['destroy']:.1f} s, all unlisted {times['gone']:.1f} s after the destroy started")
