"""The site keeps its users' pages and its contributors' apart (mkdocs.yml's nav): kplan's own development is in the
Contributing section alone, and ranked below the users' pages in search (each page's `search: boost`)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
CONTRIBUTORS = {"development.md", "releasing.md", "architecture.md", "fault-sweep.md", "systems-facts.md",
                "replication-facts.md"}


def pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [p for value in node.values() for p in pages(value)]
    return [p for item in node for p in pages(item)]


def test_contributors_pages_are_in_the_contributing_section_alone_and_lower_in_search():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    sections = {next(iter(item)): pages(item) for item in nav if isinstance(item, dict)}
    assert set(sections["Contributing"]) == CONTRIBUTORS
    users = [p for name, listed in sections.items() if name != "Contributing" for p in listed]
    assert not CONTRIBUTORS & set(users)
    for page in CONTRIBUTORS:
        text = (ROOT / "docs" / page).read_text()
        front = yaml.safe_load(text.split("---\n")[1]) if text.startswith("---\n") else {}
        assert front.get("search", {}).get("boost", 1) < 1, page
