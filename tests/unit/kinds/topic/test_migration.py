"""A topic migration, planned (kplan.kinds.topic.migration): the key's reading, the plan's payload and notes, the old
topic kept, the refusals; and the refusal of a partition decrease pointing at a migration with its stanza."""

from __future__ import annotations

from builders import live, ltopic, stack, topic

from kplan.kinds.topic import section
from kplan.kinds.topic.migration import GroupPosition, MigrationFacts, SourceFacts, copy_passes
from kplan.model.desired import freeze
from kplan.model.diagnostics import Diagnostics
from kplan.model.plan import Action, ResourceType
from kplan.model.source import Loc, SourceMap
from kplan.plan.planner import make_plan


def _with_facts(state, **sources):
    return state.with_kind(ResourceType.TOPIC, facts=MigrationFacts(freeze(sources)))


def test_a_migration_is_a_create_carrying_what_moves_and_the_old_topic_is_kept():
    facts = SourceFacts(12, 600, 4096, (GroupPosition("billing", freeze({0: 5})),))
    plan = make_plan(stack([topic("orders.v2", partitions=4, rf=1, migrate_from="orders")]),
                     _with_facts(live([ltopic("orders", partitions=12, rf=1)]), orders=facts))
    new = plan.change("topic.orders.v2")
    assert new.action == Action.CREATE
    m = new.planned.migration
    assert (m.source, m.partitions_from, m.records, m.bytes) == ("orders", 12, 600, 4096)
    assert [g.group for g in m.groups] == ["billing"]
    assert plan.change("topic.orders") is None  # owned, undeclared, but kept: not deleted
    assert {d.code for d in plan.diagnostics} == {"topic-migration", "migration-source-kept"}
    assert not plan.has_errors


def test_once_the_new_topic_exists_no_migration_is_planned_and_the_old_one_is_still_kept():
    plan = make_plan(stack([topic("orders.v2", partitions=4, rf=1, migrate_from="orders")]),
                     live([ltopic("orders", partitions=12, rf=1), ltopic("orders.v2", partitions=4, rf=1)]))
    assert plan.change("topic.orders.v2").action == Action.NOOP
    assert plan.change("topic.orders") is None
    assert [d.code for d in plan.diagnostics] == ["migration-source-kept"]


def test_without_migrate_from_the_old_topic_is_deleted_by_a_later_apply():
    plan = make_plan(stack([topic("orders.v2", partitions=4, rf=1)]),
                     live([ltopic("orders", partitions=12, rf=1), ltopic("orders.v2", partitions=4, rf=1)]))
    assert plan.change("topic.orders").action == Action.DELETE


def test_refusals_a_missing_old_topic_two_into_one_and_the_old_topic_still_declared():
    missing = make_plan(stack([topic("orders.v2", migrate_from="orders")]), live([]))
    assert [d.code for d in missing.diagnostics if d.severity.value == "error"] == ["migration-source-missing"]
    twice = make_plan(stack([topic("a", migrate_from="orders"), topic("b", migrate_from="orders")]),
                      live([ltopic("orders")]))
    assert "migration-twice" in [d.code for d in twice.diagnostics]
    declared = make_plan(stack([topic("orders"), topic("orders.v2", migrate_from="orders")]),
                         live([ltopic("orders")]))
    assert "migration-source-declared" in [d.code for d in declared.diagnostics]


def test_a_partition_decrease_says_a_migration_can_do_it_with_the_stanza():
    plan = make_plan(stack([topic("orders", partitions=3)]), live([ltopic("orders", partitions=6)]))
    (refusal,) = [d for d in plan.diagnostics if d.code == "partition-decrease"]
    assert "a migration can do it without losing a record" in refusal.message
    assert "`migrate_from: orders`" in refusal.message and "`partitions: 3`" in refusal.message


def test_the_section_reads_migrate_from_and_refuses_a_topic_migrating_from_itself():
    diags = Diagnostics()
    where = Loc("stack.yaml", 3, 5)
    spec = section.build_topic("orders.v2", {"partitions": 4, "replication_factor": 1, "migrate_from": "orders"},
                               SourceMap(), diags, section.Aggregate(), where)
    assert spec is not None and spec.migrate_from == "orders" and not diags.has_errors
    section.build_topic("orders", {"partitions": 4, "replication_factor": 1, "migrate_from": "orders"},
                        SourceMap(), diags, section.Aggregate(), where)
    assert [e.message for e in diags.items] == [
        "topic 'orders' cannot migrate from itself: name the topic it replaces in migrate_from"]


def test_a_long_copy_prints_records_rate_and_time_left_at_most_every_few_seconds():
    import io

    from kplan.kinds.topic.io.migrate import CopyProgress

    now = [0.0]
    out = io.StringIO()
    progress = CopyProgress("orders", "orders.v2", 10_000, out, clock=lambda: now[0])
    progress(2_000)  # within the first second: nothing
    now[0] = 2.0
    progress(4_000)
    now[0] = 3.0
    progress(6_000)  # within EVERY_S of the last line: nothing
    assert out.getvalue() == ("copy orders -> orders.v2: 4,000 of about 10,000 records, 2,000 records/s, about 3 s "
                              "left\n")


def test_a_connector_of_the_stack_still_on_the_old_topic_is_named_with_what_to_do():
    from builders import connector

    sink = connector("archive", {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                                 "topics": "audit, orders", "file": "/tmp/out"})
    plan = make_plan(stack([topic("orders.v2", partitions=4, rf=1, migrate_from="orders")], [sink]),
                     live([ltopic("orders", partitions=12, rf=1)]))
    (w,) = [d for d in plan.diagnostics if d.code == "migration-connector-on-old-topic"]
    assert w.address == "connector.archive" and w.message == (
        "connector 'archive' of the stack still names 'orders', which topic 'orders.v2' migrates from, in its topics: "
        "kplan does not switch it; name 'orders.v2' there in this change (docs/migrations.md)")


def test_the_copy_stops_at_each_groups_positions_in_turn_so_no_group_reads_a_record_twice():
    # no group: one pass to the end; groups ordered by how far they read, each pass at the least of those left
    assert copy_passes({}, 3) == []
    early, late = {0: 0, 1: 1, 2: 2}, {0: 20, 1: 21, 2: 22}
    assert copy_passes({"late": late, "early": early}, 3) == [early, late]
    assert copy_passes({"a": early, "b": dict(early)}, 3) == [early]  # the same positions: one pass
    # a group ahead on one partition and behind on another: each pass at the least of the groups left (never past a
    # group's position: it may read records again, never miss one); a pass at the beginning is none
    assert copy_passes({"a": {0: 5, 1: 0}, "b": {0: 0, 1: 9}}, 2) == [{0: 0, 1: 9}]
    assert copy_passes({"a": {0: 5, 1: 2}, "b": {0: 1, 1: 9}}, 2) == [{0: 1, 1: 2}, {0: 1, 1: 9}]
    assert copy_passes({"new": {}}, 2) == []  # a group with nothing committed there reads all: nothing to put first
