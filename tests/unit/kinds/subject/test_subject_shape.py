"""The subject kind's shape (kplan/kinds/subject/model.py): a new plain key is one row of its table, and the schema
of a `subjects` entry and of a topic's key_schema/value_schema, the error for a misspelt key, the reading, `kplan
render` and the import entry follow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from kplan.kinds import ORDER
from kplan.kinds.schema_parts import assemble, base_path, kind_part
from kplan.kinds.shape import Attr, Type, ref
from kplan.kinds.shape_schema import stack_part
from kplan.kinds.subject import importer, section
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import PLAIN, SubjectSpec, subject_shape
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile.schema import report_errors

KPLAN = Path(__file__).resolve().parents[4] / "kplan"
SCHEMA = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


def test_a_new_plain_subject_key_is_one_row_of_its_table(monkeypatch):
    """The registry's `normalize` (register the schema in its normalized form), added as one row of PLAIN, with the
    field that holds it on the spec and on the live subject (the registry's side of it is its write). A `subjects`
    entry and a topic's value_schema hold it, a misspelt key gets a suggestion, the section reads it (its fallback
    when not set), and render and the import entry write it."""
    words = "Register the schema in its normalized form."
    row = Attr("normalize", Type(ref("flag").schema, default=False), words)
    part = stack_part(subject_shape((*PLAIN, row)))
    said = {"$ref": "#/$defs/flag", "description": words}
    assert part["$defs"]["subject"]["properties"]["normalize"] == said
    assert part["$defs"]["topicSchema"]["anyOf"][1]["properties"]["normalize"] == said

    base = json.loads((KPLAN / base_path("stack")).read_text())
    schema = assemble("stack", base, {**{k: kind_part("stack", k) for k in ORDER}, "subject": part})
    doc = {"subjects": [{"name": "orders-value", "schema": SCHEMA, "normalise": True}]}
    diags = Diagnostics()
    report_errors(list(Draft202012Validator(schema).iter_errors(doc)), doc, SourceMap(), diags)
    assert [d.message for d in diags.items] == ['unknown key "normalise" (did you mean "normalize"?)']
    assert not list(Draft202012Validator(schema).iter_errors(
        {"topics": [{"name": "orders", "partitions": 1, "replication_factor": 1,
                     "value_schema": {"schema": SCHEMA, "normalize": True}}]}))

    @dataclass(frozen=True)
    class Spec(SubjectSpec):
        normalize: bool = False

    @dataclass(frozen=True)
    class Live(LiveSubject):
        normalize: bool = False

    monkeypatch.setattr(section, "SubjectSpec", Spec)
    monkeypatch.setattr(section, "PLAIN", (*PLAIN, row))
    monkeypatch.setattr(importer, "PLAIN", (*PLAIN, row))
    at = Loc("stack.yaml", 1, 1)

    def built(**keys):
        diags = Diagnostics()
        specs = section.build_subjects([({"name": "orders-value", "schema": SCHEMA, **keys}, at)], [], SourceMap(),
                                       diags, lambda path, where: "")
        assert not diags.items
        return specs[0]

    assert built(normalize=True).normalize is True
    assert built().normalize is False  # the row's fallback
    assert built(compatibility="FULL").compatibility == "FULL" and built().compatibility is None
    assert section.rendered(built(normalize=True))["normalize"] is True
    live = Live("orders-value", 1, SCHEMA, compatibility="FULL", normalize=True)
    assert importer.subject_entry(live, False) == {"name": "orders-value", "schema": SCHEMA, "compatibility": "FULL",
                                                   "normalize": True}
    assert importer.subject_entry(Live("orders-value", 1, SCHEMA, compatibility="NONE"), True) == {
        "name": "orders-value", "schema": SCHEMA}
