"""kplan/schemas/stack.schema.json (the top-level schemas/ is a symlink to kplan/schemas/): one source of truth,
valid JSON Schema 2020-12, every example valid against it, and its violations reported as readable, located
messages."""

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from kplan.stackfile import validate_stack
from kplan.stackfile.schema import load_schema

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "kplan" / "schemas" / "stack.schema.json"
# stacks/policies/ holds policy files (checked against schemas/policy.schema.json in test_policy_rules.py)
EXAMPLES = sorted(p for p in (ROOT / "stacks").rglob("*.yaml") if "policies" not in p.relative_to(ROOT).parts)


def test_strict_form_drops_only_the_variable_alternatives():
    from kplan.stackfile.schema import strict_schema

    strict = strict_schema(load_schema())
    assert "varRef" not in json.dumps({k: v for k, v in strict["$defs"].items() if k != "varRef"})
    partitions = load_schema()["$defs"]["partitions"]
    assert strict["$defs"]["partitions"] == {"type": "integer", "minimum": 1, "maximum": 10000,
                                             "description": partitions["description"], "examples": [6]}
    assert strict["$defs"]["topicName"]["pattern"] == "^[a-zA-Z0-9._-]+$"


def test_inlined_definitions_are_shared_and_recursive_references_kept():
    """inline_refs gives every reference its definition; one that does not refer back to itself is inlined once and
    shared (every start inlines the stack schema), with a reference's own keys beside it; a recursive one is kept as
    a reference where it recurs."""
    from kplan.stackfile.schema import inline_refs

    schema = {"$defs": {"name": {"type": "string"}, "tree": {"type": "object", "properties": {
        "name": {"$ref": "#/$defs/name"}, "child": {"$ref": "#/$defs/tree"}}}},
        "properties": {"a": {"$ref": "#/$defs/name"}, "b": {"$ref": "#/$defs/name"},
                       "c": {"$ref": "#/$defs/name", "description": "c"}, "t": {"$ref": "#/$defs/tree"}}}
    out = inline_refs(schema)["properties"]
    assert out["a"] == {"type": "string"} and out["a"] is out["b"]
    assert out["c"] == {"type": "string", "description": "c"} and schema["$defs"]["name"] == {"type": "string"}
    assert out["t"] == {"type": "object", "properties": {"name": {"type": "string"},
                                                         "child": {"$ref": "#/$defs/tree"}}}
    assert out["t"]["properties"]["name"] is out["a"]
    strict = inline_refs(load_schema())
    assert strict["properties"]["topics"]["items"]["properties"]["partitions"] is \
        strict["$defs"]["topic"]["properties"]["partitions"]


def test_schema_accepts_variables_in_typed_fields():
    validator = jsonschema.Draft202012Validator(load_schema())
    doc = {"stack": "${NAME}", "topics": [{"name": "${app}.orders", "partitions": "${P:-3}", "protect": "${X}"}],
           "connectors": [{"name": "c", "state": "${STATE}"}]}
    assert list(validator.iter_errors(doc)) == []
    assert list(validator.iter_errors({"topics": [{"name": "a", "partitions": "three"}]}))


def test_schema_is_valid_2020_12():
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert load_schema() == schema


