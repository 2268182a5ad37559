"""`moved_from:` (issue 43): a renamed connector is one `move` change — stop the old one, create the new one stopped,
copy the offsets, delete the old one, start the new one — never a delete (offsets reset) and a create."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace

from builders import connector, lconn, live, stack

from kplan.apply.steps import build
from kplan.apply.steps.ownership import ownership_after
from kplan.model.plan import Action, Severity
from kplan.model.source import Origin
from kplan.plan.planner import make_plan
from kplan.plan.serialize import plan_from_dict, plan_to_dict
from kplan.render.markdown import render_markdown
from kplan.render.text import render_text
from kplan.stackfile import validate_stack

PG_ID = {"topic.prefix": "shop", "slot.name": "shop", "publication.name": "shop_pub"}


def _codes(plan, severity=None):
    return sorted(d.code for d in plan.diagnostics if severity is None or d.severity == severity)


def test_a_renamed_connector_is_one_move_not_a_delete_and_a_create():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    plan = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]), current)
    (change,) = plan.changes
    assert (change.action, change.address, change.previous_address) == (Action.MOVE, "connector.pg-orders",
                                                                          "connector.pg-src")
    assert change.attributes[0].path == ("name",) and change.attributes[0].before == "pg-src"
    assert plan.summary.move == 1 and plan.summary.destroy == 0 and plan.summary.add == 0
    assert not plan.has_errors and "connector-move" in _codes(plan, Severity.INFO)
    assert "connector-offsets-reset" not in _codes(plan)  # nothing is deleted from scratch
    assert set(plan.fingerprints) == {"connector.pg-orders", "connector.pg-src"}
    text = render_text(plan)
    assert "# connector.pg-orders will be renamed from connector.pg-src, keeping its position" in text
    assert "1 to rename" in text and "renamed from connector.pg-src" in render_markdown(plan)


def test_apply_stops_creates_stopped_copies_deletes_and_starts_in_that_order():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    s = stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")])
    plan = make_plan(s, current)
    steps = build(plan, s, current).steps
    assert [(type(st).__name__, getattr(st, "name", getattr(st, "target", None))) for st in steps] == [
        ("StopConnector", "pg-src"), ("PutConnector", "pg-orders"), ("CopyConnectorOffsets", "pg-orders"),
        ("DeleteConnector", "pg-src"), ("StartConnector", "pg-orders"), ("RecordOwnership", None)]
    put = steps[1]
    assert put.create and put.state.value == "stopped"
    assert steps[3].previous.state == "stopped"  # re-created stopped by its undo; the stop's undo restarts it
    after = ownership_after(plan, s, current, False)
    assert after.owned("connectors") == frozenset({"pg-orders"})


def test_a_saved_move_loads_back_the_same():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    plan = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]), current)
    doc = json.loads(json.dumps(plan_to_dict(plan)))
    (change,) = doc["resource_changes"]
    assert change["previous_address"] == "connector.pg-src" and change["actions"] == ["move"]
    assert change["planned"]["moved_from"] == "pg-src" and doc["summary"]["move"] == 1
    assert plan_from_dict(doc).changes == plan.changes


def test_a_debezium_rename_that_changes_its_identity_is_refused_naming_what_to_keep():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    renamed = {**PG_ID, "slot.name": "pg_orders"}
    plan = make_plan(stack(connectors=[connector("pg-orders", renamed, moved_from="pg-src")]), current)
    (err,) = [d for d in plan.diagnostics if d.code == "move-identity-changes"]
    assert "slot.name (shop -> pg_orders)" in err.message and "keep slot.name: shop" in err.message


def test_a_cdc_source_is_told_the_source_field_to_keep():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    spec = replace(connector("pg-orders", {**PG_ID, "topic.prefix": "pg-orders"}, moved_from="pg-src"),
                   origin=Origin("stack.yaml", 3, cdc_source="pg-orders"))
    (err,) = [d for d in make_plan(stack(connectors=[spec]), current).diagnostics if d.code == "move-identity-changes"]
    assert "keep topic_prefix: shop on cdc source 'pg-orders'" in err.message


def test_another_class_or_an_offsets_request_is_refused():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    other = connector("pg-orders", {**PG_ID, "connector.class": "org.example.Other"}, moved_from="pg-src")
    assert "move-class-changes" in _codes(make_plan(stack(connectors=[other]), current), Severity.ERROR)


def test_once_renamed_moved_from_does_nothing_and_says_so():
    plan = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]),
                     live(connectors=[lconn("pg-orders", PG_ID)]))
    assert [c.action for c in plan.changes] == [Action.NOOP] and "move-done" in _codes(plan, Severity.INFO)


def test_nothing_to_move_creates_from_scratch_with_a_warning():
    plan = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]), live())
    assert [c.action for c in plan.changes] == [Action.CREATE]
    assert "move-source-absent" in _codes(plan, Severity.WARNING)


def test_both_names_taken_or_the_old_one_not_owned_or_still_declared_is_an_error():
    both = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]),
                     live(connectors=[lconn("pg-src", PG_ID), lconn("pg-orders", PG_ID)]))
    assert "move-both-exist" in _codes(both, Severity.ERROR)
    unowned = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]),
                        live(connectors=[lconn("pg-src", PG_ID)], owned_connectors=[]))
    assert "move-not-owned" in _codes(unowned, Severity.ERROR)
    assert not [c for c in unowned.changes if c.action in (Action.MOVE, Action.DELETE)]
    declared = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src"),
                                           connector("pg-src", PG_ID, line=30)]),
                         live(connectors=[lconn("pg-src", PG_ID)]))
    assert "move-declared" in _codes(declared, Severity.ERROR)


def test_destroy_ignores_moved_from():
    current = live(connectors=[lconn("pg-src", PG_ID)])
    plan = make_plan(stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")]), current, destroy=True)
    assert [(c.address, c.action) for c in plan.changes] == [("connector.pg-src", Action.DELETE)]


def test_the_stack_file_says_moved_from_on_connectors_and_cdc_sources(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: s
        cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
        defaults: {topic: {partitions: 1, replication_factor: 1}}
        connectors:
          - name: file-sink-v2
            moved_from: file-sink
            class: org.apache.kafka.connect.file.FileStreamSinkConnector
            config: {topics: t, file: /tmp/x}
          - name: itself
            moved_from: itself
            class: org.apache.kafka.connect.file.FileStreamSinkConnector
            config: {topics: t, file: /tmp/y}
        cdc:
          - name: orders-v2
            moved_from: orders
            engine: postgres
            topic_prefix: orders
            connection: {host: db, port: 5432, user: u, password: "${secret:env:PW}", database: d, slot_name: orders}
            tables: [public.orders]
        """))
    _, diags = validate_stack(path)
    errors = [d for d in diags if d.severity == Severity.ERROR]
    assert len(errors) == 1 and "moved from itself" in errors[0].message and errors[0].origin.line == 9, errors


