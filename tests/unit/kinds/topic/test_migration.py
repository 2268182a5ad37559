"""A topic migration, planned (kplan.kinds.topic.migration): the key's reading, the plan's payload and notes, the old
topic kept, the refusals; and the refusal of a partition decrease pointing at a migration with its stanza."""

from __future__ import annotations

import pytest
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
        "name 'orders.v2' there in this change (apply updates it after the copy and the groups' moves; a sink "
        "connector stopped by an earlier apply resumes where it stopped: docs/migrations.md)")


def test_a_connector_of_the_stack_switched_to_the_new_topic_is_shown_while_the_migration_is_to_run():
    from builders import connector

    sink = connector("archive", {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                                 "topics": "orders.v2", "file": "/tmp/out"})
    declared = stack([topic("orders.v2", partitions=4, rf=1, migrate_from="orders")], [sink])
    plan = make_plan(declared, live([ltopic("orders", partitions=12, rf=1)]))
    (n,) = [d for d in plan.diagnostics if d.code == "migration-connector-switched"]
    assert n.address == "connector.archive" and n.message == (
        "connector 'archive' of the stack names 'orders.v2' in its topics: apply updates it after the copy of "
        "'orders' and the groups' moves")
    done = make_plan(declared, live([ltopic("orders", partitions=12, rf=1), ltopic("orders.v2", partitions=4, rf=1)]))
    assert "migration-connector-switched" not in {d.code for d in done.diagnostics}  # once migrated: nothing to say


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


def test_a_cutover_is_read_planned_shown_and_carried_to_the_copy_step():
    from kplan.apply.steps import build
    from kplan.kinds.topic.migration import Cutover
    from kplan.kinds.topic.steps import MigrateTopic

    facts = SourceFacts(12, 600, 4096, ())
    spec = topic("orders.v2", partitions=4, rf=1, migrate_from="orders", cutover=freeze({"idle": "30s"}))
    state = _with_facts(live([ltopic("orders", partitions=12, rf=1)]), orders=facts)
    plan = make_plan(stack([spec]), state)
    assert plan.change("topic.orders.v2").planned.migration.cutover == Cutover(3600.0, idle_s=30.0)
    (note,) = [d for d in plan.diagnostics if d.code == "topic-migration"]
    assert ("the copy then follows 'orders''s new records until it has had no new record for 30 s, at most 3600 s, "
            "then the groups move" in note.message)
    (step,) = [s for s in build(plan, stack([spec]), state).steps if isinstance(s, MigrateTopic)]
    assert step.cutover == Cutover(3600.0, idle_s=30.0)
    assert step.to_json()["args"]["cutover"] == {"wait_s": 3600.0, "idle_s": 30.0}
    assert "following its new records until it has had no new record for 30 s" in step.describe()


def test_the_section_reads_a_cutover_and_refuses_one_without_a_migration_or_with_both_or_neither_rule():
    where = Loc("stack.yaml", 3, 5)

    def read(name, **keys):
        diags = Diagnostics()
        spec = section.build_topic(name, {"partitions": 4, "replication_factor": 1, **keys}, SourceMap(), diags,
                                   section.Aggregate(), where)
        return spec, [e.message for e in diags.items]

    spec, errors = read("orders.v2", migrate_from="orders", cutover={"at": "2026-12-01T03:00:00+01:00", "wait": "2h"})
    assert not errors and dict(spec.cutover) == {"at": "2026-12-01T03:00:00+01:00", "wait": "2h"}
    from kplan.kinds.topic.migration import cutover_of

    assert cutover_of(spec.cutover).at == "2026-12-01T02:00:00Z" and cutover_of(spec.cutover).wait_s == 7200
    assert section.rendered(spec)["cutover"] == {"at": "2026-12-01T03:00:00+01:00", "wait": "2h"}
    assert read("orders.v2", cutover={"idle": "30s"})[1] == [
        "topic 'orders.v2' declares a cutover but no migrate_from: a cutover ends a migration's copy; name the topic "
        "it replaces in migrate_from, or remove cutover"]
    assert read("orders.v2", migrate_from="orders", cutover={"idle": "30s", "at": "2026-12-01T02:00:00Z"})[1] == [
        "topic 'orders.v2': cutover needs exactly one of idle (how long the old topic must have had no new record) "
        "and at (the time to cut over, e.g. 2026-12-01T02:00:00Z)"]
    assert read("orders.v2", migrate_from="orders", cutover={"at": "2026-12-01T02:00:00"})[1] == [
        "topic 'orders.v2': cutover.at: '2026-12-01T02:00:00' has no time zone: end it with Z (UTC) or an offset such "
        "as +01:00"]
    assert read("orders.v2", migrate_from="orders", cutover={"idle": "soon"})[1] == [
        "topic 'orders.v2': cutover.idle: invalid duration 'soon': use e.g. 500ms, 30s, 15m, 12h, 7d, 2w or a number "
        "of milliseconds"]


