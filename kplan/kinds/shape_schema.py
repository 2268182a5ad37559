"""A kind's parts of the stack and plan JSON Schemas, from its shape (`kplan.kinds.shape`): what `make schemas`
assembles (`kplan.kinds.schema_parts`) for a kind whose unit names a shape, instead of hand-written part files. Pure;
kplan itself never runs it (commands load the shipped schemas).

- The stack part: the section (a list of its entries, with the section's words and example), and the entry's
  definition: `cluster`, its keys in the table's order, `for_each` and `overrides`; the definitions its types bring.
- The plan part: the resource as a plan's before/after show it (the rows a plan shows, `Attr.plan`), its planned
  payload (`Shape.planned`), the definitions those use, and what a change of its type holds. A family whose plan
  images are laid out otherwise says so (`Shape.plan_images`).
"""

from __future__ import annotations

from typing import Any

from kplan.kinds.shape import Shape, record

# What every entry may hold beside its keys: kplan.stackfile.for_each expands them away.
_LOOP = {"for_each": {"$ref": "#/$defs/forEach"}, "overrides": {"$ref": "#/$defs/forEachOverrides"}}


def stack_part(shape: Shape) -> dict[str, Any]:
    part = _section_part(shape)
    for more in shape.more:
        extra = _section_part(more)
        part["properties"].update(extra["properties"])
        part["$defs"].update(extra["$defs"])
    if shape.extend:
        part["extend"] = {target: record(rows).schema["properties"] for target, rows in shape.extend.items()}
        part["$defs"].update({k: v for rows in shape.extend.values() for k, v in record(rows).defs.items()})
    return part


def _section_part(shape: Shape) -> dict[str, Any]:
    entry_type = record(shape.keys)
    if shape.section is None:  # an object other kinds' entries hold: its definition, its words and examples
        return {"$defs": {shape.definition: {**entry_type.schema, "description": shape.description,
                                             "examples": shape.example}, **entry_type.defs}}
    entry = {**entry_type.schema, "properties": {**entry_type.schema["properties"], **_LOOP},
             **({"description": shape.entry_description} if shape.entry_description else {})}
    section = {"type": "array", "description": shape.description, "items": {"$ref": f"#/$defs/{shape.definition}"},
               **({"x-kafka-versions": shape.versions} if shape.versions else {}), "examples": [shape.example]}
    return {"properties": {shape.section: section}, "$defs": {shape.definition: entry, **entry_type.defs}}


def plan_part(shape: Shape, kind: str) -> dict[str, Any]:
    """A kind without rows a plan shows has no before/after image (its change is a request: offsets)."""
    resource, planned = shape.plan_images()
    shown = bool(resource["properties"])
    image = {"oneOf": [{"type": "null"}, {"$ref": f"#/$defs/{kind}"}]}
    return {"$defs": {**({kind: resource} if shown else {}), f"planned_{kind}": planned,
                      **{name: t.schema for name, t in shape.plan_defs.items()}},
            "resource_change": {"properties": {**({"before": image, "after": image} if shown else {}),
                                               "planned": {"$ref": f"#/$defs/planned_{kind}"}}}}

