"""An entity of keys of which kplan owns some: for the kinds whose resource is one entity's key/value pairs, where
kplan owns the keys it set (the ownership record keeps them per entity) and leaves any other key alone, shown as
drift. What those kinds share: planning an entity's keys against the current ones and deleting an entity, the
payload's (key, before, after) triples in the plan file, its status, its differences and their text, its status
JSON fields, its part of the ownership record, its step's writer form, an entry's configs. The words (where a key
is, how it goes) stay the kind's; this module names no kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Collection, Hashable, Iterable, Mapping, Protocol, Sequence, TypeVar

from kplan.kinds.base import Kind, Scrub, SpecT, TraceDict, difference_of
from kplan.kinds.codec import JsonKey
from kplan.model.diagnostics import Diagnostics
from kplan.model.ownership import Entry
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
    with_planned,
)
from kplan.model.source import Loc, Origin, SourceMap
from kplan.model.status import Difference, ResourceStatus, Status, owned
from kplan.words import plural

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


class KeyEntity(Protocol):
    """An entity's live keys as these kinds hold them: its name, its values and the keys the ownership record says
    kplan set."""

    @property
    def name(self) -> str: ...

    @property
    def values(self) -> Mapping[str, Any]: ...

    @property
    def owned(self) -> frozenset[str]: ...


LiveKeysT = TypeVar("LiveKeysT", bound=KeyEntity)

@dataclass(frozen=True)
class KeyNotes:
    """A kind's notes on an undeclared key: kplan set it and deletes it, the entry is authoritative and deletes it
    (None: the kind has no authoritative entries), or it stays as drift."""

    no_longer_declared: NoteKind
    left_alone: NoteKind
    authoritative_removal: NoteKind | None = None


def plan_owned_keys(type_: ResourceType, name: str, declared: Mapping[str, V], current: Mapping[str, V],
                    ours: frozenset[str], *, notes: KeyNotes, shown: Callable[[V], Any],
                    shape: Callable[[Mapping[str, V]], dict[str, Any]],
                    planned: Callable[[tuple[tuple[str, V | None, V | None], ...]], PlannedPayload],
                    origin: "Origin | None", entry_keys: Collection[str] | None = None, authoritative: bool = False,
                    deletable: Callable[[str], bool] = lambda key: True,
                    added_note: Callable[[str], NoteKind | None] = lambda key: None,
                    adopt_unset: bool = False, flags: Iterable[Flag] = ()) -> ResourceChange:
    """An entity's keys as declared against the current ones: a declared key is set (`added_note`: a note on one
    that is not set yet); a current key the entry does not name (`entry_keys`, by default the declared ones) is
    deleted when kplan set it (in `ours`) or the entry is `authoritative` and the key `deletable`, else it is drift,
    left alone. Adopted (Flag.ADOPT) when a declared key already set is not kplan's (`adopt_unset`: any declared key
    not kplan's). `shown`: a value as the plan shows it; `shape`: the before/after shape; `planned`: the payload of
    the (key, before, after) triples; `flags`: the kind's own (Flag.REFUSED)."""
    attrs: list[AttributeChange] = []
    after = dict(current)
    out_flags = set(flags)
    unchanged = 0
    values: list[tuple[str, V | None, V | None]] = []
    for key, value in sorted(declared.items()):
        if key not in current:
            attrs.append(AttributeChange((key,), AttrKind.ADD, None, shown(value), note=added_note(key)))
            values.append((key, None, value))
        elif current[key] != value:
            attrs.append(AttributeChange((key,), AttrKind.UPDATE, shown(current[key]), shown(value)))
            values.append((key, current[key], value))
        else:
            unchanged += 1
        after[key] = value
    for key in sorted(set(current) - set(declared if entry_keys is None else entry_keys)):
        if key in ours or (authoritative and deletable(key)):
            note = notes.no_longer_declared if key in ours else notes.authoritative_removal
            attrs.append(AttributeChange((key,), AttrKind.REMOVE, shown(current[key]), None, note=note))
            values.append((key, current[key], None))
            del after[key]
        else:
            attrs.append(AttributeChange((key,), AttrKind.DRIFT, shown(current[key]), None, note=notes.left_alone))
            out_flags.add(Flag.DRIFT)
    changed = any(a.changed for a in attrs)
    if not current:
        action, reason = (Action.CREATE, Reason.NOT_ON_CLUSTER) if changed else (Action.NOOP, Reason.MATCHES)
    else:
        action, reason = (Action.UPDATE, Reason.DIFFERS) if changed else (Action.NOOP, Reason.MATCHES)
        if not (set(declared) if adopt_unset else set(declared) & set(current)) <= ours:
            out_flags.add(Flag.ADOPT)
    return with_planned(ResourceChange(
        address=address_of(type_, name), type=type_, name=name, action=action,
        before=shape(current) if current else None, after=shape(after), attributes=tuple(attrs),
        unchanged_attributes=unchanged, flags=frozenset(out_flags), reason=reason, origin=origin),
        planned(tuple(values)))


