"""Connector diffing: key-by-key strings, Connect's `name`, secrets by digest, placeholders, states, health."""

from __future__ import annotations

import pytest
from builders import PG, SECRET, connector, lconn, live, stack

from kplan.model.plan import Action, AttrKind, Flag
from kplan.plan.planner import make_plan
from kplan.stackfile.references import resolve_stack_secrets

ENV = {"PG_PASSWORD": SECRET}


def plan_one(spec, current=None, environ=ENV, **kw):
    st = stack(connectors=[spec])
    plan = make_plan(st, live(connectors=[current] if current else [], **kw),
                     secrets=resolve_stack_secrets(st, environ))
    return plan, plan.change(f"connector.{spec.name}")


def attr(change, *path):
    return next((a for a in change.attributes if a.path == path), None)


def test_create_connector():
    plan, ch = plan_one(connector(config={"database.hostname": "db"}, state="paused"))
    assert ch.action == Action.CREATE
    assert ch.after["state"] == "paused" and ch.after["config"]["database.hostname"] == "db"
    assert attr(ch, "state").after == "paused"


def test_name_added_by_connect_is_ignored():
    _, ch = plan_one(connector(), lconn())
    assert ch.action == Action.NOOP and "name" not in ch.before["config"]
    assert ch.unchanged_attributes == 3  # connector.class, tasks.max, state


def test_changed_added_and_removed_keys():
    _, ch = plan_one(connector(config={"a": "1", "b": "2"}), lconn(config={"a": "0", "c": "3"}))
    assert ch.action == Action.UPDATE
    assert (attr(ch, "config", "a").kind, attr(ch, "config", "a").before) == (AttrKind.UPDATE, "0")
    assert attr(ch, "config", "b").kind == AttrKind.ADD
    assert attr(ch, "config", "c").kind == AttrKind.REMOVE  # Connect replaces the whole config


def test_values_are_compared_as_strings():
    _, ch = plan_one(connector(config={"tasks.max": "1"}), lconn(config={"tasks.max": "01"}))
    assert attr(ch, "config", "tasks.max").kind == AttrKind.UPDATE


def test_config_provider_placeholders_are_compared_unresolved():
    ref = "${file:/etc/kafka/secrets.properties:pg.password}"
    _, ch = plan_one(connector(config={"database.password": ref}), lconn(config={"database.password": ref}))
    assert ch.action == Action.NOOP


def test_secret_equal_to_live_value_is_unchanged():
    _, ch = plan_one(connector(config={"database.password": "${secret:env:PG_PASSWORD}"}),
                     lconn(config={"database.password": SECRET}))
    assert ch.action == Action.NOOP
    assert ("config", "database.password") in ch.sensitive_paths
    assert ch.before["config"]["database.password"] == "(sensitive)"
    assert ch.after["config"]["database.password"] == "${secret:env:PG_PASSWORD}"


def test_changed_secret_is_an_update_that_never_shows_the_value():
    _, ch = plan_one(connector(config={"database.password": "${secret:env:PG_PASSWORD}"}),
                     lconn(config={"database.password": "old-plaintext"}))
    a = attr(ch, "config", "database.password")
    assert ch.action == Action.UPDATE and a.sensitive and a.changed
    assert a.before == "(sensitive)" and a.after == "${secret:env:PG_PASSWORD}"
    assert SECRET not in repr(ch) and "old-plaintext" not in repr(ch)


def test_plaintext_secret_in_the_stack_is_masked_on_both_sides():
    _, ch = plan_one(connector(config={"database.password": SECRET}), lconn(config={"database.password": "x"}))
    a = attr(ch, "config", "database.password")
    assert (a.before, a.after) == ("(sensitive)", "(sensitive)") and a.changed
    assert SECRET not in repr(ch)


def test_declared_sensitive_keys_are_masked():
    _, ch = plan_one(connector(config={"my.opaque": "v2"}, sensitive_keys=frozenset({"my.opaque"})),
                     lconn(config={"my.opaque": "v1"}))
    a = attr(ch, "config", "my.opaque")
    assert a.sensitive and (a.before, a.after) == ("(sensitive)", "(sensitive)")


def test_unresolvable_secret_is_an_error_naming_the_variable_not_a_value():
    plan, ch = plan_one(connector(config={"database.password": "${secret:env:NOPE}"}),
                        lconn(config={"database.password": SECRET}), environ={})
    assert plan.has_errors
    d = plan.errors[0]
    assert d.code == "secret-unresolved" and "NOPE" in d.message and SECRET not in d.message
    assert attr(ch, "config", "database.password") is None  # not compared


