"""A kind's shape written once: the keys of its stack entries as one table of typed rows (`Attr`s of a `Shape`),
from which follow the kind's parts of the stack and plan JSON Schemas (`kplan.kinds.shape_schema`, `make schemas`;
the generated reference follows from those), the reading of an entry into values with located errors, `kplan
render`'s view, the import entry and the status fields. A new plain key is then one row where the kind declares its
shape, plus the code that writes it to the system.

The anchors do the same: a Terraform provider's schema map (a type, required or optional, a default, sensitive,
ForceNew, a description per attribute; validation, the diff and the documentation follow from it) and Strimzi's
annotated spec types (their CRD schema is generated from them). Pure and light: loading a stack imports it.

What the JSON Schema checks — types, bounds, enums, required keys — is not checked again when an entry is read: the
loader builds only the entries the schema passed (`MemberInput.unflagged`). Reading checks what a schema cannot
say: a value that must be a secret reference, a value in a human unit, a value that must be above zero.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any, Callable, Mapping

from kplan.model.desired import origin_data
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, Origin, SourceMap
from kplan.rules.units import UnitError
from kplan.secrets import has_secret_ref, is_reference_only, secret_ref_problem


class _Nothing:
    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()  # a row without a default or an example
HIDDEN: Any = _Nothing()  # a key `kplan render` never shows (Shape.rendered)
SENSITIVE = "(sensitive)"  # how a plan shows a secret


class Change:
    """How a change to a key is made (Terraform's in place or ForceNew, and what Kafka adds to them)."""

    IN_PLACE = "in place"
    REPLACE = "replaces the resource, when the stack allows it"
    REFUSED = "refused"
    IRREVERSIBLE = "irreversible: what it replaces cannot be put back"
    STEP = "by a step of its own"


# -- types: a value's JSON Schema as the stack checks it, and as a plan shows it -------------------------------------

class Type:
    """A value's type: `schema`, its JSON Schema in the stack (after variable substitution); `shown`, its JSON Schema
    in a plan (what the system holds: the stack's bounds do not bind it); `defs`, the definitions it brings into the
    kind's part; `read`, a value the schema passed as the kind holds it; `mapping`, whether it is a mapping (a spec
    may hold it as pairs); `default`, what a key of it is when an entry does not say it (a definition's default,
    where its keys say none of their own). One class, made by the functions below: loading a stack makes every
    kind's table."""

    __slots__ = ("schema", "shown", "defs", "read", "mapping", "default")

    def __init__(self, schema: dict[str, Any], shown: dict[str, Any] | None = None, defs: dict[str, Any] | None = None,
                 read: Callable[[Any], Any] | None = None, mapping: bool = False, default: Any = None) -> None:
        self.schema, self.shown, self.defs = schema, schema if shown is None else shown, defs or {}
        self.read: Callable[[Any], Any] = read or _same
        self.mapping, self.default = mapping, default


def _same(value: Any) -> Any:
    return value


def _some(**keys: Any) -> dict[str, Any]:
    """The keys that are set (None and False are not)."""
    return {k: v for k, v in keys.items() if v is not None and v is not False}


def text(min_length: int | None = None, max_length: int | None = None, pattern: str | None = None) -> Type:
    return Type({"type": "string", **_some(minLength=min_length, maxLength=max_length, pattern=pattern)},
                {"type": "string"})


def whole(minimum: int | None = None, maximum: int | None = None) -> Type:
    return Type({"type": "integer", **_some(minimum=minimum, maximum=maximum)})


def scalars(*types: str) -> Type:
    """Some of JSON's scalar types: a value in a unit, a config value."""
    return Type({"type": types[0] if len(types) == 1 else list(types)})


def choice(values: tuple[str, ...]) -> Type:
    return Type({"enum": list(values)})


def either(*types: Type, read: Callable[[Any], Any] | None = None) -> Type:
    """Any of several types (`anyOf`), read by `read` (a token written as text or a number: its text)."""
    return Type({"anyOf": [t.schema for t in types]}, defs={k: v for t in types for k, v in t.defs.items()}, read=read)


def nullable(kind: Type) -> Type:
    """A plan's value that may be null (a key the live side does not have)."""
    inner = kind.shown
    types = inner["type"] if isinstance(inner["type"], list) else [inner["type"]]
    return Type({**inner, "type": [*types, "null"]})


def list_of(item: Type, min_items: int | None = None, unique: bool = False, as_set: bool = False) -> Type:
    """A list; `as_set`: read as its distinct items, sorted (the order and repeats mean nothing)."""
    return Type({"type": "array", **_some(minItems=min_items, uniqueItems=unique), "items": item.schema},
                defs=item.defs, read=(lambda v: tuple(sorted(set(v)))) if as_set else tuple)


def map_of(value: Type, keys: Type | None = None) -> Type:
    """A mapping; its keys of type `keys` (a pattern's or a choice's: JSON's keys are always strings)."""
    names = {k: v for k, v in keys.schema.items() if k != "type"} if keys else {}
    named = {"propertyNames": names} if names else {}
    return Type({"type": "object", **named, "additionalProperties": value.schema},
                {"type": "object", **named, "additionalProperties": value.shown}, value.defs, mapping=True)


def ref(name: str) -> Type:
    """A definition of the base schema (`kplan/schemas/parts/`), or of the kind's part."""
    return Type({"$ref": f"#/$defs/{name}"})


def named(name: str, kind: Type, description: str = "", examples: tuple[Any, ...] = (), default: Any = None) -> Type:
    """A type several keys share, as a definition of its own in the kind's part (after those it refers to): its keys
    refer to it."""
    return Type({"$ref": f"#/$defs/{name}"}, defs={**kind.defs, name: {
        **kind.schema, **_some(description=description or None, default=default),
        **({"examples": list(examples)} if examples else {})}}, read=kind.read, default=default)


def record(rows: tuple["Attr", ...], others: Type | None = None) -> Type:
    """An object of rows inside an entry (an ACL entry's `consume`, one of its `allow` items): its JSON Schema from
    the rows as an entry's (`read_rows` reads it). `others`: the type of keys beside its rows (None: there are
    none; a CDC source's connection passes them on)."""
    required = [a.key for a in rows if a.required]
    defs: dict[str, Any] = {**(others.defs if others else {})}
    for a in rows:
        defs.update(a.of.defs)
    return Type({"type": "object", "additionalProperties": others.schema if others else False,
                 **_some(required=required or None), "properties": {a.key: a.stack_schema() for a in rows}},
                defs=defs)


NUMBER, BOOLEAN = scalars("number"), scalars("boolean")


# -- units: a value written in a human unit ----------------------------------------------------------------------
# (The table's classes are plain slotted classes, not dataclasses: a dataclass costs ~0.4 ms to make at every start,
# and loading a stack makes every kind's table.)

class Unit:
    """A number in a unit: `parse` reads it as written (raising UnitError with the message to show), `write` gives
    the live value back as a stack writes it (kplan import), `noun` names it in messages ("a byte rate"). `above_zero`:
    what a value of 0 or less means instead (None: it may be). How a policy's total shows it: `sized`, a size (a
    limit may be written 50MiB; shown in the largest exact unit), then `sign` (`/s`, `%`)."""

    __slots__ = ("noun", "parse", "write", "above_zero", "sized", "sign")

    def __init__(self, noun: str, parse: Callable[[Any], float], write: Callable[[float], Any],
                 above_zero: str | None = None, sized: bool = False, sign: str = "") -> None:
        self.noun, self.parse, self.write, self.above_zero = noun, parse, write, above_zero
        self.sized, self.sign = sized, sign

    def read(self, key: str, raw: Any) -> float:
        if isinstance(raw, bool):
            raise UnitError(f"{key} must be a number, not {str(raw).lower()}")
        value = self.parse(raw)
        if self.above_zero is not None and value <= 0:
            raise UnitError(f"{key} must be {self.noun} above 0 ({self.above_zero})")
        return value


def number(value: float) -> int | float:
    """1048576.0 -> 1048576; 12.5 -> 12.5."""
    return int(value) if float(value).is_integer() else value


# -- the table ---------------------------------------------------------------------------------------------------

class Attr:
    """One key: its type (`of`), its words and examples (the schemas and the reference), whether an entry must say it
    and what it is when it does not, whether editors may write a `${VAR}` for it (`var`), whether it must be a
    `${secret:...}` reference (`secret_ref`: never a value), its unit, how a change to it is made (`Change`), and how
    a plan's before/after show it: `plan`, its words there (None: a plan does not show it), `plan_type` where a plan
    shows it otherwise than its type says, `plan_required` when every image has it. A row with `stack=False` is a
    plan's only: what kplan makes of the keys (a SCRAM user's credentials, of its mechanisms and iterations)."""

    __slots__ = ("key", "of", "description", "examples", "required", "default", "var", "secret_ref", "unit",
                 "change", "plan", "plan_type", "plan_required", "stack")

    def __init__(self, key: str, of: Type, description: str = "", examples: tuple[Any, ...] = (), *,
                 required: bool = False, default: Any = NOTHING, var: bool = False, secret_ref: bool = False,
                 unit: Unit | None = None, change: str = Change.IN_PLACE, plan: str | None = None,
                 plan_type: Type | None = None, plan_required: bool = False, stack: bool = True) -> None:
        self.key, self.of, self.description, self.examples = key, of, description, examples
        self.required, self.default, self.var, self.secret_ref = required, default, var, secret_ref
        self.unit, self.change, self.stack = unit, change, stack
        self.plan, self.plan_type, self.plan_required = plan, plan_type, plan_required

    def but(self, **changes: Any) -> "Attr":
        """The same key otherwise said (an environment overlay's row: its own words, no default)."""
        return Attr(**{**{k: getattr(self, k) for k in self.__slots__}, **changes})

    def stack_schema(self) -> dict[str, Any]:
        """Its JSON Schema in the stack: the type (with the `${VAR}` form editors see), words, default, examples."""
        schema = self.of.schema
        if self.var:
            schema = {"anyOf": [schema, {"$ref": "#/$defs/varRef"}]}
        default = {} if self.default is NOTHING else {"default": list(self.default) if isinstance(
            self.default, tuple) else self.default}
        return {**schema, **_some(description=self.description or None), **default,
                **({"examples": list(self.examples)} if self.examples else {})}

    def plan_schema(self) -> dict[str, Any]:
        """Its JSON Schema in a plan: a secret is always SENSITIVE."""
        schema = {"const": SENSITIVE} if self.secret_ref else (self.plan_type or self.of).shown
        return {**schema, **_some(description=self.plan or None)}

    @property
    def fallback(self) -> Any:
        """What it is when an entry does not say it: its default (read in its unit: a timeout's "15s" is 15.0),
        else its type's (None: nothing)."""
        if self.default is NOTHING:
            return self.of.default
        return self.default if self.unit is None else self.unit.read(self.key, self.default)

    def read(self, raw: Any) -> Any:
        """A value the schema passed as the kind holds it (raises UnitError, or ValueError for a secret)."""
        if self.secret_ref:
            if not isinstance(raw, str) or not has_secret_ref(raw) or not is_reference_only(raw):
                raise ValueError(f"the {self.key} must be a secret reference (${{secret:env:NAME}} or "
                                 f"${{secret:file:PATH}}), never the {self.key} itself")
            problem = secret_ref_problem(raw)
            if problem:
                raise ValueError(problem)
        return self.unit.read(self.key, raw) if self.unit is not None else self.of.read(raw)


def row(key: str, of: Type, description: str, required: bool = True) -> Attr:
    """A row of a plan only (a planned payload's key, an item's)."""
    return Attr(key, of, stack=False, plan=description, plan_required=required)


def fields_of(rows: tuple[Attr, ...], description: str | None = None) -> Type:
    """An object of a plan's rows (a resource as before/after show it, a planned payload, an item of one)."""
    required = [a.key for a in rows if a.plan_required]
    return Type({**_some(description=description), "type": "object", **_some(required=required or None),
                 "additionalProperties": False, "properties": {a.key: a.plan_schema() for a in rows}})


def request(example: str, more: str, **plan: Any) -> Attr:
    """The `request` row of a request applied once per token: a string or a number, read as its text (blank: one
    error); a new token asks for one more of what the request does (`more`). `plan`: how a plan shows it."""
    def read(raw: Any) -> str:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)) or not str(raw).strip():
            raise ValueError(f'request must be a non-empty token (e.g. "{example}"): a new token asks for one more '
                             f"{more}")
        return str(raw).strip()

    return Attr("request", Type({"type": ["string", "number"], "minLength": 1}, read=read), f"A token naming this "
                f"request (e.g. {example}): a new token asks for one more {more}.", (example,), required=True, **plan)


