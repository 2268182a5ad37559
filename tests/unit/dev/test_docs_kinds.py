"""The reference by resource kind (dev/docs_kinds.py, generated at every `make docs`): every section of a stack that
declares resources has its page, listed in the site's navigation; every key of its entries is on it with a plain
type and, where the schema gives one, its default; a key without a type, or a section without a page, fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import docs_kinds
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def schema() -> dict:
    return json.loads((ROOT / "kplan" / "schemas" / "stack.schema.json").read_text())


def rows(page: str) -> dict[str, str]:
    """A page's keys' table rows (its argument reference), by key."""
    keys = page.split("## Argument reference", 1)[1].split("## Changes", 1)[0]
    return {line.split("|")[1].strip().strip("`"): line for line in keys.splitlines() if line.startswith("| `")}


def test_every_resource_section_has_a_page_listed_in_the_navigation():
    pages = docs_kinds.pages()
    assert list(pages) == docs_kinds.nav()
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    reference = next(item["Reference"] for item in nav if isinstance(item, dict) and "Reference" in item)
    kinds = next(item["Resource kinds"] for item in reference if isinstance(item, dict) and "Resource kinds" in item)
    assert kinds == docs_kinds.nav()


def test_every_key_of_every_entry_is_on_its_page_with_a_plain_type_and_its_default():
    doc, pages = schema(), docs_kinds.pages()
    defs = doc["$defs"]
    for section, slug, _, _ in docs_kinds.KINDS:
        page = rows(pages[f"reference/kinds/{slug}.md"])
        entry = defs[doc["properties"][section]["items"]["$ref"].split("/")[-1]]
        for key, node in entry["properties"].items():  # read from the schema itself, not the generator's walk
            assert key in page, (section, key)
            cells = [c.strip() for c in page[key].split("|")[1:-1]]
            assert cells[1] and "$defs" not in cells[1] and "#" not in cells[1], (section, key, cells[1])
            shared = defs.get(node.get("$ref", "").split("/")[-1], {})
            default = node.get("default", shared.get("default"))
            if default is not None:
                shown = yaml.safe_dump(default, default_flow_style=True).strip().removesuffix("\n...").strip()
                assert cells[2] == f"`{shown}`", (section, key, cells)
        for key in docs_kinds.Kinds().keys(entry):  # nested keys too
            assert key.name in page, (section, key.name)


def test_a_section_without_a_page_fails():
    doc = schema()
    doc["properties"]["widgets"] = copy.deepcopy(doc["properties"]["topics"])
    with pytest.raises(ValueError, match="the section\\(s\\) widgets have no reference page"):
        docs_kinds.pages(docs_kinds.Kinds(doc))


def test_a_key_without_a_type_fails_naming_it():
    doc = schema()
    doc["$defs"]["topic"]["properties"]["mystery"] = {"description": "Untyped."}
    with pytest.raises(docs_kinds.Untyped) as e:
        docs_kinds.pages(docs_kinds.Kinds(doc))
    assert str(e.value).startswith("kplan/schemas/stack.schema.json: the key mystery of topics: has no type")


def test_a_default_the_schema_gives_is_shown():
    doc = schema()
    doc["$defs"]["topic"]["properties"]["protect"]["default"] = False
    page = rows(docs_kinds.pages(docs_kinds.Kinds(doc))["reference/kinds/topic.md"])
    assert page["protect"].startswith("| `protect` | boolean | `false` |")


def test_a_kind_with_a_shape_says_how_each_change_is_made_and_one_without_says_it_does_not():
    pages = docs_kinds.pages()
    user = rows(pages["reference/kinds/user.md"])
    assert "| irreversible: what it replaces cannot be put back |" in user["iterations"]
    assert "| by a step of its own |" in user["rotation"]
    topic = rows(pages["reference/kinds/topic.md"])
    assert "| an increase in place (irreversible); a decrease replaces the topic" in topic["partitions"]
    assert "| registers a new version (the earlier ones stay) |" in rows(pages["reference/kinds/subject.md"])["schema"]
    assert "does not expose how a change to each key is made" in pages["reference/kinds/cdc-source.md"]


def test_import_is_said_from_the_commands_options():
    pages = docs_kinds.pages()
    assert "`--no-topics` leaves them out" in pages["reference/kinds/topic.md"]
    assert "`kplan import` does not write `users:` entries" in pages["reference/kinds/user.md"]
    assert "`kplan import ... --cdc`: Write Debezium connectors" in pages["reference/kinds/cdc-source.md"]


def test_each_page_starts_with_a_full_example_of_its_section():
    for section, slug, _, _ in docs_kinds.KINDS:
        page = docs_kinds.pages()[f"reference/kinds/{slug}.md"]
        example = page.split("```yaml\n", 1)[1].split("```", 1)[0]
        assert list(yaml.safe_load(example)) == [section], slug
