"""Owner totals against the real broker (docs/policy.md, "Owner totals"): a stack of two owners where one is over its
partition total fails `kplan plan` with exit 1 and ONE located line, and still shows the other owner's totals;
fixed, the plan passes and shows both owners' totals, apply creates it, and `kplan status` shows the same totals
lines (text and JSON) without counting them: in sync, exit 0 — also once the policy's limit is lowered under what
the cluster already has (the plan's error, not a state of the cluster)."""

from __future__ import annotations

import json

from kplan_helpers import kplan, stack_doc, write_stack

POLICY = "rules:\n  - rule: owner-max-partitions\n    max: 6\n    message: ask the platform team for more\n"


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_an_owner_over_its_partition_total_fails_the_plan_and_status_shows_every_owners_totals(
        stack, admin, prefix, tmp_path):
    (tmp_path / "platform.yaml").write_text(POLICY)

    def write(big: int):
        topics = [{"name": f"{prefix}.a-big", "owner": "team-a", "partitions": big, "replication_factor": 1},
                  {"name": f"{prefix}.a-small", "owner": "team-a", "partitions": 3, "replication_factor": 1},
                  {"name": f"{prefix}.b-orders", "owner": "team-b", "partitions": 2, "replication_factor": 1}]
        doc = stack_doc(stack, prefix, topics)
        doc["policy"] = {"files": ["platform.yaml"]}
        return write_stack(tmp_path / "s.yaml", doc)

    path = write(5)
    at = f"{path}:{_line_of(path, f'name: {prefix}.a-big')}"
    small = f"{path}:{_line_of(path, f'name: {prefix}.a-small')}"
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1, r.text
    errors = [line for line in r.out.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {at}:3: owner team-a has 8 partitions, more than the limit of 6; the largest: topic.{prefix}.a-big 5 "
        f"({at}), topic.{prefix}.a-small 3 ({small}); ask the platform team for more (policy rule "
        f"owner-max-partitions at {tmp_path}/platform.yaml:2)"], r.out
    assert "Info: owner team-a: 8 partitions of 6 (over)\nInfo: owner team-b: 2 partitions of 6\n" in r.out
    assert "Plan failed: 1 error; nothing can be applied." in r.out

    path = write(3)  # fixed: 6 of 6
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 0, r.text
    assert "Info: owner team-a: 6 partitions of 6\nInfo: owner team-b: 2 partitions of 6\n" in r.out, r.out
    assert "Error:" not in r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    assert [(d["code"], d["message"]) for d in doc["diagnostics"]] == [
        ("owner-totals", "owner team-a: 6 partitions of 6"), ("owner-totals", "owner team-b: 2 partitions of 6")]
    assert doc["summary"]["errors"] == 0 and doc["summary"]["warnings"] == 0
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text

    r = kplan("status", str(path), "--no-color")
    assert r.code == 0, r.text
    assert "Info: owner team-a: 6 partitions of 6\nInfo: owner team-b: 2 partitions of 6\n" in r.out, r.out
    assert "3 resources: 3 in sync" in r.out, r.out

    (tmp_path / "platform.yaml").write_text(POLICY.replace("max: 6", "max: 6\n    limits: {team-a: 4}"))
    r = kplan("status", str(path), "--format", "json")
    assert r.code == 0, r.text  # over the limit: the plan's error, never drift
    report = json.loads(r.out)
    assert report["in_sync"] and report["summary"]["errors"] == 0
    assert [n["message"] for n in report["notes"]] == ["owner team-a: 6 partitions of 4 (over)",
                                                       "owner team-b: 2 partitions of 6"]
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1, r.text
    assert [line.split(";")[0] for line in r.out.splitlines() if line.startswith("Error:")] == [
        f"Error: {at}:3: owner team-a has 6 partitions, more than the limit of 4"], r.out


def test_a_plan_filtered_to_one_owner_shows_that_owners_totals_only(stack, prefix, tmp_path):
    """`kplan plan --owner X`: X's totals line, no other owner's; another owner's error stays (the plan cannot be
    applied), its warning goes with its totals."""
    (tmp_path / "platform.yaml").write_text(POLICY + "  - rule: owner-max-topics\n    max: 1\n    severity: warning\n")
    topics = [{"name": f"{prefix}.a-big", "owner": "team-a", "partitions": 5, "replication_factor": 1},
              {"name": f"{prefix}.a-small", "owner": "team-a", "partitions": 3, "replication_factor": 1},
              {"name": f"{prefix}.b-orders", "owner": "team-b", "partitions": 2, "replication_factor": 1}]
    doc = stack_doc(stack, prefix, topics)
    doc["policy"] = {"files": ["platform.yaml"]}
    path = write_stack(tmp_path / "s.yaml", doc)

    r = kplan("plan", str(path), "--no-color", "--owner", "team-b")
    assert r.code == 1, r.text  # team-a's partition total is over: an error, shown whoever's view it is
    assert "Info: owner team-b: 2 partitions of 6, 1 topic of 1\n" in r.out, r.out
    assert "owner team-a:" not in r.out and "owner team-a has 2 topics" not in r.out, r.out
    assert [line.split(";")[0] for line in r.out.splitlines() if line.startswith(("Error:", "Warning:"))] == [
        f"Error: {path}:{_line_of(path, f'name: {prefix}.a-big')}:3: owner team-a has 8 partitions, more than the "
        "limit of 6"], r.out

    r = kplan("plan", str(path), "--format", "json", "--owner", "team-a")
    notes = [(d["severity"], d["code"], d["message"], d["path"]) for d in json.loads(r.out)["diagnostics"]]
    assert notes == [
        ("info", "owner-totals", "owner team-a: 8 partitions of 6 (over), 2 topics of 1 (over)", ["owner", "team-a"]),
        ("error", "policy:owner-max-partitions", notes[1][2], ["owner", "team-a"]),
        ("warning", "policy:owner-max-topics", notes[2][2], ["owner", "team-a"])], r.out