def test_a_following_copy_cuts_over_once_the_old_topic_is_idle_and_fails_past_its_wait():
    import io

    import pytest

    from kplan.errors import WriteError
    from kplan.kinds.topic.io import migrate
    from kplan.kinds.topic.migration import Cutover

    class Run:  # the copy under way: copying to a limit moves its positions there
        old, new, timeout_s = "orders", "orders.v2", 5.0
        copied = 0

        def __init__(self):
            self.at = {0: 10, 1: 10}
            self.progress = migrate.CopyProgress("orders", "orders.v2", 20, io.StringIO(), clock=lambda: now[0])

        def to(self, limit, bounded):
            assert not bounded
            self.copied += sum(limit[p] - self.at[p] for p in limit)
            self.at.update(limit)

    now = [0.0]
    ends_seen = iter([{("orders", 0): 12, ("orders", 1): 10}] * 3 + [{("orders", 0): 12, ("orders", 1): 11}] * 100)

    def clock():
        now[0] += 1.0
        return now[0]

    run = Run()
    orig_offsets, orig_sleep = migrate._offsets, migrate.time.sleep
    migrate._offsets = lambda *a, **k: next(ends_seen)
    migrate.time.sleep = lambda s: None
    try:
        start = {("orders", 0): 10, ("orders", 1): 10}
        ends = migrate._follow(run, None, start, Cutover(60.0, idle_s=5.0), clock=clock)
        ends = migrate._follow(run, None, start, Cutover(60.0, idle_s=5.0), clock=clock)
        assert ends == {("orders", 0): 12, ("orders", 1): 11} and run.at == {0: 12, 1: 11} and run.copied == 3
        with pytest.raises(WriteError, match="no cutover after following orders for 60 s"):
            migrate._follow(Run(), None, {("orders", 0): 10, ("orders", 1): 10}, Cutover(60.0, idle_s=1000.0),
                            clock=clock)
    finally:
        migrate._offsets, migrate.time.sleep = orig_offsets, orig_sleep


def test_the_stacks_references_naming_the_old_topic_say_they_do_not_switch_and_what_to_change():
    """`references:` naming the old topic: the topic itself, a connector expected to read it, a principal expected to
    consume it. kplan changes none of them (another stack owns them): each is a warning at the reference, saying so and
    what to change; a reference naming neither topic, or the old one by a prefix, is not one."""
    from builders import lconn

    from kplan.kinds import kind_of
    from kplan.model.desired import Reference
    from kplan.model.source import Origin

    consume, _ = kind_of("acl").expectation({"consume": {"topics": ["orders", "audit"], "groups": ["billing"]}})
    prefixed, _ = kind_of("acl").expectation({"allow": [{"resource": "topic", "name": "prefix:orders",
                                                         "operations": ["READ"]}]})
    refs = (Reference("topic.orders", freeze({}), Origin("stack.yaml", 9)),
            Reference("connector.archive", freeze({"config": freeze({"topics": "audit,orders"})}),
                      Origin("stack.yaml", 11)),
            Reference("acl.User:billing", freeze(consume), Origin("stack.yaml", 14)),
            Reference("acl.User:auditor", freeze(prefixed), Origin("stack.yaml", 18)),
            Reference("topic.audit", freeze({}), Origin("stack.yaml", 21)))
    declared = stack([topic("orders.v2", partitions=4, rf=1, migrate_from="orders")], references=refs)
    state = live([ltopic("orders", partitions=12, rf=1), ltopic("audit", partitions=1, rf=1)],
                 [lconn("archive", config={"topics": "audit,orders"})], owned_topics=[], owned_connectors=[])
    plan = make_plan(declared, state)
    found = [(d.address, d.origin.line, d.message) for d in plan.diagnostics
             if d.code == "migration-reference-on-old-topic"]
    tail = ("('orders' is the topic 'orders.v2' migrates from): kplan never changes a referenced resource, so the "
            "reference does not switch with the migration; ")
    assert found == [
        ("topic.orders", 9, "the stack references topic.orders, the topic itself " + tail + "once the stack's clients "
         "read 'orders.v2', which it declares, drop it"),
        ("connector.archive", 11, "the stack references connector.archive, expecting 'orders' in its topics " + tail
         + "have the stack that owns the connector name 'orders.v2' in its topics (a sink stopped before this "
         "migration's apply resumes where it stopped: docs/migrations.md), then write 'orders.v2' in this reference's "
         "expect"),
        ("acl.User:billing", 14, "the stack references acl.User:billing, expecting DESCRIBE, READ on topic 'orders' "
         + tail + "have the stack that owns the principal's ACLs grant the same on 'orders.v2', then write "
         "'orders.v2' in this reference's expect")]
    assert all(d.severity.value == "warning" for d in plan.diagnostics if d.code == "migration-reference-on-old-topic")


@pytest.mark.parametrize("timeout_s", [5, 60, 61, 300])
def test_the_copys_producer_takes_any_stack_timeout(timeout_s):
    """librdkafka refuses a producer whose socket timeout exceeds its transaction timeout + 100 ms (a stack timeout
    of 300 s failed the copy: "`socket.timeout.ms` must be set <= `transaction.timeout.ms` + 100")."""
    from confluent_kafka import Producer

    from kplan.kinds.topic.io.migrate import producer_config
    from kplan.model.desired import ClusterSpec
    from kplan.transport.kafka import client_config

    conf = producer_config(client_config(ClusterSpec("127.0.0.1:1", timeout_s=timeout_s)), "kplan-migrate-x")
    Producer(conf)  # refused at creation when the timeouts disagree
    assert conf["transaction.timeout.ms"] == max(60_000, timeout_s * 1000)
