"""A changed schema's attributes in the plan: every part `schemas.diff` finds different is one attribute, also when
two shown parts look alike (clipped) or share a path (a Protobuf line removed where another is inserted)."""

import json

from kplan.kinds.subject.kind import _schema_attrs
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SubjectSpec
from kplan.model.plan import AttrKind


def _record(fields):
    return json.dumps({"type": "record", "name": "Order", "namespace": "shop",
                       "fields": [{"name": f"field_number_{n}", "type": "string"} for n in fields]})


def test_fields_reordered_past_what_a_plan_shows_are_still_a_change():
    live, declared = _record(range(9)), _record([0, 1, 2, 3, 4, 5, 6, 8, 7])
    attrs = _schema_attrs(SubjectSpec("shop.Order-value", declared), LiveSubject("shop.Order-value", 1, live))
    assert [(a.path, a.kind) for a in attrs] == [(("schema", "order"), AttrKind.UPDATE)]


def test_every_protobuf_line_added_or_removed_is_shown():
    live = 'syntax = "proto3";\nmessage A {}\nmessage B {}\n'
    declared = 'syntax = "proto3";\nmessage B {}\nmessage C {}\nmessage A {}\n'
    spec = SubjectSpec("p-value", declared, schema_type="PROTOBUF")
    attrs = _schema_attrs(spec, LiveSubject("p-value", 1, live, schema_type="PROTOBUF"))
    from kplan.kinds.subject.schemas import diff

    assert len(attrs) == len(diff("PROTOBUF", live, declared))
    assert any("message C" in str(a.after) for a in attrs)
