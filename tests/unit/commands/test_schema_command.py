"""`kplan schema`: the packaged schemas are the source's, their `$id`s claim no address, and the editor docs'
SchemaStore entry is well-formed."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest

from kplan.cli import main
from kplan.exiting import EXIT_USAGE
from kplan.model.plan import FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[3]


def run(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


@pytest.mark.parametrize("name", ["stack", "plan", "policy"])
def test_prints_the_packaged_schema_which_is_the_sources(capsys, name):
    code, out, _ = run(capsys, "schema", name)
    assert code == 0
    assert out == (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    assert (ROOT / "kplan" / "schemas" / f"{name}.schema.json").read_bytes() == \
        (ROOT / "schemas" / f"{name}.schema.json").read_bytes()


def test_path_names_the_file_and_stack_is_the_default(capsys):
    code, out, _ = run(capsys, "schema", "--path")
    assert code == 0
    path = Path(out.strip())
    assert path.name == "stack.schema.json" and path.is_file()
    assert path.read_bytes() == (ROOT / "schemas" / "stack.schema.json").read_bytes()


def test_unknown_schema_is_one_usage_error(capsys):
    code, _, err = run(capsys, "schema", "topics")
    assert code == EXIT_USAGE
    assert "'topics' is not one of 'stack', 'plan'" in err and "Traceback" not in err


def test_ids_are_urns_and_the_plans_carries_the_format_version():
    stack = json.loads((ROOT / "schemas" / "stack.schema.json").read_text())
    plan = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    assert stack["$id"] == "urn:kplan:schema:stack"
    assert plan["$id"] == f"urn:kplan:schema:plan:{FORMAT_VERSION}"
    assert "kplan schema stack" in stack["$comment"]


def test_schemastore_entry_in_the_docs_matches_stack_names_only():
    text = (ROOT / "docs" / "editor-schema.md").read_text()
    block = re.search(r"## A SchemaStore catalog entry.*?```json\n(.*?)```", text, re.S)
    assert block, "docs/editor-schema.md lost its SchemaStore entry"
    entry = json.loads(block.group(1))
    assert set(entry) == {"name", "description", "fileMatch", "url"}

    def claimed(name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in entry["fileMatch"])

    assert all(claimed(n) for n in ("kplan.yaml", "kplan.yml", "orders.kplan.yaml", "cdc.kplan.yml"))
    assert not any(claimed(n) for n in ("docker-compose.yaml", "stack.yaml", "values.yaml", "kplan.json"))
