"""Plans over a CDC source's life: its schema-history topic is protected by the source, not by the user (destroy
deletes it with the connector and says so; only a user's `protect: true` refuses), deleted connectors have their
offsets reset, newly captured tables are noted once (or warned about when they will not be snapshotted), and
connector names Connect would change are refused. (On the real stack: tests/integration/test_cdc_mariadb.py.)"""

from __future__ import annotations

from dataclasses import replace

from builders import connector, lconn, live, ltopic, stack, topic

from kplan.apply.steps.ownership import ownership_after
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import freeze
from kplan.model.plan import Action, Flag, ResourceType, Severity
from kplan.model.source import Origin
from kplan.plan.planner import make_plan

MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"
HISTORY = "schema-changes.src"


def history(**kw) -> TopicSpec:
    """The schema-history topic the CDC expansion generates for source `src`."""
    return TopicSpec(HISTORY, 1, 3, freeze({"retention.ms": "-1"}),
                     origin=Origin("stack.yaml", 9, cdc_source="src", role="schema-history"), **kw)


def source_connector(**kw):
    return connector("src", config={"connector.class": MARIADB, "schema.history.internal.kafka.topic": HISTORY,
                                    "table.include.list": "shop.a"}, captured_tables=("shop.a",), **kw)


def live_source(**kw):
    return live([ltopic("src.shop.a"), ltopic(HISTORY, partitions=1, overrides={"retention.ms": "-1"})],
                [lconn("src", config={"connector.class": MARIADB, "schema.history.internal.kafka.topic": HISTORY,
                                      "table.include.list": "shop.a"})], **kw)


def declared_source(**connector_kw):
    return stack([topic("src.shop.a"), history()], [source_connector(**connector_kw)])


def codes(plan, severity=None):
    return [d.code for d in plan.diagnostics if severity is None or d.severity == severity]


def test_destroy_deletes_the_schema_history_with_its_connector_and_says_so():
    plan = make_plan(declared_source(), live_source(), destroy=True)
    assert not plan.has_errors, [d.message for d in plan.errors]
    assert sorted(c.address for c in plan.changes if c.action == Action.DELETE) == [
        "connector.src", f"topic.{HISTORY}", "topic.src.shop.a"]
    assert Flag.DATA_LOSS in plan.change(f"topic.{HISTORY}").flags
    (note,) = [d for d in plan.diagnostics if d.code == "cdc-schema-history-deleted"]
    assert note.severity == Severity.WARNING and note.address == f"topic.{HISTORY}"
    assert note.message.startswith(f"DATA LOSS: the schema history of cdc source 'src': topic '{HISTORY}'")
    assert "protect" not in " ".join(d.message for d in plan.diagnostics)


def test_a_record_of_an_older_kplan_that_protected_the_history_does_not_stop_destroy():
    old_record = live_source().with_kind(ResourceType.TOPIC, protected=frozenset({HISTORY}))
    plan = make_plan(declared_source(), old_record, destroy=True)
    assert not plan.has_errors and plan.change(f"topic.{HISTORY}").action == Action.DELETE


def test_the_ownership_record_lists_only_what_the_user_protected():
    st = stack([topic("src.shop.a"), history(), topic("ledger", protect=True)], [source_connector()])
    plan = make_plan(st, live())
    assert ownership_after(plan, st, live(), False).protects("topics") == frozenset({"ledger"})


def test_a_user_protect_on_the_history_topic_still_refuses_destroy():
    st = stack([topic("src.shop.a"), history(protect=True)], [source_connector()])
    plan = make_plan(st, live_source(), destroy=True)
    assert codes(plan, Severity.ERROR) == ["protected"]
    assert plan.change(f"topic.{HISTORY}").action == Action.NOOP


