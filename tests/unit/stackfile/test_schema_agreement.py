"""The stack schema and the loader agree (issue 67): every documented stack goes through both the JSON Schema as an
editor applies it (jsonschema over the raw YAML: `${VAR}` references allowed, `for_each` entries unexpanded) and
`kplan validate`'s loader (the base stack, then every environment it declares). The stacks: each stack file of
stacks/ and examples/, each YAML stack block of the README and docs/, and each golden case's stack. They agree when

- the schema accepts every stack the loader accepts (an editor never flags what kplan takes), and
- every place the schema flags, the loader flags too (at that key or inside it): the schema is never the stricter.

The loader checks more than a schema can (duplicates, references, files, CDC expansion, what the environment
overlays leave): a stack that only the loader refuses is no disagreement.

A YAML block of the docs is a complete stack that both accept, unless the comment right above it says otherwise:

- `<!-- stack: partial -->`: sections of a stack without its name, its cluster or its defaults: checked with what it
  lacks added (`stack: docs`; a cluster with a broker, Connect and a registry, or only the broker in a `cluster:`
  block that names none; a topic's partitions and replication factor in `defaults`); `clusters=NAME,...` after it:
  its entries name these clusters (each then such a cluster, under `clusters:`);
- `files=PATH[:FROM],...` after it: files the stack names, written beside it for the check (a copy of FROM, relative
  to the repository; else empty);
- `<!-- stack: partial invalid -->` (or `stack: invalid`): shows what is refused: both must refuse it;
- `<!-- stack: excerpt -->`: a piece of a stack, not checked: it shows a line (or a comment) starting `...` where it
  leaves something out, or holds the keys of one entry (no key of it is a stack's);
- `<!-- not a stack: WHAT -->`: YAML of something else (a policy file, a CI workflow): no key of it is a stack's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from functools import reduce
from pathlib import Path

import jsonschema
import pytest
import yaml
from doc_examples import yaml_blocks

from kplan.model.source import child_path
from kplan.stackfile import validate_stack
from kplan.stackfile.merge import LISTS
from kplan.stackfile.schema import inline_refs, load_schema

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "golden"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
STACK_KEYS = frozenset(load_schema()["properties"])
HEAD_CLUSTER = ('{bootstrap_servers: "127.0.0.1:9092", connect_url: "http://127.0.0.1:8083", '
                'schema_registry: {url: "http://127.0.0.1:8081"}}')
HEAD_DEFAULTS = "defaults:\n  topic: {partitions: 1, replication_factor: 1}\n"
ELISION = re.compile(r"^\s*(#\s*)?\.\.\.", re.M)  # a line, or a comment, starting with "..."
LOOP_ITEM = re.compile(r' \(for_each item "(?:[^"\\]|\\.)*"\)')


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor's language server gives it to the schema: a date is its text (JSON has no dates; kplan
    reads it as text too, kplan.stackfile.yaml_values)."""


_EditorLoader.add_constructor("tag:yaml.org,2002:timestamp", _EditorLoader.construct_yaml_str)


def editor_yaml(text: str) -> list:
    return list(yaml.load_all(text, Loader=_EditorLoader))


@dataclass(frozen=True)
class Documented:
    """A stack to check: its files, how the loader is run on it, and what the docs mean it to be."""

    id: str
    path: Path  # the stack file or directory
    cwd: Path = ROOT
    environ: dict = field(default_factory=dict)
    template_dirs: tuple[str, ...] = ()
    expect: str | None = "valid"  # "valid", "invalid", or None: whatever it is (golden cases hold both)

    @property
    def files(self) -> list[Path]:
        if self.path.is_dir():
            return sorted(p for p in self.path.rglob("*") if p.suffix in (".yaml", ".yml"))
        return [self.path]


@dataclass(frozen=True)
class Found:
    places: list[tuple[str, str]]  # (file, YAML path) of each error
    messages: list[str]


def schema_errors(stack: Documented, schema: dict) -> Found:
    validator = jsonschema.Draft202012Validator(schema)
    places, messages = [], []
    for path in stack.files:
        for doc in editor_yaml(path.read_text()):
            for error in validator.iter_errors(doc if doc is not None else {}):
                where = reduce(child_path, error.absolute_path, "")
                keys = [where]
                if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                    keys = [child_path(where, k) for k in error.instance if k not in error.schema.get("properties", {})]
                places += [(str(path.resolve()), k) for k in keys]
                messages.append(f"{path.name}: {where or '(top)'}: {error.message}")
    return Found(places, messages)


def loader_errors(stack: Documented) -> Found:
    """Every error of `kplan validate` (without the policy: that is no schema's) in the base stack and in each
    environment."""
    old = os.getcwd()
    os.chdir(stack.cwd)
    try:
        declared: list[str] = []
        runs = [validate_stack(stack.path, None, stack.environ, stack.template_dirs, environments_out=declared)[1]]
        runs += [validate_stack(stack.path, env, stack.environ, stack.template_dirs)[1] for env in declared]
        errors = [d for diags in runs for d in diags if d.is_error]
        return Found([(str(Path(d.file).resolve()), LOOP_ITEM.sub("", d.address or "")) for d in errors],
                     [d.located() for d in errors])
    finally:
        os.chdir(old)


