"""No dead internal link in README.md: every relative link names a file or folder of the repository, and every
`#anchor` (in the README itself or in a Markdown page it links to) is a heading there, as GitHub makes its anchors.
The pages under docs/ are checked by the site's build (`make docs`: mkdocs --strict validates their links and
anchors); the README is not part of the site."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def unfenced(text: str) -> str:
    """The text without its fenced code blocks (a `#` line there is no heading, a link there no link)."""
    return re.sub(r"^(\s*)(`{3,}|~{3,}).*?^\1\2\s*$", "", text, flags=re.S | re.M)


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation but `-` and `_` dropped, spaces to
    `-`, a repeated one numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", unfenced(path.read_text()), flags=re.M):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def dead_links(page: Path, root: Path = ROOT) -> list[str]:
    dead = []
    text = re.sub(r"`[^`\n]*`", "", unfenced(page.read_text()))  # nor is a link written in a code span
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not internal
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            dead.append(f"{page.relative_to(root)}: {target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            dead.append(f"{page.relative_to(root)}: {target}: no heading #{anchor} in {file.relative_to(root)}")
    return dead


def test_the_readme_has_no_dead_internal_link():
    assert dead_links(ROOT / "README.md") == []


def test_a_dead_link_or_anchor_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    guide = "# The guide\n\n## Set it up: `kplan ci`\n\n```\n# not a heading\n```\n"
    (tmp_path / "docs" / "guide.md").write_text(guide)
    page = tmp_path / "README.md"
    page.write_text("[ok](docs/guide.md#set-it-up-kplan-ci) [top](#a-page) [web](https://example.com/x#y)\n"
                    "# A page\n`[code](missing.md)`\n"
                    "[gone](docs/gone.md) [bad](docs/guide.md#not-a-heading) ![img](docs/none.png)\n")
    assert dead_links(page, tmp_path) == [
        "README.md: docs/gone.md: no such file",
        "README.md: docs/guide.md#not-a-heading: no heading #not-a-heading in docs/guide.md",
        "README.md: docs/none.png: no such file",
    ]
