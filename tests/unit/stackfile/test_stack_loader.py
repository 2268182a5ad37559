"""The located YAML loader: positions, duplicate keys, limits, and every kind of bad input as a diagnostic."""

import textwrap

import pytest

from kplan.model.diagnostics import Diagnostic, Diagnostics
from kplan.model.source import Loc, SourceMap
from kplan.stackfile import StackError
from kplan.stackfile import files as stack_files
from kplan.stackfile.yaml_values import QuotedStr
from kplan.stackfile.yamlsrc import load_path


def load(tmp_path, text, name="stack.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text)) if isinstance(text, str) else p.write_bytes(text)
    smap, diags = SourceMap(), Diagnostics()
    files, docs = load_path(str(p), smap, diags)
    return docs, smap, diags.items


def only(diags):
    assert len(diags) == 1, [d.located() for d in diags]
    return diags[0]


def test_values_and_their_locations(tmp_path):
    docs, smap, diags = load(tmp_path, """\
        stack: s
        topics:
          - name: a
            partitions: 3
            config:
              retention.ms: 7d
        """)
    assert diags == []
    root = docs[0].root
    assert root["topics"][0]["config"] == {"retention.ms": "7d"}
    loc = smap.value_loc(root["topics"][0], "partitions")
    assert (loc.line, loc.column, loc.path) == (4, 17, "topics[0].partitions")
    item = smap.value_loc(root["topics"], 0)
    assert (item.line, item.column, item.path) == (3, 5, "topics[0]")
    key = smap.key_loc(root["topics"][0]["config"], "retention.ms")
    assert (key.line, key.column, key.path) == (6, 7, "topics[0].config.retention.ms")


def test_empty_value_points_at_its_key(tmp_path):
    docs, smap, _ = load(tmp_path, "a: 1\nb:\nc: 2\n")
    loc = smap.value_loc(docs[0].root, "b")
    assert (loc.line, loc.column) == (2, 1)


def test_duplicate_key_reports_both_lines(tmp_path):
    _, _, diags = load(tmp_path, """\
        topics:
          - name: a
            config:
              retention.ms: 1
              retention.ms: 2
        """)
    d = only(diags)
    assert (d.line, d.column, d.address) == (5, 7, "topics[0].config.retention.ms")
    assert d.message == 'duplicate key "retention.ms" (first defined at line 4; YAML would silently keep only this one)'


def test_merge_keys_are_supported(tmp_path):
    docs, smap, diags = load(tmp_path, """\
        base: &base {partitions: 3, replication_factor: 1}
        t:
          <<: *base
          partitions: 6
        """)
    assert diags == []
    assert docs[0].root["t"] == {"partitions": 6, "replication_factor": 1}
    assert smap.value_loc(docs[0].root["t"], "replication_factor").line == 1


def test_multi_document_file(tmp_path):
    docs, _, diags = load(tmp_path, "stack: a\n---\ntopics: []\n---\n")
    assert diags == []
    assert [d.root for d in docs] == [{"stack": "a"}, {"topics": []}]


def test_quoted_strings_are_marked_and_dates_stay_text(tmp_path):
    docs, _, _ = load(tmp_path, "a: '${X}'\nb: ${X}\nc: 2024-01-01\nd: |\n  text\n")
    root = docs[0].root
    assert isinstance(root["a"], QuotedStr) and not isinstance(root["b"], QuotedStr)
    assert root["c"] == "2024-01-01"
    assert isinstance(root["d"], QuotedStr)


@pytest.mark.parametrize("text", ["", "# just a comment\n", "\n\n"])
def test_empty_file(tmp_path, text):
    d = only(load(tmp_path, text)[2])
    assert d.message == "file is empty (no YAML document)"
    assert d.located().endswith("stack.yaml: file is empty (no YAML document)")


def test_only_empty_documents(tmp_path):
    assert only(load(tmp_path, "---\n---\n")[2]).message == "file has no content (only empty YAML documents)"


def test_malformed_yaml_has_line_and_column(tmp_path):
    d = only(load(tmp_path, "stack: a\ntopics:\n  - name: [x\n")[2])
    assert d.line == 4 and d.message.startswith("invalid YAML: while parsing a flow sequence")
    d = only(load(tmp_path, "a: b: c\n")[2])
    assert (d.line, d.column) == (1, 5)
    assert "mapping values are not allowed" in d.message


def test_tab_indentation(tmp_path):
    d = only(load(tmp_path, "a:\n\tb: 1\n")[2])
    assert d.line == 2 and "invalid YAML" in d.message


def test_not_utf8(tmp_path):
    d = only(load(tmp_path, b"stack: a\nname: caf\xe9\n")[2])
    assert (d.line, d.column) == (2, 10)
    assert d.message == "file is not UTF-8 text (invalid byte 0xe9)"


def test_utf16(tmp_path):
    d = only(load(tmp_path, "stack: a\n".encode("utf-16"))[2])
    assert d.message == "file is UTF-16 text: save it as UTF-8"


def test_utf8_bom_is_fine(tmp_path):
    docs, _, diags = load(tmp_path, b"\xef\xbb\xbfstack: a\n")
    assert diags == [] and docs[0].root == {"stack": "a"}


def test_control_characters(tmp_path):
    d = only(load(tmp_path, "stack: a\x00b\n")[2])
    assert d.line == 1 and "unacceptable character" in d.message


def test_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_files, "MAX_FILE_BYTES", 64)
    d = only(load(tmp_path, "a: " + "x" * 200 + "\n")[2])
    assert d.message.startswith("file is too large")
    assert d.line == 0


