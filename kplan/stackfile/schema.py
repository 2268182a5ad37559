"""Validation of stack documents against `schemas/stack.schema.json`, with messages a person can act on.

The schema is loaded from package data (`kplan/schemas/stack.schema.json`; the top-level `schemas/` is a symlink
to `kplan/schemas/`), one complete file read as it is. That file is generated: `make schemas` assembles it from the
base (`kplan/schemas/parts/stack.base.json`) and each kind's shape (`kplan/kinds/shape.py`) with
`kplan.kinds.schema_parts`; edit those. jsonschema's messages are rewritten ("must be at least 1 (got 0)",
"unknown key "parttions" (did you mean "partitions"?)") and placed at the offending node.

For editors and raw files the schema accepts a `${VAR}` reference wherever a typed value goes
(`anyOf: [<type>, varRef]`). kplan validates values after substitution, so it uses a strict form of the same
schema with those variable alternatives removed: the messages then speak about the real type.
"""

from __future__ import annotations

import json
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Callable, Iterator

from kplan.kinds import UNITS
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap, child_path
from kplan.stackfile.schema_check import IGNORED, SchemaCheck
from kplan.stackfile.yaml_values import QuotedStr
from kplan.words import did_you_mean

SCHEMA_RESOURCE = "schemas/stack.schema.json"

_TYPE_NAMES = {
    "string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
    "object": "a mapping", "array": "a list", "null": "null",
}
_PATTERN_MESSAGES = {
    "^[a-zA-Z0-9._-]+$": "may only contain letters, digits, '.', '_' and '-'",
    "^[A-Za-z0-9][A-Za-z0-9._-]*$":
        "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'",
    "^[A-Za-z_][A-Za-z0-9_]*$": "must be a name of letters, digits and '_' that does not start with a digit",
    "^[^/\\\\\\u0000-\\u001f]+$": "must not contain '/', '\\' or control characters",
    "^[A-Za-z][A-Za-z0-9]*:[^*|]+$": "must be a principal of the form Type:name, e.g. User:orders-app",
    "^[^|]+$": "must not contain '|'",
}


