"""The comment for a plan too long for one (`kplan ci comment --report-url`): what the Markdown plan says first —
its title, summary line and notes, the per-cluster summaries, its errors and warnings (the renderer puts them
before any cut), as many as fit — and a link to the whole plan as one HTML page (`kplan plan --report`, uploaded
by the CI job). Pure: Markdown in, Markdown out."""

from __future__ import annotations

import re

# What kplan.render.markdown_cut puts where it cut a plan to fit a comment; where it cut a list of errors or warnings,
# it says how many more there are.
RENDERER_CUT = "\n> **Truncated:**"
_LIST_CUT = re.compile(r"> \*\*Truncated:\*\* (\d+) more (?:error|warning)")
_SECTIONS = ("Errors", "Warnings")


def too_long(markdown: str, room: int) -> bool:
    """The plan does not fit whole: longer than the room, or already cut by the renderer."""
    return len(markdown.strip("\n")) > room or RENDERER_CUT in markdown


def summary(markdown: str, report_url: str, room: int) -> str:
    """At most `room` characters: the head of the plan, the link, then errors and warnings while they fit."""
    lines = markdown.strip("\n").splitlines()
    title, head, clusters, sections, hidden = _parts(lines)
    link = (f"**This plan is too long for a comment. [Open the whole plan]({_url(report_url)})**: one page with "
            "every change grouped by kind and action, filter and search, the diffs, and the data flows it touches.")
    out = "\n".join([title, *head, "", *clusters, link]).replace("\n\n\n", "\n\n")
    for name in _SECTIONS:
        items = sections.get(name) or []
        total = len(items) + hidden.get(name, 0)
        if not total:
            continue
        block = f"\n\n#### {name} ({total})\n"
        if len(out) + len(block) + 200 > room:
            break
        out += block
        for i, item in enumerate(items):
            left = f"- … and {total - i} more: open the whole plan.\n"
            if len(out) + len(item) + 1 + len(left) + 200 > room:
                out += left
                break
            out += item + "\n"
        else:
            if hidden.get(name):
                out += f"- … and {hidden[name]} more: open the whole plan.\n"
    return out.rstrip("\n")[:room]


def _parts(lines: list[str]) -> tuple[str, list[str], list[str], dict[str, list[str]], dict[str, int]]:
    """(title line, the lines under it up to the first table or section, the cluster summary headings, the list
    items of each Errors/Warnings section, how many more of each the renderer left out where it cut the list)."""
    title, rest = (lines[0], lines[1:]) if lines else ("", [])
    head: list[str] = []
    clusters: list[str] = []
    sections: dict[str, list[str]] = {}
    hidden: dict[str, int] = {}
    current: str | None = None
    in_head = True
    for line in rest:
        if line.startswith("#"):
            in_head = False
            name = line.lstrip("#").strip()
            current = name if name in _SECTIONS else None
            if name.startswith("Cluster "):
                clusters.append(f"- {name}")
            continue
        if line.startswith("|") or line.startswith("<details>"):
            in_head = False
            current = None
        if in_head:
            head.append(line)
        elif current and line.startswith("- "):
            sections.setdefault(current, []).append(line)
        elif current and (m := _LIST_CUT.match(line)):
            hidden[current] = hidden.get(current, 0) + int(m.group(1))
    if clusters:
        clusters.append("")
    return title, head, clusters, sections, hidden


def _url(url: str) -> str:
    """A link target Markdown cannot misread (spaces and parentheses escaped)."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