def test_there_are_examples():
    names = {p.name for p in EXAMPLES}
    assert {"cdc-postgres.yaml", "request-response.yaml", "kafka-init.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_against_the_schema(path):
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    for doc in yaml.safe_load_all(path.read_text()):
        if doc is not None:
            assert list(validator.iter_errors(doc)) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_load_in_every_environment(path):
    doc = yaml.safe_load(path.read_text())
    for env in [None, *sorted(doc.get("environments", {}))]:
        stack, diags = validate_stack(path, env, environ={})
        assert stack is not None, [d.located() for d in diags]
        assert [d for d in diags if d.severity == "error"] == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_name_the_schema_for_editors(path):
    assert path.read_text().startswith("# yaml-language-server: $schema=")


def check(tmp_path, text):
    assert text.startswith(HEAD)
    p = tmp_path / "stack.yaml"
    p.write_text(HEAD + textwrap.dedent(text[len(HEAD):]))
    _, diags = validate_stack(p, environ={})
    return [(d.line, d.column, d.address or "", d.message) for d in diags if d.severity == "error"]


HEAD = textwrap.dedent("""\
    stack: s
    cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
    defaults:
      topic: {partitions: 1, replication_factor: 1}
    """)


def test_the_issue_example_message(tmp_path):
    assert check(tmp_path, HEAD + """\
        topics:
          - name: a
          - name: b
          - name: c
            partitions: 0
        """) == [(9, 17, "topics[2].partitions", "must be at least 1 (got 0)")]


def test_unknown_key_with_did_you_mean(tmp_path):
    assert check(tmp_path, HEAD + """\
        topics:
          - name: a
            parttions: 3
        """) == [(7, 5, "topics[0].parttions", 'unknown key "parttions" (did you mean "partitions"?)')]


def test_unknown_top_level_key(tmp_path):
    assert check(tmp_path, HEAD + "topic: []\n") == [(5, 1, "topic", 'unknown key "topic" (did you mean "topics"?)')]


def test_missing_required_key(tmp_path):
    assert check(tmp_path, HEAD + "topics:\n  - partitions: 3\n") == [
        (6, 5, "topics[0]", 'missing required key "name"')]


@pytest.mark.parametrize("snippet,path,message", [
    ("topics:\n  - name: a\n    partitions: three\n", "topics[0].partitions",
     'must be an integer (got string "three")'),
    ("topics:\n  - name: a\n    protect: yes please\n", "topics[0].protect",
     'must be true or false (got string "yes please")'),
    ("topics: {a: 1}\n", "topics", "must be a list (got a mapping)"),
    ("topics:\n  - orders\n", "topics[0]", 'must be a mapping (got string "orders")'),
    ("topics:\n  - name: ''\n", "topics[0].name", "must not be empty"),
    ("topics:\n  - name: 'a b'\n", "topics[0].name",
     "may only contain letters, digits, '.', '_' and '-' (got string \"a b\")"),
    ("topics:\n  - name: '..'\n", "topics[0].name", 'string ".." is not allowed here'),
    ("topics:\n  - name: " + "x" * 250 + "\n", "topics[0].name", "must be at most 249 characters long (got 250)"),
    ("connectors:\n  - {name: c, class: X, state: Running}\n", "connectors[0].state",
     'must be one of running, paused, stopped (got string "Running") (did you mean "running"?)'),
    ("connectors:\n  - {name: c, class: X, tasks_max: 0}\n", "connectors[0].tasks_max", "must be at least 1 (got 0)"),
    ("vars: {1x: 2}\n", "vars.1x",
     "invalid name \"1x\": must be a name of letters, digits and '_' that does not start with a digit"),
    ("environments: {'bad env': {}}\n", "environments.bad env", "invalid name \"bad env\""),
    ("cdc:\n  - {name: p, engine: postgres, connection: {host: h}, tables: []}\n", "cdc[0].tables",
     "must not be empty"),
    ("cdc:\n  - {name: p, engine: postgres, connection: {host: h, port: 70000}, tables: [a]}\n",
     "cdc[0].connection.port", "must be at most 65535 (got 70000)"),
    ("cdc:\n  - {name: p, engine: postgres, connection: {host: h}, tables: [3]}\n", "cdc[0].tables[0]",
     "must be a string or a mapping (got integer 3)"),
    ("topics:\n  - name: a\n    config: {retention.ms: {x: 1}}\n", "topics[0].config.retention.ms",
     "must be a string, an integer, a number, true or false, a list or null (got a mapping)"),
])
def test_rewritten_messages(tmp_path, snippet, path, message):
    errors = check(tmp_path, HEAD + snippet)
    assert (path, message) in [(p, m) if not message.startswith("invalid name") else (p, m[:len(message)])
                               for _, _, p, m in errors], errors


def test_every_problem_at_once(tmp_path):
    errors = check(tmp_path, HEAD + """\
        topics:
          - name: a
            partitions: 0
          - name: b
            replication_factor: -1
          - name: c
            config: {retention.msec: 1}
        connectors:
          - {name: x, class: Y, state: on}
        """)
    assert len(errors) == 4
    assert [e[0] for e in errors] == sorted(e[0] for e in errors)


def _nodes_with_examples(node, where="#"):
    """Every schema node of the stack schema that carries `examples`, with its location (keys under `properties`
    and `$defs` are names, not keywords: a property called `examples` is not one)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _nodes_with_examples(item, f"{where}/{i}")
        return
    if not isinstance(node, dict):
        return
    if "examples" in node:
        yield where, node
    for key, value in node.items():
        if key in ("examples", "enum", "const", "default"):
            continue
        if key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            for name, sub in value.items():
                yield from _nodes_with_examples(sub, f"{where}/{key}/{name}")
        else:
            yield from _nodes_with_examples(value, f"{where}/{key}")


def test_every_example_in_the_schema_is_valid_where_it_stands():
    """The generated reference (docs/reference/) shows each `examples` value as what a user may write: each must be
    valid against the node it sits on, its $refs resolved against the whole schema."""
    schema = json.loads(SCHEMA.read_text())
    nodes = list(_nodes_with_examples(schema))
    assert len(nodes) > 250  # the schema's keys carry examples (issue 60)
    wrong = []
    for where, node in nodes:
        assert isinstance(node["examples"], list) and node["examples"], where
        validator = jsonschema.Draft202012Validator({**node, "$defs": schema["$defs"]})
        for example in node["examples"]:
            wrong += [f"{where}: {example!r}: {error.message}" for error in validator.iter_errors(example)]
    assert wrong == []