# The `cluster` key every entry has (several clusters: docs/clusters.md); the loader places entries by it.
CLUSTER = Attr("cluster", text(pattern="^[A-Za-z0-9][A-Za-z0-9._-]*$"),
               "With `clusters:` (several clusters): the name of the cluster this resource belongs to. See "
               "docs/clusters.md.", ("east",))


class Shape:
    """A kind's stack section and its entries' keys. `section`: its key in a stack file (None: the kind has none, its
    entry is an object other kinds' entries hold: a connector's offsets request); `definition`: the name of an
    entry's definition in the stack schema; `description` and `example`: the section's (an example is a list of
    entries); `versions`: the Kafka versions that have it, where not every one does; `cluster`: its `cluster` row
    (a mirror's names its target); `more`: other sections the kind's entries come from (CDC sources and mirrors
    give connectors); `extend`: rows it adds to a definition of the base (`environment`'s overlays, `defaults`). Its
    plan side: `resource`, the resource as a plan's before/after show it (its words), and `planned`, what apply does
    (the rows of the kind's planned payload, and its words), with the definitions they refer to (`plan_defs`)."""

    def __init__(self, section: str | None, definition: str, description: str, example: Any, attrs: tuple[Attr, ...],
                 *,
                 entry_description: str | None = None, versions: str | None = None, resource: str = "",
                 planned: tuple[Attr, ...] = (), planned_description: str = "",
                 plan_defs: Mapping[str, Type] | None = None, cluster: Attr | None = None,
                 more: tuple["Shape", ...] = (), extend: Mapping[str, tuple[Attr, ...]] | None = None) -> None:
        self.section, self.definition, self.description, self.example = section, definition, description, example
        self.cluster, self.more, self.extend = cluster or CLUSTER, more, extend or {}
        self.attrs, self.entry_description, self.versions = attrs, entry_description, versions
        self.resource, self.planned, self.planned_description = resource, planned, planned_description
        self.plan_defs = plan_defs or {}

    def __getitem__(self, key: str) -> Attr:
        return next(a for a in self.attrs if a.key == key)

    @property
    def keys(self) -> tuple[Attr, ...]:
        """The rows a stack entry has, `cluster` first (an entry of a section: the loader places it by its cluster)."""
        return (*((self.cluster,) if self.section else ()), *(a for a in self.attrs if a.stack))

    def plan_images(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The plan schema's resource (its rows a plan shows, in the table's order) and planned payload (its rows):
        a family that lays its images out otherwise says so here."""
        return (fields_of(tuple(a for a in self.attrs if a.plan is not None), self.resource or None).schema,
                fields_of(self.planned, self.planned_description).schema)

    def read(self, item: Mapping[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics, prefix: str = "",
             only: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        """An entry the schema passed as values by key (`read_rows`)."""
        return read_rows(self.attrs, item, loc, smap, diags, prefix, only)

    def imported(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Live values as an entry writes them (`kplan import`): in the key's unit where it has one, by key."""
        units = {k: self[k].unit for k in values}
        return {k: v if (unit := units[k]) is None else unit.write(v) for k, v in sorted(values.items())}

    def image(self, resource: Any, reveal: bool = False) -> dict[str, Any]:
        """A resource (declared or live) as a plan's before/after shows it: the keys a plan shows that it has (not
        None), in the table's order, a mapping by key, a secret as SENSITIVE (`reveal`: as its reference)."""
        out = {}
        for a in self.attrs:
            value = getattr(resource, a.key, None) if a.plan is not None else None
            if value is not None:
                out[a.key] = SENSITIVE if a.secret_ref and not reveal else _shown(a.of, value)
        return out

    def rendered(self, spec: Any) -> dict[str, Any]:
        """A declared resource as `kplan render` shows it: its image, a secret as its reference, then where it is
        declared."""
        return {**self.image(spec, reveal=True), "origin": origin_data(spec.origin)}

    def view(self, hide: Mapping[str, Any]) -> Callable[..., dict[str, Any]]:
        """`kplan render`'s view of a kind whose view is its entry's keys, `view(spec, **more)`: each stack row the
        spec holds (the first, its name, as `name`) as JSON but where its value is hide's for that key (HIDDEN:
        always), then what the kind adds (`more`), then where it is declared."""
        name, *keys = (a.key for a in self.attrs if a.stack)
        rows = tuple((k, hide.get(k, NOTHING)) for k in keys if hide.get(k) is not HIDDEN)

        def view(spec: Any, **more: Any) -> dict[str, Any]:
            out = {name: spec.name}
            for key, unshown in rows:
                if (value := getattr(spec, key, HIDDEN)) is not HIDDEN and (unshown is NOTHING or value != unshown):
                    out[key] = value if value.__class__ in _SCALARS else as_json(value)
            return {**out, **more, "origin": origin_data(spec.origin)}
        return view


