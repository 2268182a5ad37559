"""Benchmark: what the schema registry costs a plan (kplan.kinds.subject.io). There is no batch read, so a plan reads
each subject it declares or owns with four GETs (latest, versions, own level, level in effect), eight subjects at
a time. Prints JSON with min/median/max of: one `GET /subjects/<s>/versions/latest` round trip; `read_subjects`
of N subjects (N = 1, 10, 100 by default; in-process, the read alone: a whole `kplan plan` adds it after its
batched Kafka read); and the plan-time compatibility check of N changed subjects.

    PYTHONPATH=dev .venv/bin/python bench/registry_read.py [--runs R] [--counts 1,10,100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

import requests
from _common import emit

import localstack
from kplan.kinds.subject.io.client import registry_client
from kplan.kinds.subject.io.compat import check_subjects
from kplan.kinds.subject.io.read import read_subjects
from kplan.kinds.subject.kind import live_repr
from kplan.kinds.subject.model import SubjectSpec
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.plan import Action, AttributeChange, AttrKind, Plan, ResourceChange, ResourceType

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
V1 = '{"type":"record","name":"U","namespace":"b","fields":[{"name":"id","type":"long"}]}'
V2 = ('{"type":"record","name":"U","namespace":"b","fields":[{"name":"id","type":"long"},'
      '{"name":"e","type":"string","default":""}]}')


def _stats(values: list[float]) -> dict:
    return {"min_ms": round(min(values), 1), "median_ms": round(statistics.median(values), 1),
            "max_ms": round(max(values), 1), "runs": len(values)}


def _ms(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--counts", default="1,10,100")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    localstack.up()
    url = localstack.REGISTRY_URL
    prefix = f"bench-registry-{uuid.uuid4().hex[:6]}"
    names = [f"{prefix}-{i:04d}" for i in range(max(counts))]
    cluster = ClusterSpec(localstack.BOOTSTRAP, schema_registry_url=url, timeout_s=30)
    http = registry_client(cluster)
    try:
        for n in names:
            requests.post(f"{url}/subjects/{n}/versions", json={"schema": V1}, headers=CT,
                          timeout=30).raise_for_status()
        one = [_ms(lambda: requests.get(f"{url}/subjects/{names[0]}/versions/latest", timeout=30)) for _ in range(20)]
        reads, checks = {}, {}
        for count in counts:
            wanted = names[:count]
            reads[str(count)] = _stats([_ms(lambda: read_subjects(http, wanted)) for _ in range(args.runs)])
            stack = Stack("b", None, cluster, subjects=tuple(SubjectSpec(n, V2) for n in wanted))
            live = read_subjects(http, wanted)[0]  # the plan's live side, as a real plan holds it
            plan = Plan("b", None, "c", changes=tuple(
                ResourceChange(f"subject.{n}", ResourceType.SUBJECT, n, Action.UPDATE, before=live_repr(live[n]),
                               attributes=(AttributeChange(("schema",), AttrKind.UPDATE, "a", "b"),)) for n in wanted))
            checks[str(count)] = _stats([_ms(lambda: check_subjects(http, stack, plan)) for _ in range(args.runs)])
    finally:
        for n in names:
            requests.delete(f"{url}/subjects/{n}", timeout=30)
            requests.delete(f"{url}/subjects/{n}", params={"permanent": "true"}, timeout=30)
        http.close()
    emit({"benchmark": "registry_read", "registry": "Apicurio Registry (local stack)", "get_latest": _stats(one),
          "read_subjects_by_count": reads, "compatibility_check_by_count": checks})


if __name__ == "__main__":
    sys.exit(main())
