"""The connector kind's shape (kplan/kinds/connector/keys.py): its schema parts follow from its table, and a new
plain key of a connector is one row."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from kplan.kinds import ORDER
from kplan.kinds.connector.keys import CONNECTOR_ROWS, FLAG, connectors
from kplan.kinds.connector.section import build_connector
from kplan.kinds.schema_parts import assemble, base_path, kind_part
from kplan.kinds.shape import Attr, defaulted, said
from kplan.kinds.shape_schema import stack_part
from kplan.model.desired import ConnectorState
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile.schema import report_errors

KPLAN = Path(__file__).resolve().parents[4] / "kplan"


def _schema(part: dict) -> dict:
    base = json.loads((KPLAN / base_path("stack")).read_text())
    return assemble("stack", base, {**{k: kind_part("stack", k) for k in ORDER}, "connector": part})


def _built(settings: dict) -> object:
    diags = Diagnostics()
    spec = build_connector("orders-archive", settings, [], SourceMap(), diags, Loc("stack.yaml", 1, 1))
    assert not diags.items
    return spec


def test_the_plain_keys_are_read_by_their_rows():
    """state, restart_on_change, restart_failed and protect: as an entry says them, else their rows' defaults."""
    bare = _built({"name": "orders-archive", "class": "FileStreamSink"})
    assert (bare.state, bare.restart_on_change, bare.restart_failed, bare.protect) == (
        ConnectorState.RUNNING, False, False, False)
    said_all = _built({"name": "orders-archive", "class": "FileStreamSink", "state": "stopped",
                       "restart_on_change": True, "restart_failed": True, "protect": True})
    assert (said_all.state, said_all.restart_on_change, said_all.restart_failed, said_all.protect) == (
        ConnectorState.STOPPED, True, True, True)
    assert dict(bare.config) == {"connector.class": "FileStreamSink", "tasks.max": "1"}


def test_a_new_connector_key_is_one_row_of_its_table():
    """A plain key of a connector (say, a `pause_on_failure` switch) added as one row of its table: its schema, the
    reading of an entry with its default, the error for a misspelt key and the import entry follow. What it does
    would be its write: a field of ConnectorSpec and the kind's step."""
    auto = Attr("pause_on_failure", FLAG, "Pause the connector when a task fails.", default=False)
    rows = (*CONNECTOR_ROWS, auto)
    part = stack_part(connectors(rows))
    assert part["$defs"]["connector"]["properties"]["pause_on_failure"] == {
        "$ref": "#/$defs/flag", "description": "Pause the connector when a task fails.",
        "default": False}
    entry = {"name": "orders-archive", "class": "FileStreamSink"}
    assert defaulted(rows, entry)["pause_on_failure"] is False
    assert defaulted(rows, {**entry, "pause_on_failure": True})["pause_on_failure"] is True
    assert "pause_on_failure" not in defaulted(CONNECTOR_ROWS, {**entry, "pause_on_failure": True})  # the row reads it
    doc = {"connectors": [{**entry, "pause_on_failrue": True}]}
    diags = Diagnostics()
    report_errors(list(Draft202012Validator(_schema(part)).iter_errors(doc)), doc, SourceMap(), diags)
    assert [d.message for d in diags.items] == ['unknown key "pause_on_failrue" (did you mean "pause_on_failure"?)']
    assert said(rows, {**entry, "pause_on_failure": False}) == entry
    assert said(rows, {**entry, "pause_on_failure": True}) == {**entry, "pause_on_failure": True}


def test_the_shipped_schema_is_the_tables():
    """The connector kind's parts are its shape's."""
    assert kind_part("stack", "connector") == stack_part(connectors())
