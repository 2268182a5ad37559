"""Owners, descriptions and labels (kplan.model.metadata): loaded once for every kind, kept in the ownership record
(old records read as before), an update-metadata change that apply turns into the record step only, the record
after apply, `kplan plan --owner/--label` (a view that says what it hides), the plan JSON round trip, and a
multi-cluster plan narrowed per cluster."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kplan.apply.steps import build
from kplan.apply.steps.ownership import ownership_after
from kplan.kinds.livejson import live_state_from_dict
from kplan.model.metadata import EMPTY, Meta, meta_of, parse_labels
from kplan.model.ownership import Ownership
from kplan.model.plan import Action
from kplan.plan.planner import make_plan
from kplan.plan.select import select, select_all
from kplan.plan.serialize import plan_from_dict, plan_to_dict
from kplan.render import render
from kplan.stackfile import StackError, load_stack

ROOT = Path(__file__).resolve().parents[3]

STACK = {
    "stack": "shop",
    "cluster": {"bootstrap_servers": "k:9092"},
    "defaults": {"owner": "team-platform", "labels": {"cost-center": "1000"},
                 "topic": {"partitions": 3, "replication_factor": 1}},
    "topics": [
        {"name": "orders", "owner": "team-orders", "labels": {"tier": "gold"}, "description": "orders"},
        {"name": "audit"},
    ],
    "quotas": [{"user": "app", "owner": "team-orders", "producer_byte_rate": 1024}],
}


TOPICS_ONLY = {k: v for k, v in STACK.items() if k != "quotas"}


def _load(tmp_path, doc=STACK):
    p = tmp_path / "stack.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_stack(p, environ={})


def _live(metadata=None, topics=("orders", "audit")):
    return live_state_from_dict({
        "cluster_id": "c", "broker_count": 1,
        "topics": {t: {"partitions": 3, "replication_factor": 1, "overrides": {}, "effective": {}} for t in topics},
        "owned_topics": list(topics), "metadata": metadata or {}})


def test_entries_inherit_the_stacks_owner_and_merge_labels_key_by_key(tmp_path):
    stack = _load(tmp_path)
    assert stack.meta("topics", "orders") == Meta("team-orders", "orders", {"cost-center": "1000", "tier": "gold"})
    assert stack.meta("topics", "audit") == Meta("team-platform", None, {"cost-center": "1000"})
    assert stack.meta("quotas", "user=app").owner == "team-orders"  # a kind's section, with no code of its own
    assert meta_of({"labels": {"a": "1"}}, Meta("x", None, {"a": "0", "b": "2"})).labels == {"a": "1", "b": "2"}


def test_a_bad_label_key_or_a_multi_line_owner_is_one_located_line(tmp_path):
    doc = {**STACK, "topics": [{"name": "orders", "owner": "a\nb", "labels": {"bad key": "x"}}]}
    with pytest.raises(StackError) as e:
        _load(tmp_path, doc)
    lines = [d.located() for d in e.value.diagnostics]
    assert len(lines) == 2 and all("stack.yaml:" in line for line in lines), lines
    assert any("owner" in line for line in lines) and any("bad key" in line for line in lines), lines


def test_old_records_stay_readable_and_the_metadata_round_trips():
    old = {"topics": ["orders"], "connectors": [], "protected_topics": [], "protected_connectors": [], "sensitive": {}}
    assert Ownership.from_json(old).metadata == {}
    assert "metadata" not in Ownership.from_json(old).to_json()  # a stack without metadata keeps its record's form
    record = Ownership(names={"topics": frozenset({"orders"})}, metadata={"topic.orders": Meta("t", None, {"k": "v"})})
    assert Ownership.from_json(json.loads(json.dumps(record.to_json()))) == record


def test_a_label_only_change_is_update_metadata_and_apply_writes_only_the_record(tmp_path):
    stack = _load(tmp_path, TOPICS_ONLY)
    recorded = {"topic.orders": {"owner": "team-orders", "description": "orders",
                                 "labels": {"cost-center": "1000", "tier": "silver"}},
                "topic.audit": {"owner": "team-platform", "labels": {"cost-center": "1000"}}}
    live = _live(recorded)
    plan = make_plan(stack, live)
    by = {c.address: c for c in plan.changes}
    assert by["topic.orders"].action == Action.METADATA and not by["topic.orders"].is_change
    assert [(a.path, a.before, a.after) for a in by["topic.orders"].attributes] == [
        (("metadata", "labels", "tier"), "silver", "gold")]
    assert by["topic.audit"].action == Action.NOOP and plan.has_changes and plan.summary.metadata == 1
    steps = build(plan, stack, live).steps
    assert [type(s).kind for s in steps] == ["record-ownership"]
    assert ownership_after(plan, stack, live, False).metadata["topic.orders"].labels["tier"] == "gold"
    applied = _live({a: m.to_json() for a, m in ownership_after(plan, stack, live, False).metadata.items()})
    assert make_plan(stack, applied).has_changes is False  # applied: "No changes"


def test_an_adopted_resource_takes_its_metadata_into_the_record_with_its_ownership_no_change_of_its_own(tmp_path):
    """What `kplan import --from topicctl` writes (descriptions, labels) of topics kplan does not own yet: the plan
    says "No changes" and the adoption note names the metadata; apply records both."""
    stack = _load(tmp_path, TOPICS_ONLY)
    live = live_state_from_dict({
        "cluster_id": "c", "broker_count": 1,
        "topics": {t: {"partitions": 3, "replication_factor": 1, "overrides": {}, "effective": {}}
                   for t in ("orders", "audit")}})
    plan = make_plan(stack, live)
    assert plan.has_changes is False and {c.action for c in plan.changes} == {Action.NOOP}
    assert plan.change("topic.orders").meta.description == "orders"
    text = render(plan, "text")
    assert "No changes." in text
    assert ("2 existing resources match the stack but are not yet recorded as owned by it; the next apply records "
            "ownership and the owner, description and labels declared for 2 of them (nothing else changes).") in text
    after = ownership_after(plan, stack, live, False)
    assert after.metadata["topic.orders"] == stack.meta("topics", "orders")
    assert make_plan(stack, _live({a: m.to_json() for a, m in after.metadata.items()})).has_changes is False


def test_the_record_drops_what_the_plan_deletes_and_keeps_what_it_does_not_touch(tmp_path):
    stack = _load(tmp_path, {**TOPICS_ONLY, "topics": [STACK["topics"][0]]})
    live = _live({"topic.audit": {"owner": "gone"}, "topic.orders": {"owner": "x"}, "topic.nowhere": {"owner": "y"}})
    plan = make_plan(stack, live)
    assert plan.change("topic.audit").action == Action.DELETE
    assert plan.change("topic.audit").meta.owner == "gone"  # the recorded owner: the PR comment says whose it is
    after = ownership_after(plan, stack, live, False).metadata
    assert set(after) == {"topic.orders"} and after["topic.orders"].owner == "team-orders"


def test_select_keeps_one_owners_changes_and_counts_what_it_hides(tmp_path):
    plan = make_plan(_load(tmp_path), _live())
    narrowed = select(plan, "team-orders", {})
    assert [c.address for c in narrowed.changes] == ["topic.orders", "quota.user=app"]
    assert (narrowed.selection.hidden_changes, narrowed.selection.hidden_resources) == (1, 1)
    text = render(narrowed, "text")
    assert "Filtered to owner team-orders: 1 change of other resources hidden" in text
    assert [c.address for c in select(plan, None, {"tier": "gold"}).changes] == ["topic.orders"]
    assert parse_labels(("a=b", "c=")) == {"a": "b", "c": ""}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_labels(("nolabel",))


def test_an_owner_or_label_no_resource_has_is_an_error_with_the_nearest(tmp_path):
    plan = make_plan(_load(tmp_path), _live())
    (typo,) = select_all([plan], "team-ordrs", {})
    assert [d.message for d in typo.errors] == [
        '--owner team-ordrs: no resource of the plan has this owner (did you mean "team-orders"?)']
    (label,) = select_all([plan], None, {"tier": "glod"})
    assert [d.message for d in label.errors] == [
        '--label tier=glod: no resource of the plan has this label (did you mean "tier=gold"?)']
    empty = make_plan(_load(tmp_path, {**TOPICS_ONLY, "topics": [{**TOPICS_ONLY["topics"][0], "owner": "team-x"}]}),
                      _live())
    assert not any(p.has_errors for p in select_all([plan, empty], "team-x", {}))  # one of the plans has it
    (both,) = select_all([plan], "team-platform", {"tier": "gold"})
    assert not both.has_errors and not both.changes  # each exists, on no resource together: an empty view


def test_the_plan_json_carries_metadata_and_the_selection_and_reads_back(tmp_path):
    plan = select(make_plan(_load(tmp_path), _live()), "team-orders", {})
    doc = plan_to_dict(plan)
    schema = json.loads((ROOT / "kplan" / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(doc, schema)
    change = doc["resource_changes"][0]
    assert change["owner"] == "team-orders" and change["labels"] == {"cost-center": "1000", "tier": "gold"}
    back = plan_from_dict(json.loads(json.dumps(doc)))
    assert back.selection == plan.selection and back.changes[0].meta == plan.changes[0].meta
    assert "owner" not in plan_to_dict(make_plan(_load(tmp_path, {**TOPICS_ONLY, "defaults": {
        "topic": {"partitions": 3, "replication_factor": 1}}, "topics": [{"name": "x"}]}), _live(
        topics=())))["resource_changes"][0]  # additive: absent without metadata


def test_markdown_groups_by_owner_with_no_owner_last(tmp_path):
    doc = {**STACK, "defaults": {"topic": {"partitions": 3, "replication_factor": 1}},
           "topics": [{"name": "a"}, {"name": "b", "owner": "zeta"}, {"name": "c", "owner": "alpha"}]}
    doc.pop("quotas")
    md = render(make_plan(_load(tmp_path, doc), _live(topics=())), "markdown")
    heads = [line for line in md.splitlines() if line.startswith("####")]
    assert heads == ["#### Owner `alpha`: 1 resource", "#### Owner `zeta`: 1 resource", "#### No owner: 1 resource"]


def test_an_empty_meta_is_the_default():
    assert EMPTY.empty and Meta.from_json({"owner": "x"}).to_json() == {"owner": "x"}
    assert Meta("t", None, {"a": "1"}).matches("t", {"a": "1"}) and not Meta("t").matches("u")
