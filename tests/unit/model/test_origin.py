"""An origin has one serializer, `Origin.to_json`; the plan JSON holds it whole, the status JSON and
`kplan render` show projections of it."""

from __future__ import annotations

from kplan.model.desired import origin_data
from kplan.model.source import Origin
from kplan.plan.codec import converter
from kplan.render.status import _origin_dict

DECLARED = Origin("stack.yaml", 12, 5)
GENERATED = Origin("stack.yaml", 30, 3, cdc_source="orders-db", table="public.orders", role="table")


def test_to_json_has_every_field_and_reads_back():
    assert DECLARED.to_json() == {"file": "stack.yaml", "line": 12, "column": 5, "cdc_source": None, "table": None,
                                  "role": None}
    assert list(GENERATED.to_json()) == ["file", "line", "column", "cdc_source", "table", "role"]
    for o in (DECLARED, GENERATED):
        assert Origin.from_json(o.to_json()) == o
    assert Origin.from_json({"file": "s.yaml", "line": "7"}) == Origin("s.yaml", 7, 1)  # an older plan's origin


def test_the_plan_json_holds_it_whole():
    assert converter.unstructure(GENERATED) == GENERATED.to_json()
    assert converter.structure(GENERATED.to_json(), Origin) == GENERATED
    assert converter.structure({"file": "s.yaml", "line": "7"}, Origin) == Origin("s.yaml", 7, 1)


def test_the_status_json_leaves_out_the_unset_cdc_fields():
    assert _origin_dict(DECLARED) == {"file": "stack.yaml", "line": 12, "column": 5}
    assert _origin_dict(Origin("s.yaml", 1, 1, cdc_source="db", role="signal")) == {
        "file": "s.yaml", "line": 1, "column": 1, "cdc_source": "db", "role": "signal"}
    assert _origin_dict(None) is None


def test_render_shows_where_and_what_generated_it():
    assert origin_data(DECLARED) == {"at": "stack.yaml:12"}
    assert list(origin_data(GENERATED).items()) == [("at", "stack.yaml:30"), ("cdc_source", "orders-db"),
                                                    ("role", "table"), ("table", "public.orders")]
    assert origin_data(Origin("s.yaml", 2, table="t", role="table")) == {"at": "s.yaml:2"}  # no CDC source
    assert origin_data(None) == {}
