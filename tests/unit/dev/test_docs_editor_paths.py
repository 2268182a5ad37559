"""Editor set-up on the pages points at the schema `kplan schema ... > .kplan/NAME.schema.json` writes beside the
user's stacks (docs/editor-schema.md), or at a URL: never at `schemas/`, which exists only inside kplan's checkout
(issue 72: stack-format.md and stack-tour.md once did, policy.md too)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
USERS_PAGES = ["README.md", *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md")))]
# A `$schema=PATH` line of the YAML language server, or a path mapped in the editor's "yaml.schemas" setting.
SCHEMA_PATH = re.compile(r"\$schema=([^\s`'\"]+)|\"(\.{0,2}/[^\"]*\.schema\.json)\"\s*:")


def editor_paths(text: str) -> list[str]:
    return [a or b for a, b in SCHEMA_PATH.findall(text)]


def wrong_paths(text: str) -> list[str]:
    return [p for p in editor_paths(text)
            if not (p.startswith(("http://", "https://")) or re.search(r"(^|/)\.kplan/\w+\.schema\.json$", p))]


def test_the_forms_are_read():
    text = ('# yaml-language-server: $schema=../../schemas/policy.schema.json\n'
            '{"yaml.schemas": {"./schemas/stack.schema.json": "stacks/**/*.yaml"}}\n'
            '# yaml-language-server: $schema=../.kplan/stack.schema.json\n')
    assert wrong_paths(text) == ["../../schemas/policy.schema.json", "./schemas/stack.schema.json"]


def test_every_users_page_points_editors_at_the_written_copy():
    found = {page: editor_paths((ROOT / page).read_text()) for page in USERS_PAGES}
    assert sum(map(len, found.values())) >= 5  # stack-format, stack-tour, editor-schema (2), policy
    assert {page: wrong_paths((ROOT / page).read_text()) for page in USERS_PAGES
            if wrong_paths((ROOT / page).read_text())} == {}