def _inside(place: tuple[str, str], flagged: tuple[str, str]) -> bool:
    (file, path), (at_file, at) = place, flagged
    return file == at_file and (not at or path == at or path.startswith((at + ".", at + "[")))


def disagreements(stack: Documented, schema: dict | None = None) -> list[str]:
    """What `stack` shows of a disagreement between `schema` (the shipped one) and the loader, or of a difference
    from what it is meant to be."""
    by_schema, by_loader = schema_errors(stack, schema or load_schema()), loader_errors(stack)
    out = [f"the schema refuses what the loader accepts: {m}" for m in by_schema.messages if not by_loader.places]
    if by_loader.places:
        out += [f"the schema flags {at or '(top)'} of {Path(file).name}, the loader nothing there or inside it"
                for file, at in dict.fromkeys(by_schema.places)
                if not any(_inside(place, (file, at)) for place in by_loader.places)]
    if stack.expect == "valid" and by_loader.messages:
        out += [f"meant to be valid, the loader refuses it: {m}" for m in by_loader.messages]
    if stack.expect == "invalid":
        out += [f"meant to be invalid, the {who} accepts it" for who, found in (("schema", by_schema),
                                                                                ("loader", by_loader))
                if not found.messages]
    return out


# -- the documented stacks ------------------------------------------------------------------------------------------


def _is_stack_file(path: Path) -> bool:
    """A YAML file of examples/ that holds a stack: one naming the stack schema, or a mapping with `stack:`."""
    text = path.read_text()
    if "stack.schema.json" in text.partition("\n")[0]:
        return True
    return any(isinstance(d, dict) and "stack" in d for d in editor_yaml(text))


def files_stacks() -> list[Documented]:
    # stacks/policies/ holds policy files (checked against schemas/policy.schema.json in test_policy_rules.py)
    stacks = [p for p in sorted((ROOT / "stacks").rglob("*.y*ml")) if "policies" not in p.relative_to(ROOT).parts]
    examples = [p for p in sorted((ROOT / "examples").rglob("*.y*ml")) if _is_stack_file(p)]
    return [Documented(str(p.relative_to(ROOT)), p) for p in stacks + examples]


def golden_stacks() -> list[Documented]:
    out = []
    for case in sorted(p for p in GOLDEN.glob("*/*") if p.is_dir()):
        spec = {"stack": "stack.yaml", "run_from": "case", "environ": {}, "template_dirs": []}
        if (case / "case.json").is_file():
            spec.update(json.loads((case / "case.json").read_text()))
        cwd = ROOT if spec["run_from"] == "repo" else case
        out.append(Documented(str(case.relative_to(ROOT)), cwd / spec["stack"], cwd, spec["environ"],
                              tuple(spec["template_dirs"]), expect=None))
    return out


@dataclass(frozen=True)
class Block:
    """A YAML block of a page and what its comment marks it as."""

    id: str
    text: str
    mark: tuple[str, ...]  # the words after `stack:` ("partial", "invalid", "excerpt"); ("not",) for `not a stack`
    files: tuple[tuple[str, str | None], ...] = ()  # (path beside the stack, copied from) of files=...
    clusters: tuple[str, ...] = ()  # clusters=...

    @classmethod
    def of(cls, page: Path, line: int, text: str, notes: tuple[str, ...]) -> Block:
        where = f"{page.relative_to(ROOT)}:{line}"
        marks = [n for n in notes if n.startswith(("stack:", "not a stack:"))]
        if len(marks) > 1:
            raise AssertionError(f"{where}: one stack mark per block, not {marks}")
        if not marks:
            return cls(where, text, ())
        if marks[0].startswith("not a stack:"):
            return cls(where, text, ("not",))
        words = marks[0].removeprefix("stack:").split()
        options = {k: v.split(",") for k, _, v in (w.partition("=") for w in words if "=" in w)}
        files = tuple((p, src or None) for f in options.pop("files", ()) for p, _, src in [f.partition(":")])
        clusters = tuple(options.pop("clusters", ()))
        mark = tuple(w for w in words if "=" not in w)
        if options or set(mark) - {"partial", "invalid", "excerpt"} or ("excerpt" in mark and len(mark) > 1):
            raise AssertionError(f"{where}: unknown stack mark {marks[0]!r} (see this test's docstring)")
        return cls(where, text, mark, files, clusters)

    def stack_text(self) -> str:
        """The block as the stack it is checked as: a partial one completed."""
        if "partial" not in self.mark:
            return self.text
        docs = editor_yaml(self.text)
        assert len(docs) == 1 and isinstance(docs[0], dict), f"{self.id}: a partial stack is a mapping of its keys"
        doc = docs[0]
        text = self.text
        if "cluster" in doc and "bootstrap_servers" not in (doc["cluster"] or {}):
            lines = text.splitlines(keepends=True)
            at = next(i for i, line in enumerate(lines) if re.match(r"cluster:\s*(#.*)?$", line))
            indent = re.match(r"\s*", lines[at + 1]).group(0)  # type: ignore[union-attr]
            lines.insert(at + 1, f"{indent}bootstrap_servers: 127.0.0.1:9092\n")
            text = "".join(lines)
        elif self.clusters:
            text = "clusters:\n" + "".join(f"  {name}: {HEAD_CLUSTER}\n" for name in self.clusters) + text
        elif "cluster" not in doc and "clusters" not in doc:
            text = f"cluster: {HEAD_CLUSTER}\n" + text
        if "defaults" not in doc:
            text = HEAD_DEFAULTS + text
        return text if "stack" in doc else "stack: docs\n" + text


