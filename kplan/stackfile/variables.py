"""`${VAR}` and `${VAR:-default}` substitution in stack values.

Lookup order (first match wins): the process environment, then the selected environment overlay's `vars`, then
the stack's `vars`, then the inline default. `$${` is a literal `${`. References that are not variables pass
through untouched: kplan secrets (`${secret:env:NAME}`, resolved only at apply) and Kafka Connect config-provider
placeholders (`${file:/path:key}`, `${env:NAME}`, `${vault:...}`, resolved by the Connect worker); variables
inside them are substituted (`${file:/etc/${ENV}/db.properties:pw}`), and so are variables in a default
(`${A:-${B}}`).

A plain (unquoted) scalar that is exactly one variable reference takes the type its value would have if written
inline, so `partitions: ${PARTITIONS:-3}` is the integer 3; quoted scalars and anything longer stay strings.
Variable values may themselves use `${...}`; a cycle is reported. Substitution applies to values, not keys.

`${each.key}`, `${each.value}` and `${each.value.<key>...}` (with `:-default` too) are the item of a `for_each`
entry (kplan.stackfile.for_each): a resolver made for one item (`Resolver.for_item`) resolves them; anywhere
else they are an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import AbstractSet, Mapping

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.secrets import secret_ref_problem
from kplan.stackfile.located import copy_at
from kplan.stackfile.yaml_values import QuotedStr

_VAR = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?$", re.S)
# `each.key`, `each.value`, `each.value.a.b`: a for_each item (checked further when resolved)
_EACH = re.compile(r"^(?P<name>each\.[^:}]*)(?::-(?P<default>.*))?$", re.S)
_PROVIDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*:")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$")


class SubstitutionError(Exception):
    pass


class _Kind(Enum):
    TEXT = "text"
    VAR = "var"
    CHECK_SECRET = "check-secret"  # the result holds a secret reference built from variables


@dataclass(frozen=True)
class _Seg:
    kind: _Kind
    text: str = ""
    name: str = ""
    default: str | None = None


def _ref_end(value: str, start: int) -> int:
    """The index of the '}' that closes the `${` at `start` (references nested inside count), or -1."""
    depth, j = 0, start
    while j < len(value):
        if value.startswith("${", j):
            depth, j = depth + 1, j + 2
            continue
        if value[j] == "}":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def parse(value: str) -> list[_Seg]:
    """Split a string into literal text and variable references; raises SubstitutionError when malformed."""
    segs: list[_Seg] = []
    buf: list[str] = []
    i = 0
    n = len(value)

    def flush_text() -> None:
        if buf:
            segs.append(_Seg(_Kind.TEXT, "".join(buf)))
            buf.clear()

    def nested(body: str, check_secret: bool) -> None:
        """A secret or provider reference with variables inside: `${`, the body's own segments, `}`."""
        buf.append("${")
        for seg in parse(body):
            if seg.kind is _Kind.TEXT:
                buf.append(seg.text)
            else:
                flush_text()
                segs.append(seg)
        buf.append("}")
        if check_secret:
            segs.append(_Seg(_Kind.CHECK_SECRET))

    while i < n:
        if value.startswith("$${", i):
            buf.append("${")
            i += 3
            continue
        if value.startswith("${", i):
            end = _ref_end(value, i)
            if end < 0:
                raise SubstitutionError("unterminated '${' (missing '}'; write $${ for a literal ${)")
            body = value[i + 2 : end]
            ref = value[i : end + 1]
            named = _VAR.match(body) or _EACH.match(body)
            if "${" in body and (body.startswith("secret:") or (_PROVIDER.match(body) and not named)):
                nested(body, check_secret=body.startswith("secret:"))
            elif body.startswith("secret:"):
                problem = secret_ref_problem(ref)
                if problem:
                    raise SubstitutionError(problem)
                buf.append(ref)
            elif (m := named) is not None:
                flush_text()
                segs.append(_Seg(_Kind.VAR, name=m["name"], default=m["default"]))
            elif _PROVIDER.match(body):
                buf.append(ref)  # a Connect config-provider placeholder: the worker resolves it
            else:
                raise SubstitutionError(
                    f"invalid reference {ref!r}: expected ${{NAME}}, ${{NAME:-default}}, ${{secret:env:NAME}} "
                    "or a Connect config provider reference such as ${file:/path:key}"
                )
            i = end + 1
            continue
        buf.append(value[i])
        i += 1
    flush_text()
    return segs


def coerce_plain(text: str):
    """The value a plain YAML scalar with this text would have: int, float, bool, or the string itself."""
    s = text.strip()
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    if s.lower() in ("true", "false"):
        return s.lower() == "true"
    return text


def _to_text(value, name: str = "") -> str:
    if isinstance(value, (dict, list)):
        raise SubstitutionError(f"${{{name}}} is {'a mapping' if isinstance(value, dict) else 'a list'}: it can "
                                "only be a whole value (e.g. `for_each: ${" + name + "}`), not part of a string")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


