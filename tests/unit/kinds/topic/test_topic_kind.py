"""Topic diffing: actions, partitions, replication factor, config against effective values, drift."""

from __future__ import annotations

from builders import live, ltopic, stack, topic

from kplan.model.plan import Action, AttrKind, Flag
from kplan.plan.planner import make_plan


def plan_one(spec, current=None, **kw):
    plan = make_plan(stack([spec], **kw.pop("stack_kw", {})), live([current] if current else [], **kw))
    return plan, plan.change(f"topic.{spec.name}")


def attr(change, *path):
    return next((a for a in change.attributes if a.path == path), None)


def codes(plan):
    return [d.code for d in plan.diagnostics]


def test_create_lists_every_declared_attribute():
    plan, ch = plan_one(topic(partitions=6, config={"retention.ms": "86400000"}))
    assert ch.action == Action.CREATE and ch.before is None
    assert ch.after == {"name": "orders", "partitions": 6, "replication_factor": 3,
                        "config": {"retention.ms": "86400000"}}
    assert [a.path for a in ch.attributes] == [("partitions",), ("replication_factor",), ("config", "retention.ms")]
    assert all(a.kind == AttrKind.ADD for a in ch.attributes)
    assert plan.fingerprints == {"topic.orders": "absent"}
    assert not plan.has_errors


def test_matching_topic_is_a_no_op_with_unchanged_count():
    plan, ch = plan_one(topic(config={"retention.ms": "1d"}),
                        ltopic(overrides={"retention.ms": "86400000"}))
    assert ch.action == Action.NOOP
    assert ch.attributes == ()
    assert ch.unchanged_attributes == 3  # partitions, replication factor, retention.ms
    assert not plan.has_changes and plan.fingerprints == {}


def test_declared_value_equal_to_inherited_effective_value_is_not_a_change():
    plan, ch = plan_one(topic(config={"cleanup.policy": "delete"}),
                        ltopic(effective={"cleanup.policy": "delete"}))
    assert ch.action == Action.NOOP


def test_declared_value_differing_from_inherited_value_adds_an_override():
    _, ch = plan_one(topic(config={"retention.ms": "86400000"}),
                     ltopic(effective={"retention.ms": "604800000"}))
    a = attr(ch, "config", "retention.ms")
    assert ch.action == Action.UPDATE
    assert (a.kind, a.before, a.after, a.note) == (AttrKind.ADD, "604800000", "86400000", "inherited")
    assert ch.after["config"] == {"retention.ms": "86400000"}


def test_changed_override_is_an_update():
    _, ch = plan_one(topic(config={"retention.ms": "86400000"}), ltopic(overrides={"retention.ms": "3600000"}))
    a = attr(ch, "config", "retention.ms")
    assert (a.kind, a.before, a.after) == (AttrKind.UPDATE, "3600000", "86400000")


def test_values_are_compared_after_normalization():
    _, ch = plan_one(topic(config={"retention.ms": "7d", "unclean.leader.election.enable": "FALSE"}),
                     ltopic(overrides={"retention.ms": "604800000", "unclean.leader.election.enable": "false"}))
    assert ch.action == Action.NOOP


def test_set_valued_configs_ignore_order():
    _, ch = plan_one(topic(config={"cleanup.policy": "delete,compact"}),
                     ltopic(overrides={"cleanup.policy": "compact,delete"}))
    assert ch.action == Action.NOOP


def test_undeclared_override_is_drift_left_alone():
    plan, ch = plan_one(topic(), ltopic(overrides={"segment.ms": "3600000"}))
    a = attr(ch, "config", "segment.ms")
    assert ch.action == Action.NOOP
    assert a.kind == AttrKind.DRIFT and not a.changed
    assert Flag.DRIFT in ch.flags and plan.summary.drift == 1
    assert ch.after["config"] == {"segment.ms": "3600000"}


def test_authoritative_topic_plans_removal_of_undeclared_overrides():
    _, ch = plan_one(topic(authoritative_config=True), ltopic(overrides={"segment.ms": "3600000"}))
    a = attr(ch, "config", "segment.ms")
    assert ch.action == Action.UPDATE and a.kind == AttrKind.REMOVE and a.before == "3600000"
    assert ch.after["config"] == {}
    assert Flag.DRIFT not in ch.flags


def test_authoritative_stack_plans_removal_too():
    _, ch = plan_one(topic(), ltopic(overrides={"segment.ms": "3600000"}),
                     stack_kw={"authoritative_config": True})
    assert attr(ch, "config", "segment.ms").kind == AttrKind.REMOVE


def test_a_topics_own_false_wins_over_the_authoritative_stack():
    plan, ch = plan_one(topic(authoritative_config=False), ltopic(overrides={"segment.ms": "3600000"}),
                        stack_kw={"authoritative_config": True})
    a = attr(ch, "config", "segment.ms")
    assert ch.action == Action.NOOP and a.kind == AttrKind.DRIFT and not a.changed
    assert Flag.DRIFT in ch.flags and plan.summary.drift == 1
    assert ch.after["config"] == {"segment.ms": "3600000"}