def test_state_change_is_an_update():
    _, ch = plan_one(connector(state="paused"), lconn(state="RUNNING"))
    a = attr(ch, "state")
    assert ch.action == Action.UPDATE and (a.before, a.after) == ("running", "paused")


def test_stopped_vs_paused():
    _, ch = plan_one(connector(state="stopped"), lconn(state="PAUSED"))
    assert attr(ch, "state").after == "stopped"


def test_failed_connector_wanted_running_is_unhealthy_not_a_change():
    plan, ch = plan_one(connector(), lconn(state="FAILED"))
    assert ch.action == Action.NOOP and Flag.UNHEALTHY in ch.flags
    assert [d.code for d in plan.diagnostics] == ["connector-unhealthy"]


def test_failed_task_is_unhealthy():
    _, ch = plan_one(connector(), lconn(state="RUNNING", tasks=["RUNNING", "FAILED"]))
    assert Flag.UNHEALTHY in ch.flags and ch.action == Action.NOOP


def test_failed_connector_wanted_paused_is_planned_to_pause():
    _, ch = plan_one(connector(state="paused"), lconn(state="FAILED"))
    assert attr(ch, "state").after == "paused" and Flag.UNHEALTHY in ch.flags


def test_missing_status_is_not_compared():
    plan, ch = plan_one(connector(state="paused"), lconn(state=None))
    assert ch.action == Action.NOOP
    assert [d.code for d in plan.diagnostics] == ["connector-state-unknown"]


def test_restart_on_change_flag():
    _, ch = plan_one(connector(config={"a": "2"}, restart_on_change=True), lconn(config={"a": "1"}))
    assert Flag.RESTART in ch.flags


def test_unknown_connector_class_is_an_error():
    plan, _ = plan_one(connector(config={"connector.class": "com.example.Missing"}), plugins=[PG])
    assert [d.code for d in plan.errors] == ["unknown-connector-class"]
    assert "com.example.Missing" in plan.errors[0].message


FILE_PLUGINS = ["org.apache.kafka.connect.file.FileStreamSinkConnector",
                "org.apache.kafka.connect.file.FileStreamSourceConnector", PG]


@pytest.mark.parametrize("cls", ["org.apache.kafka.connect.file.FileStreamSinkConnector", "FileStreamSinkConnector",
                                 "FileStreamSink", "PostgresConnector", "Postgres"])
def test_connector_class_aliases_are_resolved_as_connect_does(cls):
    """Connect accepts the class, its simple name, and the simple name without "Connector"."""
    plan, _ = plan_one(connector(config={"connector.class": cls}), plugins=FILE_PLUGINS)
    assert not plan.has_errors, [d.message for d in plan.errors]


@pytest.mark.parametrize("cls", ["FileStream", "filestreamsink", "file.FileStreamSinkConnector", "Sink",
                                 "org.apache.kafka.connect.file.FileStreamSink"])
def test_what_is_not_an_alias_is_still_not_installed(cls):
    plan, _ = plan_one(connector(config={"connector.class": cls}), plugins=FILE_PLUGINS)
    assert [d.code for d in plan.errors] == ["unknown-connector-class"]


def test_an_alias_two_plugins_share_is_not_resolved():
    plugins = ["com.a.JdbcSinkConnector", "com.b.JdbcSinkConnector", "com.c.Jdbc"]
    plan, _ = plan_one(connector(config={"connector.class": "JdbcSink"}), plugins=plugins)
    assert [d.code for d in plan.errors] == ["unknown-connector-class"]
    assert "com.a.JdbcSinkConnector" in plan.errors[0].message and "com.b.JdbcSinkConnector" in plan.errors[0].message
    # "Jdbc" is com.c.Jdbc's simple name only: unique, so it resolves
    plan, _ = plan_one(connector(config={"connector.class": "Jdbc"}), plugins=plugins)
    assert not plan.has_errors


def test_plugins_not_read_means_no_class_check():
    plan, _ = plan_one(connector(config={"connector.class": "com.example.Missing"}), plugins=None)
    assert not plan.has_errors


def test_newly_captured_tables_get_one_snapshot_note():
    spec = connector(config={"table.include.list": "public.a,public.b"}, captured_tables=("public.a", "public.b"),
                     snapshot_new_tables=True, signal={"kind": "kafka", "topic": "p.signal"})
    plan, ch = plan_one(spec, lconn(config={"table.include.list": "public.a"}))
    assert ch.action == Action.UPDATE
    notes = [d for d in plan.diagnostics if "snapshot" in d.message]
    assert len(notes) == 1 and "public.b" in notes[0].message and "public.a" not in notes[0].message
