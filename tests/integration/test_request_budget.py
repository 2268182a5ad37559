"""The request budget (issue 55): what a create of 1,000 topics, a no-change plan, a one-key change and a destroy ask
of Kafka, Connect, the schema registry and the database, and how often they sleep, counted on the real stack
(tests/integration/counting_kplan.py) and compared with tests/integration/request_budget.json, site by site.

Deterministic, not timed: a request or a sleep added on one of these paths is a new site or a higher count, and
fails here the day it is written, whatever the machine's speed. A site that polls until the cluster shows what was
written (the budget's `polls`, each with why) may ask more than once and sleep in between; it must still ask at
least once, and a new one fails like any new site. A count that fell fails too, until the budget is lowered:
the file says what the paths cost today (bench/README.md, The request budget, lists it with why each is there).

`REQUEST_BUDGET_WRITE=1` rewrites the budget from this run (keeping `polls`): for a change that means to ask
more or less, reviewed in its diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kplan_helpers import ROOT, cleanup_pg_source, run_env, write_stack

import localstack

pytestmark = pytest.mark.serial  # Connect's answers must not be another test's rebalance: the counts are exact

BUDGET = Path(__file__).with_name("request_budget.json")
COUNTER = Path(__file__).with_name("counting_kplan.py")
TOPICS = 1000
PATHS = ("create", "no-change plan", "one-key change", "destroy")


def _doc(stack, prefix: str, sink_file: Path, retention: str) -> dict:
    topics = [{"name": f"{prefix}.t{i:04d}", "partitions": 1, "replication_factor": 1,
               "config": {"retention.ms": retention if i == 0 else "1d"}} for i in range(TOPICS)]
    return {
        "stack": prefix,
        "cluster": {"bootstrap_servers": stack.bootstrap_servers, "connect_url": stack.connect_url, "timeout": "30s",
                    "schema_registry": {"url": stack.schema_registry_url}},
        "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
        "topics": topics,
        "connectors": [{"name": f"{prefix}-sink", "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": "1",
            "topics": f"{prefix}.t0001", "file": str(sink_file)}}],
        "subjects": [{"name": f"{prefix}-value", "schema": json.dumps(
            {"type": "record", "name": "Budget", "fields": [{"name": "id", "type": "long"}]})}],
        "cdc": [{"name": f"{prefix}-pg", "engine": "postgres", "topic_prefix": prefix.replace("-", "_"),
                 "schema": "public", "snapshot_mode": "no_data", "tables": ["products"],
                 "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                                "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}",
                                "database": localstack.PG_DATABASE}}],
    }


def _counted(tmp_path: Path, polls: dict, name: str, *args: str) -> tuple[int, str, dict]:
    """(exit code, output, {site: {what: count}}) of one counted kplan run."""
    out = tmp_path / f"{name.replace(' ', '-')}.json"
    env = run_env({"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD})
    r = subprocess.run([sys.executable, str(COUNTER), "--out", str(out), "--polls", ",".join(polls), "--", *args],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    return r.returncode, r.stdout + r.stderr, json.loads(out.read_text())["counts"]


def _released(admin, prefix: str) -> None:
    """Until the metadata drops the released lock: the next path's plan would otherwise read the lock's topic."""
    deadline = time.monotonic() + 60
    while f"__kplan_lock.{prefix}" in admin.list_topics(timeout=20).topics and time.monotonic() < deadline:
        time.sleep(0.2)


def compare(budget: dict, polls: dict, seen: dict) -> list[str]:
    """Every difference between the budget of one path and what its run asked, one line each. A poll asks until the
    cluster shows what it waits for, sleeping in between, or once for each of what the cluster has (its share
    groups: none on a fresh cluster): what it asks, itself or through the functions it calls (`SITE <- POLL`),
    follows what it finds; only a kind of request it was never budgeted for is reported."""
    problems = []
    for site in sorted(set(budget) | set(seen)):
        want, got = budget.get(site, {}), seen.get(site, {})
        if " <- " in site:
            continue
        for what in sorted(set(want) | set(got)):
            w, g = want.get(what, 0), got.get(what, 0)
            if site in polls and (what == "sleep" or w > 0):
                continue
            if g > w:
                problems.append(f"{site}: {what} {w} -> {g} (grew{'; a new site' if site not in budget else ''})")
            elif g < w:
                problems.append(f"{site}: {what} {w} -> {g} (fell: lower the budget)")
    return problems


def test_the_four_paths_ask_what_the_budget_says(stack, admin, unique, tmp_path):
    prefix = unique("budget")
    doc = json.loads(BUDGET.read_text())
    v1 = write_stack(tmp_path / "v1.yaml", _doc(stack, prefix, tmp_path / "sink.txt", "7d"))
    v2 = write_stack(tmp_path / "v2.yaml", _doc(stack, prefix, tmp_path / "sink.txt", "14d"))
    seen: dict[str, dict] = {}
    polls = doc["polls"]
    try:
        code, text, seen["create"] = _counted(tmp_path, polls, "create", "apply", str(v1), "--auto-approve")
        assert code == 0 and "Apply complete!" in text, text[-3000:]
        _released(admin, prefix)
        code, text, seen["no-change plan"] = _counted(tmp_path, polls, "plan", "plan", str(v1), "--detailed-exitcode")
        assert code == 0 and "No changes." in text, text[-3000:]
        code, text, seen["one-key change"] = _counted(tmp_path, polls, "change", "apply", str(v2), "--auto-approve")
        assert code == 0 and "Resources: 0 added, 1 changed, 0 destroyed" in text, text[-3000:]
        _released(admin, prefix)
        code, text, seen["destroy"] = _counted(tmp_path, polls, "destroy", "destroy", str(v2), "--auto-approve")
        assert code == 0 and "Destroy complete!" in text, text[-3000:]
    finally:
        cleanup_pg_source(admin, stack.connect_url, prefix.replace("-", "_"), f"{prefix}-pg")
    if os.environ.get("REQUEST_BUDGET_WRITE") == "1":
        BUDGET.write_text(json.dumps({"polls": doc["polls"], **{p: seen[p] for p in PATHS}}, indent=1)
                          + "\n")
    problems = [f"{path}: {line}" for path in PATHS for line in compare(doc[path], doc["polls"], seen[path])]
    assert not problems, "the request budget (tests/integration/request_budget.json) differs:\n" + "\n".join(problems)
