"""A kind's shape (kplan.kinds.shape): one table of keys, from which its schema parts, the reading of an entry, its
plan image, its rendering and its import entry follow."""

from __future__ import annotations

from dataclasses import dataclass

import jsonschema
import pytest

from kplan.kinds.shape import Attr, Change, Shape, Unit, list_of, map_of, row, text, whole
from kplan.kinds.shape_schema import plan_part, stack_part
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.rules.units import UnitError


def _rate(raw: object) -> float:
    try:
        return float(str(raw))
    except ValueError:
        raise UnitError(f"invalid rate {raw!r}") from None


RATE = Unit("a rate", _rate, lambda v: f"{v:g}/s", above_zero="remove the key instead")
SHAPE = Shape(
    "widgets", "widget", "Widgets.", [{"name": "w"}],
    (
        Attr("name", text(1), "Its name.", ("w",), required=True, plan="The name.", plan_required=True),
        Attr("token", text(), "A secret reference.", ("${secret:env:T}",), secret_ref=True, plan="Never shown."),
        Attr("size", whole(1, 9), "How big.", (3,), default=1, var=True, change=Change.REPLACE),
        Attr("rate", text(), "How fast.", ("2",), unit=RATE),
        row("parts", map_of(whole()), "Its parts."),
    ),
    resource="A widget.", planned=(row("sizes", list_of(whole()), "The sizes."),), planned_description="Done.",
)


@dataclass(frozen=True)
class Widget:
    name: str
    token: str | None = None
    size: int = 1
    parts: tuple[tuple[str, int], ...] = ()
    origin: object = None


def test_the_stack_part_is_the_tables_rows_with_cluster_first_and_the_loop_keys_last():
    part = stack_part(SHAPE)
    entry = part["$defs"]["widget"]
    assert list(entry["properties"]) == ["cluster", "name", "token", "size", "rate", "for_each", "overrides"]
    assert entry["required"] == ["name"] and entry["additionalProperties"] is False
    assert entry["properties"]["size"] == {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 9},
                                                     {"$ref": "#/$defs/varRef"}],
                                           "description": "How big.", "default": 1, "examples": [3]}
    assert part["properties"]["widgets"]["examples"] == [[{"name": "w"}]]


def test_the_plan_part_shows_the_rows_a_plan_shows_and_a_secret_only_as_sensitive():
    part = plan_part(SHAPE, "widget")
    image = part["$defs"]["widget"]
    assert list(image["properties"]) == ["name", "token", "parts"] and image["required"] == ["name", "parts"]
    assert image["properties"]["token"] == {"const": "(sensitive)", "description": "Never shown."}
    assert image["properties"]["name"] == {"type": "string", "description": "The name."}  # no stack bounds
    assert part["$defs"]["planned_widget"]["properties"]["sizes"]["type"] == "array"
    jsonschema.Draft202012Validator({**image, "$defs": {}}).validate(SHAPE.image(Widget("w", "${secret:env:T}")))


def _read(item: dict) -> tuple[dict | None, list[str]]:
    diags = Diagnostics()
    values = SHAPE.read(item, Loc("s.yaml", 3, 5), SourceMap(), diags, "widget w: ")
    return values, [d.message for d in diags.items]


def test_an_entry_is_read_with_its_defaults_and_its_units():
    assert _read({"name": "w", "token": "${secret:env:T}", "rate": "2.5"}) == (
        {"name": "w", "token": "${secret:env:T}", "size": 1, "rate": 2.5}, [])


@pytest.mark.parametrize("item, message", [
    ({"name": "w", "token": "hunter2"}, "widget w: the token must be a secret reference (${secret:env:NAME} or "
                                        "${secret:file:PATH}), never the token itself"),
    ({"name": "w", "token": "${secret:env:not a name}"}, "widget w: malformed secret reference"),
    ({"name": "w", "rate": 0}, "widget w: rate must be a rate above 0 (remove the key instead)"),
    ({"name": "w", "rate": True}, "widget w: rate must be a number, not true"),
])
def test_what_a_schema_cannot_say_is_one_located_error_per_key(item, message):
    values, messages = _read(item)
    assert values is None and len(messages) == 1 and messages[0].startswith(message)


def test_a_unit_refuses_what_it_cannot_read():
    with pytest.raises(UnitError, match="invalid rate 'fast'"):
        SHAPE["rate"].read("fast")


def test_the_image_rendering_and_import_entry_follow_from_the_rows():
    widget = Widget("w", "${secret:env:T}", 2, (("b", 2), ("a", 1)))
    assert SHAPE.image(widget) == {"name": "w", "token": "(sensitive)", "parts": {"a": 1, "b": 2}}
    assert SHAPE.rendered(widget) == {"name": "w", "token": "${secret:env:T}", "parts": {"a": 1, "b": 2},
                                      "origin": {}}
    assert SHAPE.imported({"rate": 2.0, "size": 3}) == {"rate": "2/s", "size": 3}