def key_values(value: Callable[[Any], Any] = lambda v: v) -> JsonKey:
    """A payload's (key, before, after) triples in the plan file: [{key, before, after}]; `value`: a present value
    as the kind holds it."""
    def of(v: Any) -> Any:
        return None if v is None else value(v)

    return JsonKey(write=lambda values: [{"key": k, "before": b, "after": a} for k, b, a in values],
                   read=lambda docs: tuple((d["key"], of(d.get("before")), of(d.get("after"))) for d in docs))


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


@dataclass(frozen=True)
class KeyStatus(ResourceStatus):
    """An entity's status: its (key, value) pairs on the cluster as the plan shows them, and the declared ones."""

    values: tuple[tuple[str, Any], ...] | None = None
    declared_values: tuple[tuple[str, Any], ...] | None = None


def key_status(type_: ResourceType, name: str, origin: "Origin | None", values: tuple[tuple[str, Any], ...] | None,
               declared: tuple[tuple[str, Any], ...], change: ResourceChange | None, goes: str) -> KeyStatus:
    """A declared entity's status; `values` None: the entity is missing. `goes`: as for `key_difference`."""
    if values is None:
        return KeyStatus(type_, name, Status.MISSING, False, origin=origin, declared_values=declared)
    diffs = tuple(key_difference(a, goes) for a in (change.attributes if change is not None else ()))
    return KeyStatus(type_, name, Status.DRIFTED if diffs else Status.IN_SYNC, True, origin=origin,
                     owned=owned(change), differences=diffs, values=values, declared_values=declared)


def key_status_undeclared(type_: ResourceType, name: str, values: tuple[tuple[str, Any], ...],
                          change: ResourceChange, goes: str) -> KeyStatus:
    """An entity the stack does not declare (its keys kplan set go)."""
    return KeyStatus(type_, name, Status.NOT_DECLARED, True, values=values,
                     differences=tuple(key_difference(a, goes) for a in change.attributes))


def values_text(values: Mapping[str, V], shown: Callable[[V], Any], *, sep: str = "=", word: str = "config") -> str:
    """`log.cleaner.threads=2, log.retention.ms=604800000` (`sep` between key and value); `no configs` when none."""
    return ", ".join(f"{k}{sep}{shown(v)}" for k, v in sorted(values.items())) or plural(0, word)


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


def keys_owned_after(current: Mapping[str, KeyEntity], declared: Iterable[tuple[str, Iterable[str]]],
                     deleted: Iterable[tuple[str, str]]) -> dict[str, Entry]:
    """The record's part once the plan is applied, per entity: the keys kplan set before that still exist, plus
    every key `declared` (set now, or adopted as it is), minus the (entity, key) pairs the plan `deleted`."""
    owned = {n: {k for k in c.owned if k in c.values} for n, c in current.items()}
    for name, keys in declared:
        owned.setdefault(name, set()).update(keys)
    for name, key in deleted:
        owned.get(name, set()).discard(key)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def keys_owned(current: Mapping[str, KeyEntity]) -> dict[str, Entry]:
    """The record's part as the live state shows it: entity -> the keys kplan set."""
    return {n: tuple(sorted(c.owned)) for n, c in sorted(current.items()) if c.owned}


