"""Whole-plan behaviour: ownership-guarded deletions, destroy, protect, internal topics, ordering, summary."""

from __future__ import annotations

from builders import connector, lconn, live, ltopic, stack, topic

from kplan.model.plan import Action, Flag
from kplan.plan.planner import make_plan


def addresses(plan, action=None):
    return [c.address for c in plan.changes if action is None or c.action == action]


def test_owned_resource_removed_from_the_stack_is_deleted():
    plan = make_plan(stack(), live([ltopic("old")], [lconn("old-conn")]))
    assert addresses(plan, Action.DELETE) == ["topic.old", "connector.old-conn"]
    t = plan.change("topic.old")
    assert t.after is None and Flag.DATA_LOSS in t.flags and t.reason == "removed from the stack"
    assert plan.summary.destroy == 2


def test_resources_not_owned_are_never_deleted():
    plan = make_plan(stack(), live([ltopic("theirs")], [lconn("theirs")], owned_topics=[], owned_connectors=[]),
                     )
    assert plan.changes == () and not plan.has_changes


def test_owned_but_already_gone_is_ignored():
    plan = make_plan(stack(), live(owned_topics=["gone"], owned_connectors=["gone"]))
    assert plan.changes == ()


def test_internal_topics_are_never_touched():
    names = ["__consumer_offsets", "__kplan_ownership", "connect-offsets"]
    plan = make_plan(stack(), live([ltopic(n) for n in names]))
    assert plan.changes == ()


def test_declaring_an_internal_topic_is_an_error():
    plan = make_plan(stack([topic("__consumer_offsets")]), live())
    assert [d.code for d in plan.errors] == ["reserved-topic"] and plan.changes == ()


def test_destroy_deletes_owned_stack_resources_only():
    plan = make_plan(
        stack([topic("a"), topic("b"), topic("absent")], [connector("c")]),
        live([ltopic("a"), ltopic("b"), ltopic("extra")], [lconn("c")], owned_topics=["a", "extra"]),
        destroy=True,
    )
    assert addresses(plan, Action.DELETE) == ["topic.a", "topic.extra", "connector.c"]
    assert plan.change("topic.b") is None  # exists but another stack or a person created it
    # (c is a Debezium PostgreSQL connector: what it leaves in the database is named, with the SQL)
    assert [d.code for d in plan.diagnostics] == ["not-owned", "connector-offsets-reset", "cdc-database-objects-left"]
    assert plan.destroy and plan.change("topic.a").reason == "destroy"


def test_destroy_refuses_protected_resources_naming_them():
    plan = make_plan(stack([topic("keep", protect=True)], [connector("c", protect=True)]),
                     live([ltopic("keep")], [lconn("c")]), destroy=True)
    assert [d.code for d in plan.errors] == ["protected", "protected"]
    assert "'keep'" in plan.errors[0].message and "'c'" in plan.errors[1].message
    ch = plan.change("topic.keep")
    assert ch.action == Action.NOOP and {Flag.PROTECTED, Flag.REFUSED} <= ch.flags


def test_destroy_of_nothing_is_no_changes():
    plan = make_plan(stack([topic("a")]), live(), destroy=True)
    assert not plan.has_changes and not plan.has_errors


def test_connector_needing_a_deleted_topic_is_an_error():
    plan = make_plan(stack([], [connector("c", requires_topics=("old", "missing", "there"))]),
                     live([ltopic("old"), ltopic("there", )], [lconn("c")], owned_topics=["old"]))
    msgs = [d.message for d in plan.errors]
    assert len(msgs) == 2
    assert "'old', which is planned for deletion" in msgs[0]
    assert "'missing', which is neither declared nor on the cluster" in msgs[1]


def test_required_topic_outside_the_read_subset_counts_as_existing():
    plan = make_plan(stack([], [connector("c", requires_topics=("elsewhere",))]),
                     live(all_topic_names=["elsewhere"]))
    assert not plan.has_errors


def test_topic_name_collision_with_the_cluster():
    plan = make_plan(stack([topic("a.b")]), live(all_topic_names=["a_b"]))
    assert [d.code for d in plan.errors] == ["topic-name-collision"]


def test_topic_name_collision_within_the_stack():
    plan = make_plan(stack([topic("a.b"), topic("a_b")]), live())
    assert [d.code for d in plan.errors] == ["topic-name-collision"]


def test_duplicate_declarations_are_errors():
    plan = make_plan(stack([topic("a"), topic("a")]), live())
    assert "duplicate-resource" in [d.code for d in plan.errors]


def test_order_is_topics_then_connectors_by_name():
    plan = make_plan(stack([topic("z"), topic("a")], [connector("y"), connector("b")]),
                     live([ltopic("m")]))
    assert addresses(plan) == ["topic.a", "topic.m", "topic.z", "connector.b", "connector.y"]


def test_diagnostics_follow_resource_order():
    plan = make_plan(stack([topic("z", partitions=1), topic("a", partitions=1)]),
                     live([ltopic("z", partitions=2), ltopic("a", partitions=2)]))
    assert [d.address for d in plan.diagnostics] == ["topic.a", "topic.z"]


def test_summary_counts_terraform_style():
    plan = make_plan(
        stack([topic("new"), topic("grow", partitions=6), topic("same"),
               topic("swap", partitions=1, allow_replace=True)]),
        live([ltopic("grow"), ltopic("same"), ltopic("swap", partitions=2), ltopic("old")]),

    )
    s = plan.summary
    assert (s.add, s.change, s.destroy, s.unchanged) == (2, 1, 2, 1)


def test_plan_metadata_and_fingerprints_cover_changes_only():
    plan = make_plan(stack([topic("new"), topic("same")]), live([ltopic("same")]))
    assert (plan.stack, plan.environment, plan.cluster_id, plan.inputs_digest) == \
        ("shop", "prod", "cluster-1", "d" * 64)
    assert plan.fingerprints == {"topic.new": "absent"}


def test_make_plan_is_deterministic():
    args = (stack([topic("b"), topic("a", config={"retention.ms": "1"})], [connector("c")]),
            live([ltopic("a", overrides={"x.y": "1"}), ltopic("gone")], [lconn("c", config={"k": "v"})]))
    assert make_plan(*args) == make_plan(*args)


def _cdc(prune: bool):
    return connector("pg", config={"topic.prefix": "demo"}, captured_tables=("public.users",), prune_tables=prune)


def test_cdc_table_topic_removed_from_the_list_is_kept_unless_pruning():
    state = live([ltopic("demo.public.users"), ltopic("demo.public.gone"), ltopic("other")], [lconn("pg")])
    kept = make_plan(stack([topic("demo.public.users")], [_cdc(False)]), state)
    assert addresses(kept, Action.DELETE) == ["topic.other"]
    assert [d.code for d in kept.diagnostics if d.code == "cdc-topic-kept"] == ["cdc-topic-kept"]
    pruned = make_plan(stack([topic("demo.public.users")], [_cdc(True)]), state)
    assert addresses(pruned, Action.DELETE) == ["topic.demo.public.gone", "topic.other"]
