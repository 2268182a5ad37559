"""The stack loader's fast path (libyaml events) must give exactly what the node-based path gives — the same
values, the same types (quoted strings stay `QuotedStr`) and the same locations for every container, key and
value — or decline and leave the document to the node-based path."""

from __future__ import annotations

from pathlib import Path

import pytest

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import SourceMap
from kplan.stackfile import yaml_fast, yamlsrc
from kplan.stackfile.yaml_values import QuotedStr
from kplan.stackfile.yamlsrc import parse_documents

ROOT = Path(__file__).resolve().parents[3]
YAML_FILES = sorted(p for d in ("stacks", "tests/golden", "examples") if (ROOT / d).is_dir()
                    for p in (ROOT / d).rglob("*.y*ml"))

SNIPPETS = {
    "scalars": """
stack: s   # a comment
a: 1
b: 0x1F
c: 1_000
d: -3.5
e: .inf
f: yes
g: ~
h: null
i: "quoted 1"
j: 'single'
k: 2024-01-01
l:
m: |
  block
  text
n: >
  folded
o: "${VAR}"
p: ${VAR}
q: 1:30
r: ""
s: 0o17
t: +12
u: "true"
""",
    "nesting": """
stack: s
topics:
  - name: a
    config: {retention.ms: "1", cleanup.policy: compact}
    partitions: 3
  - {name: b, partitions: 1}
  -
    name: c
connectors: []
defaults: {}
empty_list:
  -
  - - 1
    - 2
""",
    "documents": """
stack: s
---
topics:
  - name: x
...
---
cluster:
  bootstrap_servers: a:1
""",
}

DECLINED = {
    "anchor": "stack: s\na: &x {b: 1}\nc: *x\n",
    "merge": "stack: s\nbase: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
    "tag": "stack: s\na: !!str 1\n",
    "local tag": "stack: s\na: !custom 1\n",
    "duplicate key": "stack: s\na: 1\na: 2\n",
    "complex key": "stack: s\n? [a, b]\n: 1\n",
    "list document": "- a\n- b\n",
    "scalar document": "just text\n",
    "empty document": "stack: s\n---\n---\na: 1\n",
    "empty file": "",
    "yaml error": "stack: s\na: [1, 2\n",
    "value tag": "stack: s\na: =\n",
}


def _walk(obj, smap: SourceMap, path="$"):
    """(path, what, value) for every location the source map knows, and the value types, depth first."""
    if isinstance(obj, dict):
        yield path, "loc", smap.loc(obj)
        for k, v in obj.items():
            yield f"{path}.{k}", "value_loc", smap.value_loc(obj, k)
            yield f"{path}.{k}", "key_loc", smap.key_loc(obj, k)
            yield from _walk(v, smap, f"{path}.{k}")
    elif isinstance(obj, list):
        yield path, "loc", smap.loc(obj)
        for i, v in enumerate(obj):
            yield f"{path}[{i}]", "value_loc", smap.value_loc(obj, i)
            yield from _walk(v, smap, f"{path}[{i}]")
    else:
        yield path, "type", type(obj).__name__


def _both(text: str, monkeypatch):
    fast_smap, fast_diags = SourceMap(), Diagnostics()
    fast = parse_documents("f.yaml", text, fast_smap, fast_diags)
    with monkeypatch.context() as m:
        m.setattr(yamlsrc, "fast_documents", lambda *a: None)
        m.setattr(yamlsrc, "line_documents", lambda *a: None)
        slow_smap, slow_diags = SourceMap(), Diagnostics()
        slow = parse_documents("f.yaml", text, slow_smap, slow_diags)
    return (fast, fast_smap, fast_diags), (slow, slow_smap, slow_diags)


def _assert_same(text: str, monkeypatch):
    (fast, fsmap, fdiags), (slow, ssmap, sdiags) = _both(text, monkeypatch)
    assert [d.located() for d in fdiags.items] == [d.located() for d in sdiags.items]
    assert [d.loc for d in fast] == [d.loc for d in slow]
    for f, s in zip(fast, slow):
        assert f.root == s.root
        assert list(_walk(f.root, fsmap)) == list(_walk(s.root, ssmap))


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_project_loads_the_same_both_ways(path, monkeypatch):
    _assert_same(path.read_text(encoding="utf-8"), monkeypatch)


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippets_load_the_same_both_ways_and_take_the_fast_path(name, monkeypatch):
    text = SNIPPETS[name]
    assert yaml_fast.fast_documents("f.yaml", text, SourceMap()) is not None
    _assert_same(text, monkeypatch)


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_what_the_fast_path_leaves_to_the_node_path(name, monkeypatch):
    text = DECLINED[name]
    assert yaml_fast.fast_documents("f.yaml", text, SourceMap()) is None
    _assert_same(text, monkeypatch)


def test_quoted_values_keep_their_type_on_the_fast_path():
    smap = SourceMap()
    docs = yaml_fast.fast_documents("f.yaml", 'stack: s\na: "${X}"\nb: ${X}\n', smap)
    assert docs is not None
    assert type(docs[0].root["a"]) is QuotedStr and type(docs[0].root["b"]) is str


def test_a_large_plain_stack_is_not_refused_for_its_size():
    """Without aliases a document expands to no more values than it holds: 30,000 topics load (the alias-bomb
    limit applies only where aliases are)."""
    text = "stack: big\ntopics:\n" + "".join(f"  - name: t{i}\n    partitions: 1\n    replication_factor: 1\n"
                                             f"    config: {{retention.ms: '1000'}}\n" for i in range(30_000))
    diags = Diagnostics()
    docs = parse_documents("big.yaml", text, SourceMap(), diags)
    assert not diags.items and len(docs[0].root["topics"]) == 30_000
