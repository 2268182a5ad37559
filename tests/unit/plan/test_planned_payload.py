"""The plan's `planned` payload: saved plans round-trip it, apply refuses a plan without it, and it says what apply
does in typed values (no display text to parse)."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from builders import live, ltopic, stack, topic

from kplan.apply.steps import build
from kplan.errors import KplanError
from kplan.kinds.acl.kind import AclPlanned
from kplan.kinds.codec import converter
from kplan.kinds.topic.kind import TopicPlanned
from kplan.model.bindings import AclBinding
from kplan.model.plan import Action, Plan
from kplan.plan.planner import make_plan
from kplan.plan.serialize import plan_from_dict, plan_to_dict
from kplan.render.text import render_text

GOLDEN_PLANS = sorted((Path(__file__).parents[2] / "golden" / "plan").glob("*/plan.json"))


@pytest.mark.parametrize("path", GOLDEN_PLANS, ids=lambda p: p.parent.name)
def test_a_saved_plan_round_trips_its_payload(path):
    doc = json.loads(path.read_text())
    plan = plan_from_dict(doc)
    assert plan_to_dict(plan) == doc
    for c in plan.changes:  # every change apply acts on carries its kind's payload; a no-op none
        assert (c.planned is not None) == c.is_change, c.address


def test_the_payload_holds_typed_values_not_display_text():
    doc = json.loads((Path(__file__).parents[2] / "golden" / "plan" / "reassign" / "plan.json").read_text())
    plan = plan_from_dict(doc)
    moved = [c.planned for c in plan.changes if isinstance(c.planned, TopicPlanned) and c.planned.replicas]
    assert moved and all(isinstance(b, int) for p in moved for r in p.replicas for b in r)


def test_acl_payload_round_trips_exact_bindings():
    b = AclBinding("topic", "prefixed", "orders.", "WRITE", "DENY", "10.0.0.1")
    p = AclPlanned(create=(b,), delete=())
    assert converter().structure(json.loads(json.dumps(converter().unstructure(p))), AclPlanned) == p


def _old(plan: Plan) -> Plan:
    """The plan as a kplan before the payload saved it."""
    doc = plan_to_dict(plan)
    for c in doc["resource_changes"]:
        c.pop("planned", None)
    return plan_from_dict(doc)


def test_a_plan_without_the_payload_is_shown_but_refused_by_apply():
    s, lv = stack([topic("orders", partitions=4)]), live([ltopic("orders", partitions=3)])
    plan = make_plan(s, lv)
    old = _old(plan)
    assert old.changes[0].planned is None and old.changes[0].is_change
    assert "orders" in render_text(old)  # `kplan show` still reads it
    with pytest.raises(KplanError, match=r"^the plan does not say what apply does to topic\.orders .*kplan plan"):
        build(old, s, lv)


def test_apply_builds_the_same_steps_from_a_saved_plan():
    s = stack([topic("orders", partitions=4, config={"retention.ms": "1000"}), topic("new")])
    lv = live([ltopic("orders", partitions=3, overrides={"cleanup.policy": "compact"}), ltopic("gone")],
              owned_topics={"orders", "gone"})
    plan = make_plan(replace(s, authoritative_config=True), lv)
    saved = plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))))
    assert build(saved, s, lv).steps == build(plan, s, lv).steps
    assert {type(x).__name__ for x in build(plan, s, lv).steps} >= {"CreateTopics", "AlterTopicConfigs",
                                                                      "IncreasePartitions", "DeleteTopics"}


def test_a_sensitive_override_is_masked_in_the_payload_and_written_from_the_stack():
    s = stack([topic("orders", config={"secret.key": "s3cr3t-value"})])
    lv = live([ltopic("orders", overrides={"secret.key": "old-s3cr3t"}, sensitive=("secret.key",))])
    plan = make_plan(s, lv)
    assert "s3cr3t" not in json.dumps(plan_to_dict(plan))
    p = plan.changes[0].planned
    assert isinstance(p, TopicPlanned) and p.sensitive == ("secret.key",)
    alter = next(x for x in build(plan, s, lv).steps if type(x).__name__ == "AlterTopicConfigs")
    assert alter.topics["orders"].sets == {"secret.key": "s3cr3t-value"}
    assert alter.overrides_before == {"orders": {"secret.key": "old-s3cr3t"}}


def test_a_no_op_carries_no_payload():
    s, lv = stack([topic("orders")]), live([ltopic("orders")])
    plan = make_plan(s, lv)
    assert plan.changes[0].action == Action.NOOP and plan.changes[0].planned is None
    assert "planned" not in plan_to_dict(plan)["resource_changes"][0]
