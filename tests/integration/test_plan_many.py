"""`kplan plan` over a repository of stacks against the real broker and Connect worker: a tree of stacks (two with
changes on the local cluster, one unchanged, one invalid) planned in one command, the cluster read once for them;
each stack's plan is exactly the one `kplan plan PATH` gives; a changed-files list selects only the stack it
touches (kplan.session.many, docs/ci.md)."""

from __future__ import annotations

import json

import pytest
from kplan_helpers import forget_stack, kplan, stack_doc, write_stack


def topic(name: str, partitions: int = 1, retention: str = "1d") -> dict:
    return {"name": name, "partitions": partitions, "replication_factor": 1, "config": {"retention.ms": retention}}


@pytest.fixture
def tree(stack, admin, prefix, tmp_path):
    """repo/teams/orders (a directory stack), repo/teams/payments.yaml, repo/teams/same.yaml, repo/teams/bad.yaml;
    orders and same applied first, then orders changed; payments never applied."""
    root = tmp_path / "repo"
    (root / "teams" / "orders").mkdir(parents=True)
    names = {s: f"{prefix}-{s}" for s in ("orders", "payments", "same", "bad")}
    orders = stack_doc(stack, names["orders"], [topic(f"{prefix}.orders.v1"), topic(f"{prefix}.orders.dlq")])
    write_stack(root / "teams" / "orders" / "stack.yaml", {k: v for k, v in orders.items() if k != "topics"})
    write_stack(root / "teams" / "orders" / "topics.yaml", {"topics": orders["topics"]})
    write_stack(root / "teams" / "same.yaml", stack_doc(stack, names["same"], [topic(f"{prefix}.same", 2)]))
    for path in ("teams/orders", "teams/same.yaml"):
        r = kplan("apply", str(root / path), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
    write_stack(root / "teams" / "orders" / "topics.yaml", {"topics": [  # a change, a create, a delete
        topic(f"{prefix}.orders.v1", retention="2d"), topic(f"{prefix}.orders.v2")]})
    write_stack(root / "teams" / "payments.yaml", stack_doc(stack, names["payments"], [topic(f"{prefix}.pay")]))
    bad = stack_doc(stack, names["bad"], [topic(f"{prefix}.bad", partitions=0)])
    write_stack(root / "teams" / "bad.yaml", bad)
    yield root
    for name in names.values():
        forget_stack(admin, stack.bootstrap_servers, name)


def test_a_tree_is_planned_in_one_command_each_plan_as_its_own(tree, prefix):
    r = kplan("plan", "--tree", str(tree), "--format", "json", "--detailed-exitcode")
    assert r.code == 1, r.text  # the invalid stack fails the run; the others are planned
    doc = json.loads(r.out)
    by_path = {s["path"].removeprefix(str(tree) + "/"): s for s in doc["stacks"]}
    assert sorted(by_path) == ["teams/bad.yaml", "teams/orders", "teams/payments.yaml", "teams/same.yaml"]
    assert doc["summary"] == {"stacks": 4, "changes": 2, "unchanged": 1, "failed": 1}
    assert by_path["teams/bad.yaml"]["plan"] is None
    assert any("bad.yaml:" in e and "partitions" in e for e in by_path["teams/bad.yaml"]["errors"])
    for path in ("teams/orders", "teams/payments.yaml", "teams/same.yaml"):
        alone = kplan("plan", str(tree / path), "--format", "json")
        assert alone.code == 0, alone.text
        assert by_path[path]["plan"] == json.loads(alone.out), path
    changed = {c["address"]: c["actions"] for c in by_path["teams/orders"]["plan"]["resource_changes"]
               if c["actions"] != ["no-op"]}
    assert changed == {f"topic.{prefix}.orders.v1": ["update"], f"topic.{prefix}.orders.v2": ["create"],
                       f"topic.{prefix}.orders.dlq": ["delete"]}
    assert by_path["teams/same.yaml"]["status"] == "no-changes"
    text = kplan("plan", "--tree", str(tree), "--no-color")
    assert "Stacks: 4 planned: 2 with changes, 1 without changes, 1 failed." in text.out
    assert text.out.count("── ") == 4


def test_a_changed_files_list_selects_only_the_stack_it_touches(tree, tmp_path):
    changed = tmp_path / "changed.txt"
    changed.write_text("teams/orders/topics.yaml\nREADME.md\n")
    r = kplan("plan", "--tree", ".", "--changed-files", str(changed), "--format", "json", "--detailed-exitcode",
              cwd=tree)
    assert r.code == 2, r.text
    doc = json.loads(r.out)
    assert [s["path"] for s in doc["stacks"]] == ["teams/orders"] and doc["summary"]["changes"] == 1
    assert "touch no stack" in r.err
