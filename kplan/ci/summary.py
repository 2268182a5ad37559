"""The comment for a plan too long for one (`kplan ci comment --report-url`): what the Markdown plan says first —
its title, summary line and notes, the per-cluster summaries, its errors and warnings, as many as fit — and a link
to the whole plan as one HTML page (`kplan plan --report`, uploaded by the CI job). Pure: Markdown in, Markdown out.
"""

from __future__ import annotations

# What kplan.render.markdown puts where it cut a plan to fit a comment (its `_truncation_note`).
RENDERER_CUT = "\n> **Truncated:**"
_SECTIONS = ("Errors", "Warnings")


def too_long(markdown: str, room: int) -> bool:
    """The plan does not fit whole: longer than the room, or already cut by the renderer."""
    return len(markdown.strip("\n")) > room or RENDERER_CUT in markdown


def summary(markdown: str, report_url: str, room: int) -> str:
    """At most `room` characters: the head of the plan, the link, then errors and warnings while they fit."""
    lines = markdown.strip("\n").splitlines()
    title, head, clusters, sections = _parts(lines)
    link = (f"**This plan is too long for a comment. [Open the whole plan]({_url(report_url)})**: one page with "
            "every change grouped by kind and action, filter and search, the diffs, and the data flows it touches.")
    out = "\n".join([title, *head, "", *clusters, link]).replace("\n\n\n", "\n\n")
    if not any(sections.get(name) for name in _SECTIONS) and RENDERER_CUT in markdown:
        out += ("\n\nThe Markdown plan was cut before its errors and warnings (if it has any): the page lists them "
                "first.")
    for name in _SECTIONS:
        items = sections.get(name) or []
        if not items:
            continue
        block = f"\n\n#### {name} ({len(items)})\n"
        if len(out) + len(block) + 200 > room:
            break
        out += block
        for i, item in enumerate(items):
            left = f"- … and {len(items) - i} more: open the whole plan.\n"
            if len(out) + len(item) + 1 + len(left) + 200 > room:
                out += left
                break
            out += item + "\n"
    return out.rstrip("\n")[:room]


def _parts(lines: list[str]) -> tuple[str, list[str], list[str], dict[str, list[str]]]:
    """(title line, the lines under it up to the first table or section, the cluster summary headings, the list
    items of each Errors/Warnings section)."""
    title, rest = (lines[0], lines[1:]) if lines else ("", [])
    head: list[str] = []
    clusters: list[str] = []
    sections: dict[str, list[str]] = {}
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
    if clusters:
        clusters.append("")
    return title, head, clusters, sections


def _url(url: str) -> str:
    """A link target Markdown cannot misread (spaces and parentheses escaped)."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