def packaged(resource: str) -> dict:
    """A JSON Schema shipped in the package (`schemas/...`), read as it is."""
    return json.loads(resources.files("kplan").joinpath(resource).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return packaged(SCHEMA_RESOURCE)


_VAR_REF = {"$ref": "#/$defs/varRef"}
# An entry's for_each and overrides (kplan.stackfile.for_each): gone once the entry is expanded.
_LOOP_REFS = ({"$ref": "#/$defs/forEach"}, {"$ref": "#/$defs/forEachOverrides"})


def strict_schema(schema: dict) -> dict:
    """The schema without its `${VAR}` alternatives (`{anyOf: [X, varRef], ...}` becomes `{...X, ...}`) and without
    the entries' `for_each` and `overrides` (validated values are expanded ones)."""
    def strip(node):
        if isinstance(node, dict):
            any_of = node.get("anyOf")
            if isinstance(any_of, list) and len(any_of) == 2 and any_of[1] == _VAR_REF:
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                return strip({**any_of[0], **rest})
            return {k: strip(v) for k, v in node.items() if v not in _LOOP_REFS}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    out = strip(schema)
    if isinstance(out.get("$defs"), dict):
        out["$defs"] = {k: v for k, v in out["$defs"].items() if {"$ref": f"#/$defs/{k}"} not in _LOOP_REFS}
    return out


def inline_refs(schema: dict) -> dict:
    """The schema with every non-recursive `#/$defs/...` reference replaced by its definition. Same meaning,
    but jsonschema no longer resolves a reference per node: validation of a 2,000-topic stack takes less than
    half the time. A definition whose inlining met no reference left in place (none of its own definitions refers
    back to it) is the same wherever it is met: inlined once and shared (the result is read, never changed). Every
    start inlines the stack schema, and the fast check compiles a shared node once."""
    defs = schema.get("$defs", {})
    done: dict[str, Any] = {}
    kept = [0]  # references left in place (recursive ones)

    def inline(node, seen: tuple[str, ...]):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
                name = ref[8:]
                if name in seen:
                    kept[0] += 1
                    return {k: inline(v, seen) for k, v in node.items()}
                rest = {k: inline(v, seen) for k, v in node.items() if k != "$ref"}
                found = done.get(name)
                if found is None:
                    before = kept[0]
                    found = inline(defs[name], seen + (name,))
                    if kept[0] != before:  # what it becomes depends on the path to it
                        return {**found, **rest}
                    done[name] = found
                return {**found, **rest} if rest else found
            return {k: inline(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, seen) for v in node]
        return node

    return inline(schema, ())


class CheckedSchema:
    """A schema and its two checks: the fast yes/no one (kplan.stackfile.schema_check), and jsonschema's validator,
    which finds and words the errors of a document the fast one cannot pass (imported and built only then)."""

    def __init__(self, load: Callable[[], dict]) -> None:
        self._load = load

    @cached_property
    def schema(self) -> dict:
        return self._load()

    @cached_property
    def fast_check(self) -> SchemaCheck:
        return SchemaCheck(self.schema)

    @cached_property
    def validator(self):
        return _validator_of(self.schema)


STACK = CheckedSchema(lambda: inline_refs(strict_schema(load_schema())))


def describe(value) -> str:
    """A short description of a value for messages: `string "abc"`, `integer 0`, `a mapping`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{'integer' if isinstance(value, int) else 'number'} {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _wrong_type(val, inst) -> str:
    """What a value of another type than the schema's (`val`: one type or a list) is told."""
    types = [val] if isinstance(val, str) else val
    names = [_TYPE_NAMES.get(t, t) for t in types]
    expected = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    yaml_bool = isinstance(inst, bool) and "string" in types
    hint = " (YAML reads yes/no/on/off as true/false: quote the value)" if yaml_bool else ""
    return f"must be {expected} (got {describe(inst)}){hint}"


def _walk(root, parts):
    """(parent container, last key, node) along a jsonschema path; parent is None for the root."""
    parent, last, node = None, None, root
    for p in parts:
        try:
            parent, last, node = node, p, node[p]
        except (KeyError, IndexError, TypeError):
            break
    return parent, last, node


def validate_document(root: dict, smap: SourceMap, diags: Diagnostics, environment: str | None) -> list[tuple]:
    """Report every schema violation in one document and return where they are (each a path of keys and list
    indexes into the document; `()` is the document itself). Only the selected environment's overlay is checked
    (the others are neither substituted nor used)."""
    view = root
    envs = root.get("environments")
    if isinstance(envs, dict):
        view = dict(root)
        view["environments"] = {k: (v if k == environment else {}) for k, v in envs.items()}
    if _surely_valid(view):
        return []
    return report_errors(list(_iter_errors(view)), root, smap, diags)


def report_errors(errors: list, root: dict, smap: SourceMap, diags: Diagnostics) -> list[tuple]:
    """Report jsonschema's errors of the document `root`, worded and located, and return where they are. A value of
    the wrong type gets the type error only (not also "must be one of ..." for the same value)."""
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    for error in errors:
        if (error.validator != "type" and tuple(error.absolute_path) in typed
                and "propertyNames" not in error.relative_schema_path):
            continue
        for loc, message in _messages(error, root, smap):
            diags.add(loc, message)
    return [tuple(e.absolute_path) for e in errors]


# Long resource lists are validated item by item, once per distinct shape (the item with its name left out):
# a 2,000-topic stack usually has a handful of shapes. Only items that fail are validated again in full, so the
# errors (and their messages) are exactly those of a whole-document validation. The lists: the kinds' sections that
# may hold thousands of entries (`StackSection.many`), and the cdc sources.
_MEMO_LISTS = (*(u.section.key for u in UNITS if u.section is not None and u.section.many), "cdc")
_MEMO_MIN_ITEMS = 16
_NAME_PLACEHOLDER = "x"


def cluster_section_valid(cluster: dict) -> bool:
    """Whether a (substituted, overlay-merged) `cluster:` section passes the stack schema's cluster rules."""
    return (STACK.fast_check.node(STACK.schema["properties"]["cluster"])(cluster)
            or _validator_of(STACK.schema["properties"]["cluster"]).is_valid(cluster))


@lru_cache(maxsize=None)
def _item_validators(key: str):
    items = STACK.schema["properties"][key]["items"]
    name_schema = items["properties"]["name"]
    return _validator_of(items), _surely_valid_string(name_schema) or _validator_of(name_schema).is_valid


def _validator_of(part: dict):
    from jsonschema import Draft202012Validator

    return Draft202012Validator(part)


_STRING_KEYWORDS = frozenset({"type", "minLength", "maxLength", "pattern", "not"}) | IGNORED  # (annotations)


def _surely_valid_string(schema: dict):
    """A fast predicate for a string schema made only of type/minLength/maxLength/pattern/not-enum branches
    (anyOf): True means valid for sure; False means "ask jsonschema" (which then gives the exact errors).
    None when the schema has anything else. Names are the one field every item has and no two share."""
    import re

    branches = schema.get("anyOf", [schema])
    checks = []
    for b in branches:
        if b.get("type") != "string" or not set(b) <= _STRING_KEYWORDS:
            return None
        forbidden = b.get("not", {})
        if set(forbidden) - {"enum"}:
            return None
        checks.append((b.get("minLength", 0), b.get("maxLength"), re.compile(b["pattern"]) if "pattern" in b else None,
                       frozenset(forbidden.get("enum", ()))))

    def check(value) -> bool:
        if not isinstance(value, str):
            return False
        n = len(value)
        for lo, hi, pattern, banned in checks:
            if (n >= lo and (hi is None or n <= hi) and value not in banned
                    and (pattern is None or pattern.search(value))):
                return True
        return False

    return check


def _shape(item: dict) -> tuple:
    """An item with its name left out, as a hashable key: equal keys are equal items of the same types (true is not
    1, a quoted text is not a plain one), so one validation answers for all of them."""
    hashable = _HASHABLE
    # `_shape_of` of each value, a text or number without the call (most values of a hundred thousand items)
    return tuple([(k, (v.__class__, v) if v.__class__ in hashable else _shape_of(v))
                  for k, v in item.items() if k != "name"])


def _shape_of(value) -> tuple:
    cls = value.__class__
    if cls is dict:
        hashable = _HASHABLE
        return (dict, *[(k, (v.__class__, v) if v.__class__ in hashable else _shape_of(v))
                        for k, v in value.items()])
    if cls is list:
        return (list, *map(_shape_of, value))
    return (cls, value) if cls in _HASHABLE else (cls, repr(value))


_HASHABLE = frozenset({str, QuotedStr, int, float, bool, type(None)})


def _long_lists(view: dict) -> dict[str, list]:
    return {k: view[k] for k in _MEMO_LISTS if isinstance(view.get(k), list) and len(view[k]) >= _MEMO_MIN_ITEMS}


def _surely_valid(view: dict) -> bool:
    """True when the document is valid for sure without asking jsonschema (kplan.stackfile.schema_check): the
    long lists item by item, once per shape, as `_iter_errors` does. False: ask jsonschema for the errors."""
    check = STACK.fast_check
    lists = _long_lists(view)
    if not check({**view, **{k: [] for k in lists}} if lists else view):
        return False
    properties = STACK.schema["properties"]
    for key, items in lists.items():
        name_schema = properties[key]["items"]["properties"]["name"]
        name_check = _surely_valid_string(name_schema) or check.node(name_schema)
        if next(_failing(items, check.node(properties[key]["items"]), name_check), None) is not None:
            return False
    return True


def _failing(items: list, item_ok: Callable[[Any], bool], name_ok: Callable[[Any], bool]) -> Iterator[int]:
    """The indexes of a long list's items not known to be valid: each item checked once per shape (`item_ok`), its
    name apart (`name_ok`)."""
    shapes: dict[tuple, bool] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            shape = _shape(item)
            ok = shapes.get(shape)
            if ok is None:
                ok = shapes[shape] = item_ok({**item, "name": _NAME_PLACEHOLDER})
            if ok and name_ok(item["name"]):
                continue
        yield index


def _iter_errors(view: dict):
    lists = _long_lists(view)
    yield from STACK.validator.iter_errors({**view, **{k: [] for k in lists}} if lists else view)
    for key, items in lists.items():
        item_validator, name_validator = _item_validators(key)
        for index in _failing(items, item_validator.is_valid, name_validator):
            for error in item_validator.iter_errors(items[index]):
                error.path.appendleft(index)
                error.path.appendleft(key)
                yield error


def _located_path(root, parts: list, smap: SourceMap) -> str:
    """The YAML path of a node as its messages name it: below an entry of a section's list, the entry's own path
    (`topics[0]`, as written; an expansion of a for_each entry: `topics[0] (for_each item "acme")`)."""
    path, rest = "", parts
    if len(parts) >= 2 and isinstance(parts[1], int) and isinstance(items := root.get(parts[0]), list):
        at = smap.value_loc(items, parts[1])
        if at is not None and at.path:
            path, rest = at.path, parts[2:]
    for p in rest:
        path = child_path(path, p)
    return path


def _messages(error, root, smap: SourceMap):
    parts = list(error.absolute_path)
    parent, last, node = _walk(root, parts)
    path = _located_path(root, parts, smap)
    here = (smap.value_loc(parent, last) if parent is not None else smap.loc(root)) or Loc("<stack>", 0, 0)
    here = here.child(path)
    v, inst, val = error.validator, error.instance, error.validator_value
    in_names = "propertyNames" in error.relative_schema_path

    if in_names:
        # A bad key: jsonschema reports it against the mapping; point at the key itself.
        kloc = (smap.key_loc(node, inst) if isinstance(node, dict) else None) or here
        kloc = kloc.child(child_path(path, inst))
        if v == "pattern":
            yield kloc, f'invalid name "{inst}": {_PATTERN_MESSAGES.get(val, f"must match {val}")}'
        elif v == "minLength":
            yield kloc, "keys must not be empty"
        else:
            yield kloc, f'invalid key "{inst}": {error.message}'
        return
    if v == "additionalProperties" and isinstance(inst, dict):
        known = list((error.schema.get("properties") or {}).keys())
        pattern_props = error.schema.get("patternProperties") or {}
        for key in inst:
            if key in known or pattern_props:
                continue
            kloc = (smap.key_loc(node, key) if isinstance(node, dict) else None) or here
            yield kloc.child(child_path(path, key)), f'unknown key "{key}"' + did_you_mean(key, known)
        return
    if v == "required" and isinstance(inst, dict):
        for key in val:
            if key not in inst:
                yield here, f'missing required key "{key}"'
        return
    yield here, _WORDED[v](val, inst) if v in _WORDED else error.message  # else jsonschema's: a keyword not used


# What a value breaking a keyword is told, by the keyword: (the keyword's value, the instance) -> the message.
_WORDED: dict[str, Callable[[Any, Any], str]] = {
    "type": _wrong_type,
    "minimum": lambda val, inst: f"must be at least {val} (got {inst})",
    "maximum": lambda val, inst: f"must be at most {val} (got {inst})",
    "enum": lambda val, inst: f"must be one of {', '.join(map(str, val))} (got {describe(inst)})" + (
        did_you_mean(inst, val) if isinstance(inst, str) else ""),
    "minLength": lambda val, inst: "must not be empty" if val == 1 else f"must be at least {val} characters long",
    "maxLength": lambda val, inst: f"must be at most {val} characters long (got {len(inst)})",
    "minItems": lambda val, inst: "must not be empty" if val == 1 else f"must have at least {val} items",
    "pattern": lambda val, inst: f"{_PATTERN_MESSAGES.get(val, f'must match {val}')} (got {describe(inst)})",
    "not": lambda val, inst: f"{describe(inst)} is not allowed here",
    # jsonschema's own message shows the whole value, a password within it too
    "anyOf": lambda val, inst: "matches none of the forms allowed here (got "
                               f"{'a string' if isinstance(inst, str) else describe(inst)})",
}
