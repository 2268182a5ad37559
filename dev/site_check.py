"""Checks the built site (`make docs`: mkdocs builds site/, then this reads it) for what `mkdocs build --strict` lets
through and a reader sees wrong:

- a literal `\\|` in code (a pipe escaped for a table cell that Python-Markdown's tables keep inside code spans);
- a Markdown list that is not a list on the page (no blank line before it: Python-Markdown runs it into the
  paragraph), or a nested list that is not nested (nested by fewer than 4 spaces: Python-Markdown flattens it);
- a repository path `docs/NAME.md` in the prose where a link to the page is meant;
- a CI workflow file of examples/ that the CI page does not show whole (the page includes each file as the user
  copies it: a copy pasted into the page would drift from the tested file).

The lists are checked against what the Markdown means: each page's source is read by a CommonMark parser
(markdown-it-py), and each of its list items must be a list item of the built page at the same depth.

    python dev/site_check.py [SITE_DIR]     # one line per problem, exit 1 if any; SITE_DIR defaults to site/
"""

from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]
PREFIX = 40  # characters of an item's text that identify it


def _norm(text: str) -> str:
    return " ".join(html.unescape(text).split())[:PREFIX]


# ---------------------------------------------------------------------------------------------- the Markdown's lists

def markdown_items(source: str) -> list[tuple[int, str]]:
    """(depth, the start of its text) of each list item of a Markdown page, in order, as CommonMark reads it."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(source)
    items: list[tuple[int, str]] = []
    depth = 0
    want = False  # the next inline token is the text of the item just opened
    for tok in tokens:
        if tok.type == "list_item_open":
            depth += 1
            want = True
            items.append((depth, ""))
        elif tok.type == "list_item_close":
            depth -= 1
            want = False
        elif tok.type in ("bullet_list_open", "ordered_list_open") and want:
            want = False  # an item that starts with a list has no text of its own
        elif tok.type in ("fence", "code_block") and want:
            want = False
        elif tok.type == "inline" and want:
            rendered = md.renderer.render(tok.children or [], md.options, {})
            items[-1] = (depth, _norm(re.sub(r"<[^>]+>", "", rendered)))
            want = False
    return [(d, text) for d, text in items if text]


# ---------------------------------------------------------------------------------------------- the page's lists

class _Page(HTMLParser):
    """The page's article: its list items (depth, start of own text), its code's text, and its prose (text outside
    code, pre and links)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_article = 0
        self.items: list[tuple[int, str]] = []
        self.open_items: list[int] = []  # index in items of each open <li>; its text is collected until a block
        self.collecting: list[bool] = []
        self.code: list[str] = []
        self.prose: list[str] = []
        self._code_depth = 0
        self._skip = 0  # inside <pre>, <code> or <a>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self.in_article += 1
        if not self.in_article:
            return
        if tag == "li":
            self.items.append((len(self.open_items) + 1, ""))
            self.open_items.append(len(self.items) - 1)
            self.collecting.append(True)
        elif tag in ("ul", "ol", "pre", "div", "table") and self.collecting:
            self.collecting[-1] = False  # the item's own text ends where a block starts
        if tag == "code":
            self._code_depth += 1
            self.code.append("")
        if tag in ("pre", "code", "a"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if not self.in_article:
            return
        if tag == "article":
            self.in_article -= 1
        if tag == "li" and self.open_items:
            self.open_items.pop()
            self.collecting.pop()
        if tag == "code":
            self._code_depth -= 1
        if tag in ("pre", "code", "a"):
            self._skip -= 1
        if tag == "p" and self.collecting:
            self.collecting[-1] = False

    def handle_data(self, data: str) -> None:
        if not self.in_article:
            return
        if self.collecting and self.collecting[-1]:
            i = self.open_items[-1]
            self.items[i] = (self.items[i][0], self.items[i][1] + data)
        if self._code_depth:
            self.code[-1] += data
        if not self._skip:
            self.prose.append(data)


def _find(items: list[tuple[int, str]], text: str, start: int) -> int | None:
    for i in range(start, len(items)):
        if items[i][1] == text:
            return i
    return None


def page_problems(name: str, source: str, page_html: str) -> list[str]:
    """The problems of one page: `name` its source's path, `source` its Markdown, `page_html` the built page."""
    page = _Page()
    page.feed(page_html)
    built = [(d, _norm(t)) for d, t in page.items]
    out = []
    for code in page.code:
        if "\\|" in code:
            out.append(f"{name}: code shows a literal \\| ({_norm(code)!r}): in a table, write | in code spans "
                       f"unescaped (Python-Markdown's tables do not split a row inside code)")
    pos = 0
    for depth, text in markdown_items(source):
        found = _find(built, text, pos)
        if found is None:
            found = _find(built, text, 0)
        if found is None:
            out.append(f"{name}: the list item {text!r} is not a list item on the page: leave a blank line "
                       f"before the list")
            continue
        pos = found + 1
        if built[found][0] != depth:
            out.append(f"{name}: the list item {text!r} is {depth} deep in the Markdown, {built[found][0]} deep "
                       f"on the page: indent a nested list by 4 spaces")
    for match in re.finditer(r"\bdocs/[\w/-]+\.md\b", " ".join(page.prose)):
        out.append(f"{name}: {match.group(0)} in the text: make it a link to the page")
    return out


# The page that shows the files users copy from examples/ (each CI platform's workflows), each whole.
WORKFLOWS_PAGE = "ci.md"


def workflow_files(root: Path = ROOT) -> dict[str, str]:
    """{path from the repository's root: text} of every CI workflow file in examples/."""
    paths = sorted([*root.glob("examples/*/*.yml"), *root.glob("examples/*/.gitlab-ci.yml")])
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in paths}


def unshown_files(name: str, page_html: str, files: dict[str, str]) -> list[str]:
    """The problems of the page `name` that should show each of `files` ({path: text}) whole in a code block."""
    page = _Page()
    page.feed(page_html)
    blocks = [code.strip() for code in page.code]
    return [f"{name}: {path} is not shown whole in a code block (include it: --8<-- \"{path}\" in a fenced block)"
            for path, text in files.items() if text.strip() not in blocks]


def built_page(site: Path, path: str) -> Path:
    """The HTML file mkdocs writes for the page docs/`path` (directory URLs)."""
    stem = path.removesuffix(".md")
    return site / ("index.html" if stem == "index" else f"{stem}/index.html")


def sources() -> Iterable[tuple[str, str]]:
    """(path under docs/, Markdown) of every page of the site, the generated ones included."""
    sys.path.insert(0, str(ROOT / "dev"))
    import docs_reference

    for path in sorted((ROOT / "docs").rglob("*.md")):
        yield str(path.relative_to(ROOT / "docs")), path.read_text(encoding="utf-8")
    yield from docs_reference.pages().items()


def problems(site: Path) -> list[str]:
    out = []
    for path, source in sources():
        built = built_page(site, path)
        if not built.is_file():
            out.append(f"docs/{path}: no built page {built}")
            continue
        out += page_problems(f"docs/{path}", source, built.read_text(encoding="utf-8"))
    page = built_page(site, WORKFLOWS_PAGE)
    if page.is_file():
        out += unshown_files(f"docs/{WORKFLOWS_PAGE}", page.read_text(encoding="utf-8"), workflow_files())
    return out


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "site"
    found = problems(site)
    for line in found:
        print(line)
    if found:
        print(f"the built site ({site}) shows {len(found)} construct(s) wrong (dev/site_check.py)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
