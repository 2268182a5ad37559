"""The site's generated Reference pages (dev/docs_reference.py, run by `make docs` as an mkdocs hook): every key of
the stack format has a description, and a key without one fails the build with one line naming it; the pages hold
every key, command and exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import docs_reference
import pytest
import yaml

from kplan.cli import COMMANDS
from kplan.exiting import EXIT_CODES

ROOT = Path(__file__).resolve().parents[3]


def stack_schema() -> dict:
    return json.loads((ROOT / "kplan" / "schemas" / "stack.schema.json").read_text())


def test_every_key_of_the_stack_format_has_a_description():
    docs_reference.stack_page()  # raises Undescribed otherwise


def test_every_key_of_the_plan_json_has_a_description():
    docs_reference.plan_page()


def test_a_plan_json_key_without_a_description_fails_too():
    schema = json.loads((ROOT / "kplan" / "schemas" / "plan.schema.json").read_text())
    del schema["$defs"]["diagnostic"]["properties"]["code"]["description"]
    with pytest.raises(docs_reference.Undescribed) as e:
        docs_reference.plan_page(schema)
    assert str(e.value).startswith(
        "kplan/schemas/plan.schema.json: the key code of $defs/diagnostic has no description")


def test_a_key_without_a_description_fails_the_build_naming_the_key():
    schema = stack_schema()
    del schema["$defs"]["topic"]["properties"]["protect"]["description"]
    with pytest.raises(docs_reference.Undescribed) as e:
        docs_reference.stack_page(schema)
    assert str(e.value).splitlines() == [
        "kplan/schemas/stack.schema.json: the key protect of $defs/topic has no description: write one where the key "
        "is defined (kplan/schemas/parts/ or the kind's shape, kplan/kinds/shape.py; then `make schemas`)"]


def test_a_nested_key_and_a_top_level_key_without_descriptions_are_each_one_line():
    schema = stack_schema()
    del schema["properties"]["template_dirs"]["description"]
    del schema["$defs"]["connection"]["properties"]["host"]["description"]
    with pytest.raises(docs_reference.Undescribed) as e:
        docs_reference.stack_page(schema)
    lines = str(e.value).splitlines()
    assert [line.split(" has no description")[0] for line in lines] == [
        "kplan/schemas/stack.schema.json: the key template_dirs at the top level",
        "kplan/schemas/stack.schema.json: the key host of $defs/connection"]


def test_a_key_described_by_its_definition_needs_no_description_of_its_own():
    schema = stack_schema()
    assert "description" not in schema["$defs"]["topic"]["properties"]["partitions"]
    assert schema["$defs"]["partitions"]["description"]
    page = docs_reference.stack_page(schema)
    row = '| <code class="key">partitions</code> | [partitions](#def-partitions) |  | Number of partitions: 1 to 10,000'
    assert row in page


def test_the_stack_page_shows_every_key_with_its_type_allowed_values_default_and_kafka_versions():
    page = docs_reference.stack_page()
    schema = stack_schema()
    for name in schema["properties"]:
        assert f'| <code class="key">{name}</code> |' in page, name
    for name, node in schema["$defs"].items():
        assert f"### `{name}` {{#def-{name.lower()}}}" in page, name
        for key in node.get("properties", {}):
            assert f'| <code class="key">{key}</code> |' in page, (name, key)
    assert '| <code class="key">pattern</code> | string | `literal`, `prefixed` | literal (the default)' in page
    assert "Default: `literal`." in page
    state = next(line for line in page.splitlines()
                 if line.startswith('| <code class="key">state</code> | [connectorState]'))
    assert "Default: `running`." in state  # the definition's default, on each key that refers to it
    assert '| <code class="key">group_configs</code> |' in page and "Kafka versions: 4.1 or newer" in page
    # a dotted name breaks only after "." and "]"
    assert ('| <code class="key">references[]<wbr>.<wbr>expect.<wbr>min_partitions</code> | integer | at least 1 |'
            in page)
    assert "Example: `partitions: 6`." in page  # the definition's example, under the key's name


def test_the_commands_page_holds_each_commands_help_as_it_prints():
    from click.testing import CliRunner

    from kplan.cli import cli

    page = docs_reference.commands_page()
    for name in COMMANDS:
        assert f"## `kplan {name}`" in page, name
    help_text = CliRunner().invoke(cli, ["plan", "--help"], prog_name="kplan", terminal_width=80).output
    assert help_text.strip() in page
    assert "--detailed-exitcode" in page


def test_the_exit_codes_page_is_the_codes_table():
    page = docs_reference.exit_codes_page()
    for code, meaning, commands in EXIT_CODES:
        assert f"| {code} | {meaning} | {commands} |" in page


def test_the_generated_pages_are_in_the_sites_nav_and_not_committed():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    reference = next(section["Reference"] for section in config["nav"] if "Reference" in section)
    assert set(docs_reference.PAGES) <= {p for p in reference if isinstance(p, str)}  # (and a section of the kinds)
    assert not [p for p in docs_reference.PAGES if (ROOT / "docs" / p).exists()]
    assert "dev/docs_reference.py" in config["hooks"]


def test_kplan_does_not_import_the_documentation_tools():
    out = subprocess.run([sys.executable, "-c", "import sys, kplan.cli, kplan.start; "
                          "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'material')))"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_every_key_of_the_stack_page_shows_an_example():
    """Issue 60: each key's row shows an example (the key's own `examples`, else its definition's); a new key without
    one fails here, naming it. That each example is valid is tests/unit/stackfile/test_stack_schema.py's check."""
    rows, without, section = 0, [], "top level"
    for line in docs_reference.stack_page().splitlines():
        if line.startswith("### "):
            section = line.split("`")[1]
        elif line.startswith('| <code class="key">'):
            rows += 1
            if "Example: " not in line:
                without.append(f"{section}: {line.split(' | ')[0]}")
    assert rows > 400
    assert without == []