def doc_blocks() -> list[Block]:
    return [Block.of(page, b.line, b.text, b.notes) for page in PAGES for b in yaml_blocks(page)]


BLOCKS = doc_blocks()
CHECKED = [b for b in BLOCKS if not {"excerpt", "not"} & set(b.mark)]
STACKS = files_stacks() + golden_stacks()


def written(block: Block, tmp_path: Path) -> Documented:
    path = tmp_path / "stack.yaml"
    path.write_text(block.stack_text())
    for name, source in block.files:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source:
            shutil.copyfile(ROOT / source, target)
        else:
            target.touch()
    return Documented(block.id, path, tmp_path, expect="invalid" if "invalid" in block.mark else "valid")


@pytest.mark.parametrize("block", CHECKED, ids=[b.id for b in CHECKED])
def test_docs_stack_blocks_agree(block, tmp_path):
    assert disagreements(written(block, tmp_path)) == []


@pytest.mark.parametrize("stack", STACKS, ids=[s.id for s in STACKS])
def test_stack_files_and_golden_stacks_agree(stack):
    assert disagreements(stack) == []


def test_unchecked_blocks_say_why():
    """A block left unchecked is a piece (it shows where it leaves something out, or holds one entry's keys) or YAML
    of something else: a stack cannot hide behind the mark."""
    wrong = []
    for block in BLOCKS:
        if not {"excerpt", "not"} & set(block.mark):
            continue
        if "excerpt" in block.mark and ELISION.search(block.text):
            continue
        stack_keys = {k for d in editor_yaml(block.text) if isinstance(d, dict) for k in d} & STACK_KEYS
        if stack_keys:
            wrong.append(f"{block.id}: marked {block.mark}, but it holds a stack's keys {sorted(stack_keys)}")
    assert wrong == []


def test_every_kind_of_block_is_there():
    """The corpus is what the docs hold: complete, partial and invalid stacks, excerpts and other YAML."""
    kinds = {b.mark for b in BLOCKS}
    assert {(), ("partial",), ("partial", "invalid"), ("excerpt",), ("not",)} <= kinds
    assert len(CHECKED) > 50 and len(STACKS) > 150


def test_every_list_may_hold_a_loop():
    """Each list the loader expands `for_each` entries of (kplan.stackfile.for_each) takes `for_each` and
    `overrides` in the schema: an editor never flags a loop kplan runs."""
    schema = inline_refs(load_schema())
    missing = [key for key in LISTS
               if not {"for_each", "overrides"} <= set(schema["properties"][key]["items"].get("properties", {}))]
    assert missing == []


def _stack(tmp_path: Path, topics: str, expect: str) -> Documented:
    path = tmp_path / "stack.yaml"
    path.write_text(f"stack: s\ncluster: {{bootstrap_servers: k:9092}}\ntopics:\n{topics}")
    return Documented("t", path, tmp_path, expect=expect)


def _stricter() -> dict:
    """The schema with a rule the loader does not have: at least 5 partitions."""
    schema = json.loads(json.dumps(load_schema()))
    schema["$defs"]["partitions"]["anyOf"][0]["minimum"] = 5
    return schema


def test_the_check_finds_a_schema_stricter_than_the_loader(tmp_path):
    fine = _stack(tmp_path, "  - {name: a, partitions: 3, replication_factor: 1}\n", "valid")
    assert disagreements(fine) == []
    assert disagreements(fine, _stricter()) == [
        "the schema refuses what the loader accepts: stack.yaml: topics[0].partitions: "
        "3 is not valid under any of the given schemas"]
    # the stack invalid elsewhere (a duplicate, which no schema sees): the stricter place still shows
    twice = _stack(tmp_path, "  - {name: a, partitions: 3, replication_factor: 1}\n"
                             "  - {name: a, partitions: 6, replication_factor: 1}\n", "invalid")
    assert disagreements(twice, _stricter()) == [
        "the schema flags topics[0].partitions of stack.yaml, the loader nothing there or inside it"]
    assert disagreements(twice) == ["meant to be invalid, the schema accepts it"]


def test_both_refusing_at_one_place_agree(tmp_path):
    many = _stack(tmp_path, "  - {name: a, partitions: many, replication_factor: 1}\n", "invalid")
    assert disagreements(many) == []
    assert disagreements(many, _stricter()) == []
    assert disagreements(replace(many, expect="valid")) == [
        f"meant to be valid, the loader refuses it: {tmp_path / 'stack.yaml'}:4:27: topics[0].partitions: must be an "
        "integer (got string \"many\")"]