def named_section(shape: Shape, make: Callable[..., Any], noun: str, entries: list[tuple[Any, Loc]], smap: SourceMap,
                  diags: Diagnostics) -> tuple[Any, ...]:
    """A section whose entries are named by `name` (one declared twice is an error), each read by `shape` into
    `make(**values, origin=...)`, sorted by name: the users' and the features' sections."""
    out = []
    for item, loc, name in diags.named_entries(entries, "name", f'{noun} "{{}}"', f"declare each {noun} once"):
        values = shape.read(item, loc, smap, diags, f"{noun} {name}: ")
        if values is not None:
            out.append(make(**{k: v for k, v in values.items() if v is not None},
                            origin=Origin(loc.file, loc.line, loc.column)))
    return tuple(sorted(out, key=lambda s: s.name))


def read_rows(rows: tuple[Attr, ...], item: Mapping[str, Any], loc: Loc, smap: SourceMap, diags: Diagnostics,
              prefix: str = "", only: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """An entry (or an object in it) the schema passed as values by key (`only`: of those keys), a default where it
    says none (the row's, else its type's; None for a key without one); each problem one error at its value,
    `prefix` before it (`user orders-app: `). None when there was one."""
    values, ok = {}, True
    for a in rows:
        if not a.stack or (only is not None and a.key not in only):
            continue
        if a.key not in item or item[a.key] is None:
            values[a.key] = a.fallback
            continue
        try:
            values[a.key] = a.read(item[a.key])
        except ValueError as e:  # UnitError too
            diags.error(smap.value_loc(item, a.key) or loc, f"{prefix}{e}")
            ok = False
    return values if ok else None


def defaulted(rows: tuple[Attr, ...], item: Mapping[str, Any]) -> dict[str, Any]:
    """An object the schema passed (whose rows read no unit and no secret: nothing to refuse) by key, each row's
    fallback where it says none."""
    return {a.key: a.fallback if item.get(a.key) is None else item[a.key] for a in rows if a.stack}


def said(rows: tuple[Attr, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as an entry writes them (`kplan import`): none that its row means when an entry does not say it."""
    fallback = {a.key: a.fallback for a in rows}
    return {k: v for k, v in values.items() if v is not None and v != fallback.get(k)}


def _shown(of: Type, value: Any) -> Any:
    """A mapping (held as pairs, or a dict) by key; any other value as it is."""
    if of.mapping:
        return dict(sorted(value.items() if isinstance(value, Mapping) else value))
    return value


def as_json(value: Any) -> Any:
    """A spec's value as JSON: a mapping by key, a list, a dataclass by its fields."""
    if value.__class__ in _SCALARS:
        return value
    if hasattr(value, "items"):  # a mapping (typing.Mapping's isinstance is slow: once a topic)
        return {k: v if v.__class__ in _SCALARS else as_json(v) for k, v in sorted(value.items())}
    if isinstance(value, (tuple, list)):
        return [as_json(v) for v in value]
    return {f.name: as_json(getattr(value, f.name)) for f in fields(value)} if is_dataclass(value) else value


_SCALARS = frozenset((str, int, float, bool, type(None)))