def test_a_resumed_rename_continues_though_both_names_are_taken():
    """A kill after the new connector was created: `recover --resume` plans the rename again with both names taken;
    the run's journal says it started this rename (kplan.apply.resume.renames_in_flight), so it continues."""
    from kplan.apply.resume import renames_in_flight

    current = live(connectors=[lconn("pg-src", PG_ID, state="STOPPED"), lconn("pg-orders", PG_ID, state="STOPPED")],
                   owned_connectors=["pg-src"])
    s = stack(connectors=[connector("pg-orders", PG_ID, moved_from="pg-src")])
    first = make_plan(s, live(connectors=[lconn("pg-src", PG_ID)]))
    journal = [{**st.to_json(), "status": "started"} for st in build(first, s, live(connectors=[
        lconn("pg-src", PG_ID)])).steps[:2]]
    renames = renames_in_flight(journal)
    assert renames == {("connector.pg-src", "connector.pg-orders")}
    assert "move-both-exist" in _codes(make_plan(s, current), Severity.ERROR)  # not resumed: refused
    plan = make_plan(s, current, renames_before=renames)
    (change,) = plan.changes
    assert change.action == Action.MOVE and not plan.has_errors
    steps = build(plan, s, current).steps
    put = steps[1]
    assert not put.create and put.state.value == "stopped" and put.set_state  # written, kept stopped
    assert [type(st).__name__ for st in steps][2:] == ["CopyConnectorOffsets", "DeleteConnector", "StartConnector",
                                                        "RecordOwnership"]