def test_real_limit_is_5_mib():
    assert stack_files.MAX_FILE_BYTES == 5 * 1024 * 1024


def test_alias_bomb_is_refused_without_expanding_it(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    d = only(load(tmp_path, "\n".join(lines) + "\n")[2])
    assert "once YAML aliases are expanded" in d.message and "alias bomb" in d.message


def test_recursive_alias(tmp_path):
    d = only(load(tmp_path, "a: &a [*a]\n")[2])
    assert d.message.startswith("recursive YAML alias")


def test_deep_nesting(tmp_path):
    d = only(load(tmp_path, "a: " + "[" * 100 + "]" * 100 + "\n")[2])
    assert d.message == "document nests more than 64 levels deep: refusing it"


def test_document_must_be_a_mapping(tmp_path):
    assert "not a list" in only(load(tmp_path, "- a\n- b\n")[2]).message
    assert "not a single value" in only(load(tmp_path, "hello\n")[2]).message


def test_non_scalar_keys(tmp_path):
    assert "mapping keys must be plain text" in only(load(tmp_path, "? [a, b]\n: 1\n")[2]).message


def test_unsupported_tags(tmp_path):
    assert "unsupported YAML value" in only(load(tmp_path, "a: !!python/object:os.system x\n")[2]).message
    assert "binary" in only(load(tmp_path, "a: !!binary aGVsbG8=\n")[2]).message


def test_missing_path(tmp_path):
    smap, diags = SourceMap(), Diagnostics()
    load_path(str(tmp_path / "nope.yaml"), smap, diags)
    d = only(diags.items)
    assert d.located() == f"{tmp_path}/nope.yaml: no such file or directory"


def test_directory_without_stack_files(tmp_path):
    (tmp_path / "README.md").write_text("x")
    (tmp_path / ".hidden.yaml").write_text("stack: x")
    smap, diags = SourceMap(), Diagnostics()
    load_path(str(tmp_path), smap, diags)
    assert only(diags.items).message == "directory contains no stack files (*.yaml, *.yml)"


def test_directory_reads_yaml_files_in_order(tmp_path):
    (tmp_path / "b.yml").write_text("topics: []\n")
    (tmp_path / "a.yaml").write_text("stack: s\n")
    (tmp_path / "notes.txt").write_text("ignored")
    smap, diags = SourceMap(), Diagnostics()
    files, docs = load_path(str(tmp_path), smap, diags)
    assert [f.relpath for f in files] == ["a.yaml", "b.yml"]
    assert [d.file for d in docs] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yml")]


def test_diagnostic_format():
    assert Diagnostic.at("s.yaml", 14, 7, "topics[2].partitions", "must be at least 1 (got 0)").located() == \
        "s.yaml:14:7: topics[2].partitions: must be at least 1 (got 0)"
    assert Diagnostic.at("s.yaml", 3, 1, "x", "careful", "warning").located() == "s.yaml:3:1: warning: x: careful"
    assert Diagnostic.at("s.yaml", 3, 1, "", "no path").located() == "s.yaml:3:1: no path"
    assert Diagnostic.at("dir", 0, 0, "", "empty").located() == "dir: empty"


def test_stack_error_lists_every_diagnostic():
    e = StackError([Diagnostic.at("a", 1, 1, "x", "one"), Diagnostic.at("a", 2, 1, "y", "two", "warning")])
    assert str(e) == "a:1:1: x: one\na:2:1: warning: y: two"
    assert e.lines() == ["Error: a:1:1: x: one", "a:2:1: warning: y: two"]  # the errors marked (no `errors` list)
    assert e.exit_code == 1


def test_diagnostics_dedupe_and_no_cascades_across_phases():
    diags = Diagnostics()
    loc = Loc("f", 1, 1, "p")
    diags.error(loc, "same")
    diags.error(loc, "same")
    diags.error(loc, "another problem, same phase")  # kept: a different mistake found by the same step
    diags.begin_phase()
    diags.error(loc, "later phase")  # dropped: an earlier phase flagged this node
    diags.warning(loc, "a warning is kept")
    assert [d.message for d in diags.items] == ["a warning is kept", "another problem, same phase", "same"]


def test_a_nul_byte_in_a_path_the_stack_names_is_one_located_error(tmp_path):
    """Issue 41 (11): such a path raised ValueError (open, os.stat) as an internal error hiding every other one."""
    from kplan.stackfile import load_stack
    from kplan.stackfile.references import resolve_references

    p = tmp_path / "s.yaml"
    p.write_text('stack: s\ncluster: {bootstrap_servers: "b:9092"}\npolicy:\n  files: ["pol\\0icy.yaml"]\n'
                 "topics:\n  - {name: t, partitions: 0, replication_factor: 1}\n")
    with pytest.raises(StackError) as e:
        load_stack(str(p), environ={})
    lines = [d.located() for d in e.value.diagnostics]
    assert any(x.startswith(f"{p}:4:11: ") and 'policy file "pol\\0icy.yaml" holds a NUL byte' in x for x in lines)
    assert any("must be at least 1" in x for x in lines) and not any("\0" in x for x in lines), lines
    diags = Diagnostics()
    assert stack_files.read_file("a\0b", diags) is None and "\0" not in only(diags.items).located()
    problems = resolve_references(["${secret:file:/x\0y}"], {}).problems
    assert problems == {"${secret:file:/x\0y}": "secret reference ${secret:file:/x\\0y}: the path holds a NUL byte "
                                                 "(\\0), which no file name can"}