def test_a_topic_that_does_not_say_follows_the_stack():
    for stack_wide, kind in ((True, AttrKind.REMOVE), (False, AttrKind.DRIFT)):
        _, ch = plan_one(topic(authoritative_config=None), ltopic(overrides={"segment.ms": "3600000"}),
                         stack_kw={"authoritative_config": stack_wide})
        assert attr(ch, "config", "segment.ms").kind == kind


def test_partition_increase_is_an_irreversible_update_with_a_warning():
    plan, ch = plan_one(topic(partitions=12), ltopic(partitions=6))
    a = attr(ch, "partitions")
    assert ch.action == Action.UPDATE
    assert (a.kind, a.before, a.after) == (AttrKind.UPDATE, 6, 12)
    assert Flag.IRREVERSIBLE in ch.flags
    assert codes(plan) == ["partition-increase"] and not plan.has_errors
    assert "different partition" in plan.diagnostics[0].message
    assert ch.after["partitions"] == 12


def test_partition_decrease_is_refused_with_an_explanation():
    plan, ch = plan_one(topic(partitions=3), ltopic(partitions=6))
    assert attr(ch, "partitions").kind == AttrKind.REFUSED
    assert Flag.REFUSED in ch.flags and ch.action == Action.NOOP
    assert plan.has_errors and codes(plan) == ["partition-decrease"]
    msg = plan.errors[0].message
    assert "cannot remove partitions" in msg and "allow_replace" in msg
    assert plan.errors[0].origin.file == "stack.yaml"


def test_replication_factor_change_is_refused():
    plan, ch = plan_one(topic(rf=2), ltopic(rf=3))
    assert attr(ch, "replication_factor").kind == AttrKind.REFUSED
    assert codes(plan) == ["replication-factor-change"]
    assert "reassignment" in plan.errors[0].message


def test_refusal_does_not_hide_other_changes():
    plan, ch = plan_one(topic(rf=2, config={"retention.ms": "1000"}), ltopic(rf=3))
    assert ch.action == Action.UPDATE and plan.has_errors
    assert attr(ch, "config", "retention.ms").kind == AttrKind.ADD


def test_partition_decrease_with_allow_replace_is_a_replacement_with_data_loss():
    plan, ch = plan_one(topic(partitions=3, allow_replace=True, config={"retention.ms": "1000"}),
                        ltopic(partitions=6, overrides={"segment.ms": "3600000"}))
    assert ch.action == Action.REPLACE
    assert Flag.DATA_LOSS in ch.flags
    assert attr(ch, "partitions").forces_replacement
    # a new topic has only the declared overrides
    assert attr(ch, "config", "segment.ms").kind == AttrKind.REMOVE
    assert ch.after == {"name": "orders", "partitions": 3, "replication_factor": 3, "config": {"retention.ms": "1000"}}
    assert not plan.has_errors and "replace-data-loss" in codes(plan)
    s = plan.summary
    assert (s.add, s.change, s.destroy) == (1, 0, 1)


def test_replication_factor_change_with_allow_replace_is_a_replacement():
    _, ch = plan_one(topic(rf=2, allow_replace=True), ltopic(rf=3))
    assert ch.action == Action.REPLACE and attr(ch, "replication_factor").forces_replacement


def test_partition_increase_during_replacement_is_not_flagged_irreversible():
    _, ch = plan_one(topic(partitions=12, rf=2, allow_replace=True), ltopic(partitions=6, rf=3))
    assert ch.action == Action.REPLACE and Flag.IRREVERSIBLE not in ch.flags


def test_protected_topic_is_never_replaced():
    plan, ch = plan_one(topic(partitions=3, allow_replace=True, protect=True), ltopic(partitions=6))
    assert ch.action == Action.NOOP and {Flag.REFUSED, Flag.PROTECTED} <= ch.flags
    assert "protected" in plan.errors[0].message


def test_replication_factor_above_broker_count_is_an_error_on_create():
    plan, _ = plan_one(topic(rf=3), broker_count=1)
    assert codes(plan) == ["replication-factor-exceeds-brokers"]


def test_replication_factor_is_not_rechecked_for_an_existing_topic():
    plan, _ = plan_one(topic(rf=3), ltopic(rf=3), broker_count=1)
    assert not plan.has_errors


def test_existing_topic_not_owned_is_flagged_adopt():
    _, ch = plan_one(topic(), ltopic(), owned_topics=[])
    assert Flag.ADOPT in ch.flags and ch.action == Action.NOOP


def test_sensitive_live_config_is_masked():
    _, ch = plan_one(topic(config={"x.secret": "new"}), ltopic(overrides={"x.secret": "old"}, sensitive=["x.secret"]))
    a = attr(ch, "config", "x.secret")
    assert a.sensitive and a.before == "(sensitive)" and a.after == "(sensitive)"
    assert ch.before["config"]["x.secret"] == "(sensitive)"
    assert ("config", "x.secret") in ch.sensitive_paths


def test_hidden_sensitive_live_value_is_not_compared():
    _, ch = plan_one(topic(config={"x.secret": "v"}),
                     ltopic(overrides={"x.secret": None}, sensitive=["x.secret"]))
    assert ch.action == Action.NOOP


def test_diagnostic_format_is_one_line():
    from kplan.model.plan import error

    d = error("first line\n  second line\n", "x", address="topic.a", path=("config", "k"))
    assert d.format() == "Error: topic.a.config.k: first line second line"