class Resolver:
    """Resolves variables against the environment and the (already merged) `vars` mappings; `each`, when given,
    is the for_each item (key, value) `${each.*}` names."""

    def __init__(self, environ: Mapping[str, str], vars_: Mapping[str, object],
                 each: tuple[object, object] | None = None):
        self.environ = environ
        self.vars = vars_
        self.each = each
        self._resolved: dict[str, object] = {}
        self._active: list[str] = []

    def for_item(self, key, value) -> "Resolver":
        """A resolver for one for_each item: the same variables (resolved again: a variable may use `${each.*}`)."""
        return Resolver(self.environ, self.vars, (key, value))

    def lookup(self, name: str):
        """The value of a variable, or KeyError when undefined. Values from `vars` are substituted themselves."""
        if name in self.environ:
            return self.environ[name]
        if name not in self.vars:
            raise KeyError(name)
        if name in self._resolved:
            return self._resolved[name]
        if name in self._active:
            cycle = " -> ".join(self._active[self._active.index(name):] + [name])
            raise SubstitutionError(f"variable cycle: {cycle}")
        raw = self.vars[name]
        self._active.append(name)
        try:
            value = self._deep(raw)
        finally:
            self._active.pop()
        self._resolved[name] = value
        return value

    def _deep(self, raw):
        """A variable's value substituted: a string, or every string of a list or mapping (a new one)."""
        if isinstance(raw, str):
            return self.substitute(raw, plain=not isinstance(raw, QuotedStr)) if "${" in raw else str(raw)
        if isinstance(raw, dict):
            return {k: self._deep(v) for k, v in raw.items()}
        if isinstance(raw, list):
            return [self._deep(v) for v in raw]
        return raw

    def substitute(self, value: str, plain: bool = True):
        """Substitute one string. A plain scalar that is exactly one reference keeps its value's type."""
        segs = parse(value)
        if len(segs) == 1 and segs[0].kind is _Kind.VAR and plain:
            got = self._one(segs[0])
            return coerce_plain(got) if isinstance(got, str) else got
        out = []
        for seg in segs:
            if seg.kind is not _Kind.CHECK_SECRET:
                out.append(seg.text if seg.kind is _Kind.TEXT else _to_text(self._one(seg), seg.name))
        text = "".join(out)
        if any(seg.kind is _Kind.CHECK_SECRET for seg in segs):
            problem = secret_ref_problem(text)  # a secret reference built from variables: check what they made
            if problem:
                raise SubstitutionError(problem)
        return text

    def _one(self, seg: _Seg):
        try:
            if seg.name.startswith("each."):
                return each_value(self.each, seg.name)
            return self.lookup(seg.name)
        except KeyError:
            if seg.default is not None:
                return self.substitute(seg.default, plain=False) if "${" in seg.default else seg.default
            if seg.name.startswith("each.") and self.each is not None:
                raise SubstitutionError(
                    f"the for_each item's value has no {seg.name.removeprefix('each.value.')!r} for "
                    f"${{{seg.name}}} (give a default: ${{{seg.name}:-value}})") from None
            raise SubstitutionError(
                f'undefined variable "{seg.name}" (set it in vars or in the environment, '
                f"or give a default: ${{{seg.name}:-value}})"
            ) from None


_EACH_FORMS = "${each.key}, ${each.value} or ${each.value.<key>}"


def each_value(each: tuple[object, object] | None, name: str):
    """What `${<name>}` (`each.key`, `each.value`, `each.value.a.b`) is for the item `each`: KeyError when the item's
    value has no such key (a default applies), SubstitutionError when there is no item or the name is malformed. A
    key may hold dots (`each.value.retention.ms`): the longest one the mapping has is taken first."""
    if each is None:
        raise SubstitutionError(f"${{{name}}} is only defined in an entry with for_each (the item it expands for)")
    parts = name.split(".")[1:]
    if parts == ["key"]:
        return each[0]
    if parts[0] != "value" or any(not p for p in parts):
        raise SubstitutionError(f"invalid reference ${{{name}}}: a for_each entry's item is {_EACH_FORMS}")
    node, rest = each[1], parts[1:]
    while rest:
        if not isinstance(node, dict):
            raise KeyError(name)
        for n in range(len(rest), 0, -1):
            if (key := ".".join(rest[:n])) in node:
                node, rest = node[key], rest[n:]
                break
        else:
            raise KeyError(name)
    return node


def substitute_tree(tree, smap: SourceMap, resolver: Resolver, diags: Diagnostics,
                    skip: AbstractSet[tuple[int, object]] = frozenset()) -> None:
    """Substitute every string value inside `tree` in place (keys untouched), reporting problems at their
    location. `skip` holds (id(container), key) of the subtrees left alone (e.g. environments not selected)."""
    skip_in = {i for i, _ in skip} if skip else None  # the containers whose keys are looked up in `skip`
    stack = [tree]
    plain: dict[str, str] = {}  # one plain copy of each quoted text: configs repeat the same values a lot
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        ask = skip_in is not None and id(node) in skip_in
        for key, value in list(items):
            if ask and (id(node), key) in skip:
                continue
            cls = value.__class__
            if cls is str and "${" not in value or cls is int:  # the most common values, at once
                continue
            if cls is QuotedStr and "${" not in value:  # a quoted text (configs' values): its plain copy
                node[key] = plain.get(value) or plain.setdefault(value, str(value))
                continue
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif isinstance(value, str) and "${" in value:
                try:
                    got = resolver.substitute(value, plain=not isinstance(value, QuotedStr))
                except SubstitutionError as e:
                    diags.error(smap.value_loc(node, key), str(e))
                    node[key] = str(value)
                    continue
                if isinstance(got, (dict, list)):  # a variable's list or mapping: a copy, located here
                    at = smap.value_loc(node, key) or Loc("<stack>", 0, 0)
                    got = copy_at(got, at.path, smap, at)
                node[key] = got