def values_by_entity(changes: Iterable[tuple[K, str, V | None, V | None]], *, undo: bool = False
                     ) -> dict[K, dict[str, V | None]]:
    """A step's (entity, key, before, after) changes in the writer's form: per entity, key -> value to set (None:
    delete); `undo` gives the before-values."""
    out: dict[K, dict[str, V | None]] = {}
    for entity, key, before, after in changes:
        out.setdefault(entity, {})[key] = before if undo else after
    return out


def config_value(raw: Any) -> str | None:
    """A declared config value as Kafka stores it (a string); None: not a scalar."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, str)):
        return str(raw)
    if isinstance(raw, float):
        return repr(raw)
    return None


def declared_configs(item: Mapping[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, word: str
                     ) -> tuple[dict[str, str], dict[str, Origin]] | None:
    """An entry's `configs` as Kafka takes them (strings) and where each is declared; None when a value is not a
    scalar (one error each, naming the `word` config: "group config")."""
    configs, origins, ok = {}, {}, True
    raw = item.get("configs") or {}
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        at = smap.value_loc(raw, key) or loc
        text = config_value(value)
        if text is None:
            diags.error(at, f"{word} {key}: the value must be a string, number or boolean")
            ok = False
            continue
        configs[str(key)] = text
        origins[str(key)] = Origin(at.file, at.line, at.column)
    return (configs, origins) if ok else None


class KeysKind(Kind[SpecT, LiveKeysT, KeyStatus]):
    """The status side of these kinds' Kind: the words are class attributes, a value as the plan shows it `shown`.
    `field`: the keys' field in the status JSON; `removed`/`removes`: how an undeclared key kplan set goes;
    `present`/`absent`: where a key is or is not; `missing`: the text's opening for a missing entity; `sep`,
    `word`: a value list's separator and its word when empty."""

    field: ClassVar[str] = "configs"
    removed: ClassVar[str] = "deleted"
    removes: ClassVar[str] = "deletes"
    present: ClassVar[str]
    absent: ClassVar[str]
    missing: ClassVar[str]
    sep: ClassVar[str] = "="
    word: ClassVar[str] = "config"

    def shown(self, value: Any) -> Any:
        return value

    def pairs(self, values: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
        """An entity's (key, value) pairs as the plan shows them, by key."""
        return tuple((k, self.shown(v)) for k, v in sorted(values.items()))

    def values_text(self, values: Mapping[str, Any]) -> str:
        return values_text(values, self.shown, sep=self.sep, word=self.word)

    def status_of(self, spec: SpecT, values: Mapping[str, Any] | None, declared: Mapping[str, Any],
                  change: ResourceChange | None) -> KeyStatus:
        """A declared entity's status; `values` None: it is missing."""
        return key_status(self.type, spec.name, spec.origin, None if values is None else self.pairs(values),
                          self.pairs(declared), change, self.removed)

    def status_undeclared(self, current: LiveKeysT, change: ResourceChange, scrub: Scrub) -> KeyStatus:
        return key_status_undeclared(self.type, current.name, self.pairs(current.values), change, self.removed)

    def status_detail(self, r: KeyStatus) -> str:
        if not r.exists:
            return f"{self.missing}declared {self.values_text(dict(r.declared_values or ()))}"
        return self.values_text(dict(r.values or ()))

    def difference_text(self, r: KeyStatus, d: Difference) -> str:
        return key_difference_text(d, present=self.present, absent=self.absent, goes=self.removes)

    def status_fields(self, r: KeyStatus, trace_dict: TraceDict) -> dict[str, Any]:
        return key_status_fields(self.field, r.values, r.declared_values, r.differences)
