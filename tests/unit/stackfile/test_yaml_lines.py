"""The line path (`yaml_lines`) must give exactly what the events path (`yaml_fast`) gives — the same values and
types, the same containers and the same locations of every container, key and value — or decline. Checked on every
YAML file of the project, on snippets of what it accepts and declines, and on generated variants of a topic list."""

from __future__ import annotations

import itertools
import random

import pytest
from test_yaml_fast_path import DECLINED, ROOT, SNIPPETS, YAML_FILES, _walk

from kplan.model.diagnostics import Diagnostics
from kplan.model.source import SourceMap
from kplan.stackfile import validate_stack, yaml_fast, yaml_lines, yamlsrc
from kplan.stackfile.yaml_values import QuotedStr
from kplan.stackfile.yamlsrc import parse_documents


def _typed(obj):
    """The value with every scalar's type beside it (1 == True == 1.0 and QuotedStr == str otherwise)."""
    if isinstance(obj, dict):
        return {k: _typed(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_typed(v) for v in obj]
    return (type(obj).__name__, obj)


def _same_as_events(text: str) -> bool:
    """Whether the line path took `text` (False: it declined); when it did, the events path must agree."""
    lsmap = SourceMap()
    lines = yaml_lines.line_documents("f.yaml", text, lsmap)
    if lines is None:
        return False
    esmap = SourceMap()
    events = yaml_fast.fast_documents("f.yaml", text, esmap)
    assert events is not None, "the line path took what the events path declines"
    assert [(d.file, d.loc) for d in lines] == [(d.file, d.loc) for d in events]
    for ld, ed in zip(lines, events):
        assert _typed(ld.root) == _typed(ed.root)
        assert list(_walk(ld.root, lsmap)) == list(_walk(ed.root, esmap))
    return True


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_in_the_project_reads_the_same_by_lines_and_by_events(path):
    _same_as_events(path.read_text(encoding="utf-8"))


def test_the_line_path_takes_most_of_the_projects_files():
    taken = sum(_same_as_events(p.read_text(encoding="utf-8")) for p in YAML_FILES)
    assert taken >= 30  # the others have inline comments, flow mappings, block scalars...


@pytest.mark.parametrize("name", sorted(SNIPPETS) + sorted(DECLINED))
def test_the_fast_paths_snippets_read_the_same_or_are_declined(name):
    _same_as_events({**SNIPPETS, **DECLINED}[name])


ACCEPTED = {
    "topics": """# a stack
---
stack: s
cluster:
  bootstrap_servers: 127.0.0.1:9092,b:9093
  timeout: 60s
topics:
- name: a.b_c-d
  partitions: 3
  replication_factor: -1
  config:
    retention.ms: '86400000'
    cleanup.policy: compact,delete
    min.cleanable.dirty.ratio: 0.5
    preallocate: false
    empty: ""
    url: http://x:80/a#b
  ignore_changes: []
  extra: {}
  nothing:
-   name: b
    tags:
    - x
    - 'y'
    - "z"
    - 12

    # a comment between
    protect: yes
connectors: []
defaults:
  topic:
    partitions: ~
    config:
      segment.ms: ${SEGMENT}
last:
""",
    "nested lists": "stack: s\na:\n  - b: 1\n    c:\n      - d\n  - e: 2\nf: 1\n",
    "values": "stack: s\na: null\nb: 0x1F\nc: 1_000\nd: -3.5\ne: .inf\nf: On\ng: 2024-01-01\nh: 1:30\n"
              "i: 0o17\nj: +12\nk: it's\nl: a  b\nm: ''\nn: -.5\no: =a\n",
}

DECLINED_HERE = {
    "inline comment": "stack: s\na: 1 # one\n",
    "flow mapping": "stack: s\na: {b: 1}\n",
    "block scalar": "stack: s\na: |\n  x\n",
    "multi-line value": "stack: s\na: b\n  c\n",
    "value on the next line": "stack: s\na:\n  b\n",
    "tab": "stack: s\na:\t1\n",
    "trailing blank": "stack: s \n",
    "escape": 'stack: s\na: "\\n"\n',
    "two documents": "stack: s\n---\na: 1\n",
    "indented root": "  stack: s\n",
    "odd indentation": "stack: s\na:\n  b: 1\n c: 2\n",
    "nested dash": "stack: s\na:\n- - 1\n",
    "empty item": "stack: s\na:\n-\n  b: 1\n",
    "quoted key": 'stack: s\n"a": 1\n',
    "carriage return": "stack: s\r\na: 1\r\n",
    "line separator": "stack: s\n# \u2028\na: 1\n",
    "colon value": "stack: s\na: b: c\n",
    "list root": "- a\n",
    "comments only": "# nothing\n",
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_the_line_path_takes_plain_block_documents_and_reads_them_as_the_events_path(name):
    assert _same_as_events(ACCEPTED[name])


@pytest.mark.parametrize("name", sorted(DECLINED_HERE))
def test_the_line_path_declines_the_rest_and_the_loader_still_reads_it(name):
    text = DECLINED_HERE[name]
    assert yaml_lines.line_documents("f.yaml", text, SourceMap()) is None
    parse_documents("f.yaml", text, SourceMap(), Diagnostics())  # the other paths read or report it


def test_quoted_values_stay_quoted_on_the_line_path():
    docs = yaml_lines.line_documents("f.yaml", "stack: s\na: '${X}'\nb: ${X}\n", SourceMap())
    assert docs is not None
    assert type(docs[0].root["a"]) is QuotedStr and type(docs[0].root["b"]) is str


_PIECES = ["name: t", "partitions: 1", "replication_factor: 3", "config:", "  retention.ms: '1'",
           "  cleanup.policy: compact", "tags:", "- a", "- 'b'", "  - c", "x: []", "y: {}", "z:", "# c", "",
           "w: \"q\"", "v: ~", "u: -1", "  deeper:", "    k: v", "- name: u", "s: a b"]


def test_generated_documents_read_the_same_by_lines_and_by_events():
    """Random arrangements of typical lines at random indentations: whatever the line path takes, the events path
    reads the same (many are not YAML at all, or not in the subset: those must be declined)."""
    rng = random.Random(46)
    taken = 0
    for _ in range(3000):
        body = []
        for _ in range(rng.randint(1, 12)):
            indent = rng.choice((0, 0, 2, 2, 4, 6))
            prefix = rng.choice(("", "", "- "))
            body.append(" " * indent + prefix + rng.choice(_PIECES))
        text = "stack: s\ntopics:\n" + "\n".join(body) + rng.choice(("\n", ""))
        taken += _same_as_events(text)
    assert taken > 300  # the comparison covered many accepted documents


def test_every_arrangement_of_a_topic_entry_reads_the_same():
    lines = ["  partitions: 1", "  config:", "    retention.ms: '1'", "  protect: true", "  tags:", "  - a"]
    for n in range(len(lines) + 1):
        for chosen in itertools.permutations(lines, n):
            text = "stack: s\ntopics:\n- name: a\n" + "\n".join(chosen) + "\n"
            _same_as_events(text)


STACK = """stack: s
cluster:
  bootstrap_servers: 127.0.0.1:9092
topics:
- name: a
  partitions: 1
  replication_factor: 1
  config:
    retention.ms: '86400000'
    cleanup.policy: compact
- name: b
  partitions: 2
  replication_factor: 1
  config:
    retention.ms: 1d
- name: c
  partitions: 1
  replication_factor: 1
"""


def test_a_stack_loads_the_same_by_lines_as_by_nodes(tmp_path, monkeypatch):
    """The topics' specs, their config origins (made when asked on the line and events paths) included."""
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    fast, _ = validate_stack(path)
    with monkeypatch.context() as m:
        m.setattr(yamlsrc, "line_documents", lambda *a: None)
        m.setattr(yamlsrc, "fast_documents", lambda *a: None)
        slow, _ = validate_stack(path)
    assert fast is not None and slow is not None
    assert fast.kinds["topics"] == slow.kinds["topics"]
    for f, s in zip(fast.kinds["topics"], slow.kinds["topics"]):
        assert dict(f.config_origins) == dict(s.config_origins)
        assert list(f.config_origins) == list(s.config_origins) == list(f.config)
    assert type(fast.kinds["topics"][0].config_origins).__name__ == "_ConfigOrigins"
    assert fast.kinds["topics"][0].config_origins["cleanup.policy"].line == 10
    assert "x" not in fast.kinds["topics"][0].config_origins
    assert fast.kinds["topics"][0].config_origins.get("x") is None


VALUES = ["b[0]", "b{c}", "x,y", 'a"b', "a'b", "a%b", "a|b", "a>b", "-.", "-.inf", "a&b", "a*b", "a!b", "a?b",
          "http://x/?a=1&b=2", "${X}", "é", "a b  c", "1e3", "0b101", "12:30:00", "Yes", "NO", "~", "null", "3.", ".5",
          "+.inf", "0x_1", "1__0", "1,000", "'q #1'", '"it\'s"', "a#b", "-1", "+1", "0o7", "2024-01-01 10:00:00"]


@pytest.mark.parametrize("value", VALUES)
def test_values_read_the_same_as_a_mapping_value_and_a_list_item(value):
    assert _same_as_events(f"stack: s\na: {value}\nb:\n- {value}\n")
