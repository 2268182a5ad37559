"""A fast yes/no check of a document against a JSON Schema (draft 2020-12), so that a valid stack — nearly every
run — never imports jsonschema (~50 ms of start-up with its dependencies: referencing, attrs, rpds).

It answers only "valid for sure" (True) or "not known to be valid" (False); on False the caller asks jsonschema,
which finds the exact errors and words them. So the check may be stricter than the schema, never looser: any
keyword it does not know makes every document that reaches that part of the schema "not known to be valid". The
keywords it knows are those the stack and policy schemas use (type, properties, required, items, pattern, enum,
const, if/then/else, anyOf/allOf/not, bounds, propertyNames, uniqueItems, local `$ref`s; not oneOf: "exactly one"
needs a branch proved invalid, which this check cannot do); `format` is an
annotation, as for kplan's jsonschema validators (made without a format checker). A unit test runs both over
every stack the tests know, mutated, and fails if this says valid where jsonschema finds an error.

A schema node is compiled into a closure the first time a document reaches it, so a large schema costs only the
parts a stack uses.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable

Check = Callable[[Any], bool]

# Keywords that assert nothing (annotations) or that are read with their siblings. x-kafka-versions: the stack
# schema's note of the Kafka versions a key needs, for the generated reference (dev/docs_reference.py).
IGNORED = frozenset({"description", "title", "default", "$comment", "$schema", "$id", "examples", "deprecated",
                      "$defs", "definitions", "format", "readOnly", "writeOnly", "markdownDescription",
                      "then", "else", "x-kafka-versions"})


# The JSON types a Python class stands for by itself (numbers below: a boolean is none, 1.0 is an integer)
_CLASSES: dict[str, type] = {"string": str, "object": dict, "array": list, "boolean": bool, "null": type(None)}


def _is_type(value: Any, name: str) -> bool:
    if name in _CLASSES:
        return isinstance(value, _CLASSES[name])
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return name == "number" and isinstance(value, (int, float))


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 equals 1.0, containers compare item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return type(a) is type(b) and a == b if isinstance(a, str) or isinstance(b, str) else a == b


def _never(_value: Any) -> bool:
    return False


def _always(_value: Any) -> bool:
    return True


_NUMBER = (int, float)
# The keywords that bound a size or a number: (the types they bound, how the bound compares with the argument).
_LIMITS: dict[str, tuple[type | tuple[type, ...], Callable[[Any, Any], bool]]] = {
    "minProperties": (dict, operator.ge), "maxProperties": (dict, operator.le),
    "minItems": (list, operator.ge), "maxItems": (list, operator.le),
    "minLength": (str, operator.ge), "maxLength": (str, operator.le),
    "minimum": (_NUMBER, operator.ge), "maximum": (_NUMBER, operator.le),
    "exclusiveMinimum": (_NUMBER, operator.gt), "exclusiveMaximum": (_NUMBER, operator.lt),
}


def _limit(types: type | tuple[type, ...], compare: Callable[[Any, Any], bool], arg: Any) -> Check:
    """The check of a bound: a size (a mapping's, a list's or a text's length), or a number (a boolean is none)."""
    if types is _NUMBER:
        return lambda value: not isinstance(value, _NUMBER) or isinstance(value, bool) or compare(value, arg)
    return lambda value: not isinstance(value, types) or compare(len(value), arg)  # type: ignore[arg-type]


class SchemaCheck:
    """`SchemaCheck(schema)(document)`: True when the document is valid for sure (see the module's docstring)."""

    def __init__(self, schema: Any):
        self._root = schema
        self._compiled: dict[int, Check] = {}
        self._keep: list[Any] = []  # nodes whose id() is a key above, kept alive

    def __call__(self, document: Any) -> bool:
        return self.node(self._root)(document)

    def node(self, schema: Any) -> Check:
        """The check of one schema node, compiled once (lazily: a node is compiled only when a value reaches it)."""
        key = id(schema)
        check = self._compiled.get(key)
        if check is None:
            compiled: list[Check] = []

            def lazy(value: Any) -> bool:
                if not compiled:
                    compiled.append(self._compile(schema))
                return compiled[0](value)

            check = self._compiled[key] = lazy
            self._keep.append(schema)
        return check

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return None
        node = self._root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def _compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if not isinstance(schema, dict):
            return _never  # `false`, or not a schema at all: never "valid for sure"
        checks: list[Check] = []
        for keyword, arg in schema.items():
            if keyword in IGNORED:
                continue
            make = getattr(self, "_k_ref" if keyword == "$ref" else "_k_" + keyword, None)
            if keyword in _LIMITS:
                check = _limit(*_LIMITS[keyword], arg)
            elif make is None or keyword.startswith("_") or keyword == "ref":
                return _never  # a keyword this check does not know: ask jsonschema
            else:
                check = make(arg, schema)
            if check is None:
                return _never
            checks.append(check)
        if not checks:
            return _always
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(c(value) for c in checks)

    # -- keywords: each returns a check, or None when it cannot judge its argument ------------------------------

    def _k_ref(self, arg, _schema):
        target = self._resolve(arg) if isinstance(arg, str) else None
        return None if target is None else self.node(target)

    def _k_type(self, arg, _schema):
        names = [arg] if isinstance(arg, str) else arg
        return lambda value: any(_is_type(value, n) for n in names)

    def _k_enum(self, arg, _schema):
        return lambda value: any(_equal(value, option) for option in arg)

    def _k_const(self, arg, _schema):
        return lambda value: _equal(value, arg)

    def _k_properties(self, arg, _schema):
        props = {k: self.node(v) for k, v in arg.items()}

        def check(value):
            if not isinstance(value, dict):
                return True
            for k, sub in props.items():
                if k in value and not sub(value[k]):
                    return False
            return True
        return check

    def _k_additionalProperties(self, arg, schema):
        known = frozenset(schema.get("properties", ()))
        patterns = [re.compile(p) for p in schema.get("patternProperties", ())]
        sub = self.node(arg)

        def check(value):
            if not isinstance(value, dict):
                return True
            return all(sub(v) for k, v in value.items()
                       if k not in known and not any(p.search(k) for p in patterns))
        return check

    def _k_patternProperties(self, arg, _schema):
        pairs = [(re.compile(p), self.node(s)) for p, s in arg.items()]

        def check(value):
            if not isinstance(value, dict):
                return True
            return all(sub(v) for k, v in value.items() for p, sub in pairs if p.search(k))
        return check

    def _k_propertyNames(self, arg, _schema):
        sub = self.node(arg)
        return lambda value: not isinstance(value, dict) or all(sub(k) for k in value)

    def _k_required(self, arg, _schema):
        return lambda value: not isinstance(value, dict) or all(k in value for k in arg)

    def _k_items(self, arg, schema):
        if "prefixItems" in schema:
            return None
        sub = self.node(arg)
        return lambda value: not isinstance(value, list) or all(sub(v) for v in value)

    def _k_uniqueItems(self, arg, _schema):
        if not arg:
            return _always

        def check(value):
            if not isinstance(value, list):
                return True
            return all(not _equal(value[i], value[j]) for i in range(len(value)) for j in range(i + 1, len(value)))
        return check

    def _k_pattern(self, arg, _schema):
        pattern = re.compile(arg)
        return lambda value: not isinstance(value, str) or pattern.search(value) is not None

    def _k_anyOf(self, arg, _schema, holds=any):
        subs = [self.node(s) for s in arg]
        return lambda value: holds(s(value) for s in subs)

    def _k_allOf(self, arg, schema):
        return self._k_anyOf(arg, schema, all)

    def _k_not(self, arg, _schema):
        # `not X` is valid when X surely fails; only a few shapes of X, whose check is exact, are proved to fail here
        if not (isinstance(arg, dict) and len(arg) == 1 and set(arg) <= {"enum", "const", "required"}):
            return None
        sub = self.node(arg)
        return lambda value: not sub(value)

    def _k_if(self, arg, schema):
        # the `if` branch must be decided for sure both ways: only shapes whose check is exact are used (`type`,
        # `required`, and `properties` whose subschemas are made of `const`, `enum` and `type`)
        if not (isinstance(arg, dict) and set(arg) <= {"properties", "required", "type"} and all(
                isinstance(sub, dict) and set(sub) <= {"const", "enum", "type", "description"}
                for sub in arg.get("properties", {}).values())):
            return None
        test = self.node(arg)
        then = self.node(schema["then"]) if "then" in schema else _always
        otherwise = self.node(schema["else"]) if "else" in schema else _always
        return lambda value: then(value) if test(value) else otherwise(value)
