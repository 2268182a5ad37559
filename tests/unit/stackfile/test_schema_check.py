"""The fast schema check (kplan.stackfile.schema_check) may say "valid" only where jsonschema finds no error.

Both run over every stack and policy document the repository holds (examples, golden cases, fixtures), each as it
is and mutated (a value replaced by one of another type or an out-of-range one, a key removed, an unknown key
added), with the stack and the policy schema. Every valid one must take the fast path, or it saves nothing.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

import pytest
import yaml
from test_stack_fuzz import _paths  # every (key or index) path of a document

from kplan.stackfile import policy, schema
from kplan.stackfile.schema_check import SchemaCheck

ROOT = Path(__file__).resolve().parents[3]
REPLACEMENTS = ("x", "", 0, -1, 1.5, True, None, [], {}, ["x"], {"bogus": 1}, "${VAR}", 10**12, "0x")


def _documents(kind: str) -> list[tuple[str, object]]:
    found = []
    for path in sorted([*ROOT.glob("stacks/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")]):
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict):
                continue
            is_policy = "rules" in doc and "stack" not in doc
            if is_policy == (kind == "policy"):
                found.append((f"{path.relative_to(ROOT)}#{i}", doc))
    return found


def _mutations(doc, rng: random.Random, n: int):
    paths = [p for p in _paths(doc) if p]
    for _ in range(n):
        path = rng.choice(paths)
        out = copy.deepcopy(doc)
        parent = out
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        how = rng.randrange(3)
        if how == 0 and isinstance(parent, dict):
            del parent[last]
        elif how == 1 and isinstance(parent[last], dict):
            parent[last]["bogus_key"] = "x"
        else:
            parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
        yield path, out


def _check_agreement(documents, fast, slow_errors, mutations_per_doc: int):
    rng = random.Random(31)
    fast_valid = slow_valid = 0
    for where, doc in documents:
        for path, candidate in [((), doc), *_mutations(doc, rng, mutations_per_doc)]:
            errors = slow_errors(candidate)
            if fast(candidate):
                assert not errors, f"{where} {path}: the fast check says valid, jsonschema finds {errors[:2]}"
            if path == () and not errors:
                slow_valid += 1
                fast_valid += bool(fast(candidate))
    return fast_valid, slow_valid


def test_the_fast_check_never_passes_a_stack_jsonschema_rejects():
    documents = _documents("stack")
    assert len(documents) >= 100
    check = schema.STACK.fast_check
    fast_valid, slow_valid = _check_agreement(
        documents, check, lambda d: [e.message for e in schema.STACK.validator.iter_errors(d)], 12)
    assert slow_valid >= 100 and fast_valid == slow_valid, (fast_valid, slow_valid)


def test_the_memoized_fast_path_agrees_with_the_errors_it_skips():
    """`_surely_valid` (long lists by shape) against `_iter_errors`, on long lists with one bad item each."""
    base = {"stack": "s", "topics": [{"name": f"t{i}", "partitions": 1, "config": {"retention.ms": "1"}}
                                     for i in range(40)]}
    assert schema._surely_valid(base) and not list(schema._iter_errors(base))
    rng = random.Random(7)
    for _ in range(150):
        doc = copy.deepcopy(base)
        item = doc["topics"][rng.randrange(40)]
        key = rng.choice(["name", "partitions", "config", "replication_factor", "colour"])
        item[key] = copy.deepcopy(rng.choice(REPLACEMENTS))
        if schema._surely_valid(doc):
            assert not list(schema._iter_errors(doc)), (key, item[key])


def test_the_fast_check_never_passes_a_policy_jsonschema_rejects():
    documents = _documents("policy")
    assert documents
    fast_valid, slow_valid = _check_agreement(
        documents, policy.POLICY.fast_check,
        lambda d: [e.message for e in policy.POLICY.validator.iter_errors(d)], 40)
    assert fast_valid == slow_valid


@pytest.mark.parametrize("schema_, value, expected", [
    ({"type": "integer"}, True, False),           # a boolean is not a number
    ({"type": "integer"}, 2.0, True),             # 2.0 is an integer in JSON Schema
    ({"enum": [1]}, True, False),
    ({"const": "a"}, "a", True),
    ({"oneOf": [{"type": "string"}]}, "a", False),  # left to jsonschema
    ({"unknownKeyword": 1}, "a", False),           # a keyword it does not know: never "surely valid"
    ({"not": {"enum": ["a"]}}, "b", True),
    ({"not": {"type": "string"}}, 1, False),       # only enum/const/required negations are judged
    ({"not": {"required": ["url"]}}, {"a": 1}, True),
    ({"not": {"required": ["url"]}}, {"url": 1}, False),
    ({"properties": {"a": {"minimum": 2}}, "additionalProperties": False}, {"a": 3}, True),
    ({"properties": {"a": {"minimum": 2}}, "additionalProperties": False}, {"b": 3}, False),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"if": {"properties": {"k": {"const": "x"}}, "required": ["k"]}, "then": {"required": ["v"]}},
     {"k": "x"}, False),
    ({"if": {"properties": {"k": {"const": "x"}}, "required": ["k"]}, "then": {"required": ["v"]}},
     {"k": "y"}, True),
])
def test_keywords(schema_, value, expected):
    assert SchemaCheck(schema_)(value) is expected
