"""An entity of keys of which kplan owns some: for the kinds whose resource is one entity's key/value pairs, where
kplan owns the keys it set (the ownership record keeps them per entity) and leaves any other key alone, shown as
drift. What those kinds share: deleting an entity, its status differences and their text, its status JSON fields.
The words (where a key is, how it goes) stay the kind's; this module names no kind.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence, TypeVar

from kplan.kinds.base import difference_of
from kplan.model.desired import Origin
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    address_of,
)
from kplan.model.status import Difference

V = TypeVar("V")


def delete_owned_keys(type_: ResourceType, name: str, values: Mapping[str, V], owned: frozenset[str], *,
                      shown: Callable[[V], Any], left_alone: NoteKind,
                      shape: Callable[[Mapping[str, V]], dict[str, Any]],
                      planned: Callable[[tuple[tuple[str, V, None], ...]], PlannedPayload], reason: Reason,
                      origin: "Origin | None" = None) -> ResourceChange:
    """Delete the keys kplan set for this entity (`owned`); any other key stays (shown as drift, `left_alone`).
    `shown`: a value as the plan shows it; `shape`: the entity's before/after shape of some values; `planned`: the
    payload that deletes the given (key, before, None) triples."""
    ours = {k for k in values if k in owned}
    others = {k: v for k, v in values.items() if k not in ours}
    attrs = [AttributeChange((k,), AttrKind.REMOVE, shown(values[k]), None) for k in sorted(ours)]
    attrs += [AttributeChange((k,), AttrKind.DRIFT, shown(v), None, note=left_alone) for k, v in sorted(others.items())]
    attrs.sort(key=lambda a: a.path)
    action = Action.NOOP if not ours else (Action.UPDATE if others else Action.DELETE)
    return ResourceChange(
        address=address_of(type_, name), type=type_, name=name, action=action, before=shape(values),
        after=shape(others) if others else None, attributes=tuple(attrs),
        flags=frozenset({Flag.DRIFT}) if others else frozenset(), reason=reason, origin=origin,
        planned=planned(tuple((k, values[k], None) for k in sorted(ours))) if ours else None)


def key_difference(a: AttributeChange, goes: str) -> Difference:
    """A key's status difference; `goes`: how the next apply makes an undeclared key kplan set go ("removed")."""
    return difference_of(a, {AttrKind.ADD: "missing", AttrKind.UPDATE: "differs", AttrKind.DRIFT: "not declared",
                             AttrKind.REMOVE: f"not declared ({goes} by the next apply)"})


def key_difference_text(d: Difference, *, present: str, absent: str, goes: str) -> str:
    """A key's difference in the status text: `present`/`absent`, where a key is or is not ("on the cluster", "not
    on the cluster"); `goes`: what the next apply does to an undeclared key kplan set ("removes")."""
    key = d.path[0]
    if d.kind is AttrKind.ADD:
        return f"+ {key} = {d.declared}: declared, {absent}"
    if d.kind is AttrKind.UPDATE:
        return f"~ {key} = {d.live}: the stack declares {d.declared}"
    if d.kind is AttrKind.REMOVE:
        return f"- {key} = {d.live}: {present}, not declared (the next apply {goes} it)"
    return f"~ {key} = {d.live}: {present}, not declared (left alone)"


def key_status_fields(field: str, values: Sequence[tuple[str, Any]] | None,
                      declared: Sequence[tuple[str, Any]] | None, differences: Sequence[Difference]
                      ) -> dict[str, Any]:
    """An entity's fields in the status JSON: its live (key, value) pairs under `field`, the declared
    ones, and its differences by key."""
    return {field: dict(values) if values is not None else None,
            "declared": {field: dict(declared or ())},
            "differences": [{"key": d.path[0], "kind": d.kind.value, "live": d.live, "declared": d.declared}
                            for d in differences]}