def test_destroy_keeps_the_history_of_a_connector_it_keeps():
    protected = make_plan(declared_source(protect=True), live_source(), destroy=True)
    assert codes(protected, Severity.ERROR) == ["protected"]  # the connector: the user's protection
    assert plan_action(protected, f"topic.{HISTORY}") is None
    assert "cdc-schema-history-kept" in codes(protected, Severity.INFO)

    not_ours = make_plan(declared_source(), live_source(owned_connectors=[]), destroy=True)
    assert not not_ours.has_errors
    assert plan_action(not_ours, f"topic.{HISTORY}") is None and plan_action(not_ours, "connector.src") is None
    assert {"not-owned", "cdc-schema-history-kept"} <= set(codes(not_ours, Severity.INFO))


def test_destroy_deletes_the_history_of_a_connector_that_is_gone():
    gone = live_source().with_kind(ResourceType.CONNECTOR, resources=freeze({}))
    plan = make_plan(declared_source(), gone, destroy=True)
    assert plan_action(plan, f"topic.{HISTORY}") == Action.DELETE and not plan.has_errors


def test_removing_the_whole_source_deletes_its_history_after_the_connector():
    plan = make_plan(stack(), live_source())
    assert plan_action(plan, f"topic.{HISTORY}") == Action.DELETE
    assert plan_action(plan, "connector.src") == Action.DELETE
    assert "cdc-schema-history-deleted" in codes(plan, Severity.WARNING)


def test_removing_tables_never_touches_the_history():
    st = stack([topic("src.shop.b"), history()], [replace(source_connector(), captured_tables=("shop.b",))])
    plan = make_plan(st, live_source())
    assert plan_action(plan, f"topic.{HISTORY}") in (None, Action.NOOP)


def test_the_history_topic_is_never_replaced():
    plan = make_plan(stack([replace(history(allow_replace=True), replication_factor=1)], [source_connector()]),
                     live_source())
    ch = plan.change(f"topic.{HISTORY}")
    assert ch.action != Action.REPLACE and Flag.PROTECTED in ch.flags
    (refusal,) = [d for d in plan.errors if d.code == "replication-factor-change"]
    assert "schema history of cdc source 'src'" in refusal.message


def test_a_deleted_connector_is_said_to_have_its_offsets_reset():
    plan = make_plan(stack(), live(connectors=[lconn("old-sink")]))
    (note,) = [d for d in plan.diagnostics if d.code == "connector-offsets-reset"]
    assert note.address == "connector.old-sink" and "offsets are reset" in note.message
    debezium = make_plan(stack(), live_source(), destroy=False)
    assert "a new snapshot" in next(d.message for d in debezium.diagnostics if d.code == "connector-offsets-reset")


def test_newly_captured_tables_without_snapshot_new_tables_are_warned_about():
    spec = replace(source_connector(), config=freeze({**source_connector().config,
                                                      "table.include.list": "shop.a,shop.b"}),
                   captured_tables=("shop.a", "shop.b"))
    plan = make_plan(stack([topic("src.shop.a"), topic("src.shop.b"), history()], [spec]), live_source())
    (warn,) = [d for d in plan.diagnostics if d.code == "cdc-new-tables-not-snapshotted"]
    assert warn.severity == Severity.WARNING
    assert "shop.b" in warn.message and "shop.a" not in warn.message and "snapshot_new_tables" in warn.message


def test_newly_captured_tables_with_snapshot_new_tables_are_noted_once():
    spec = replace(source_connector(), config=freeze({**source_connector().config,
                                                      "table.include.list": "shop.a,shop.b"}),
                   captured_tables=("shop.a", "shop.b"), snapshot_new_tables=True,
                   signal=freeze({"kind": "kafka", "topic": "src.signal"}))
    plan = make_plan(stack([topic("src.shop.a"), topic("src.shop.b"), history()], [spec]), live_source())
    notes = [d for d in plan.diagnostics if "snapshot" in d.message]
    assert len(notes) == 1 and "shop.b" in notes[0].message


def test_a_connector_name_connect_would_trim_is_refused():
    plan = make_plan(stack(connectors=[connector(" padded ")]), live())
    assert codes(plan, Severity.ERROR) == ["connector-name-spaces"] and plan.changes == ()


def plan_action(plan, address):
    change = plan.change(address)
    return None if change is None else change.action
