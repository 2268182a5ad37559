"""A repository's plans as `kplan plan --tree DIR --format markdown` prints them (one section per stack, then the
summary line), for `kplan ci comment`: split again into each stack's plan, posted as that stack's own comment (found
again by its stack's marker, as a single stack's plan is), or summed up in one comment with each stack's plan page
linked. Pure: Markdown in, Markdown out."""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTION_MARK = "<!-- kplan-stack -->"
NOTHING = "No stacks to plan."  # the whole output when the changed files touch no stack (kplan.commands.plan_many)
_HEAD = re.compile(r"^## `(?P<path>[^`]+)`(?: \(stack `(?P<stack>[^`]+)`\))?\s*$")
_BOLD = re.compile(r"^\*\*(?P<text>.+)\*\*$")
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class StackPlan:
    """One stack's section: its path, its name (None when its files could not even say it) and its Markdown: the
    plan (its kplan title first), or a title saying it was not planned and its errors."""

    path: str
    stack: str | None
    markdown: str

    @property
    def label(self) -> str:
        """What names the stack in a comment's marker and a page's file name: its name, else its path."""
        return self.stack or self.path


def section_head(path: str, stack: str | None, *, planned: bool, environment: str | None = None) -> str:
    """A section's first lines; a stack without a plan gets a kplan title of its own (so that its comment has the
    stack's marker too), saying it was not planned."""
    lines = [SECTION_MARK, f"## `{path}`" + (f" (stack `{stack}`)" if stack else ""), ""]
    if not planned:
        env = f" (`{environment}`)" if environment else ""
        lines += [f"### kplan plan: stack `{stack or path}`{env}: not planned, the stack has errors", ""]
    return "\n".join(lines)


def split(markdown: str) -> tuple[list[StackPlan], str] | None:
    """(each stack's section, the summary line), or None when `markdown` is not a repository's plans."""
    if markdown.strip() == NOTHING:  # a repository run whose changed files touched no stack (never a stack's plan)
        return [], NOTHING
    if SECTION_MARK not in markdown:
        return None
    chunks = markdown.split(SECTION_MARK)[1:]
    out: list[StackPlan] = []
    summary = ""
    for n, chunk in enumerate(chunks):
        lines = chunk.strip("\n").splitlines()
        m = _HEAD.match(lines[0]) if lines else None
        if m is None:
            continue
        body = lines[1:]
        if n == len(chunks) - 1:  # the summary line ends the last section
            while body and not body[-1].strip():
                body.pop()
            if body and (body[-1].startswith("Stacks: ") or body[-1].startswith("No stacks")):
                summary = body.pop()
        out.append(StackPlan(m.group("path"), m.group("stack"), "\n".join(body).strip("\n") + "\n"))
    return out, summary


def page_name(label: str) -> str:
    """The file name of a stack's plan page (`kplan plan --report-dir`), the same for the summary's link."""
    return _slug(label) + ".html"


def plan_name(label: str) -> str:
    """The file name of a stack's saved plan (`kplan plan --out-dir`), where `kplan ci comment --plans` finds it."""
    return _slug(label) + ".plan"


def _slug(label: str) -> str:
    return _SLUG.sub("_", label).strip("_.") or "stack"


def plan_line(section: StackPlan) -> str:
    """What a section says first: its plan's summary line (`Plan: 1 to add, ...`, `No changes. ...`) and whether it
    failed, or its first error."""
    lines = section.markdown.splitlines()
    bold = [m.group("text") for line in lines if (m := _BOLD.match(line.strip()))]
    errors = [line[2:].strip() for line in lines if line.startswith("- Error: ")]
    if not bold:
        first = errors[0] if errors else "not planned"
        return (first[:197] + "...") if len(first) > 200 else first
    failed = next((b for b in bold if b.startswith("Plan failed")), None)
    return bold[0] + (f" {failed}" if failed else "")


def summary_body(sections: list[StackPlan], summary: str, *, report_url: str | None = None,
                 environment: str | None = None) -> str:
    """One comment for every stack: a row each (its plan's line, a link to its page under `report_url`), and the
    summary line."""
    from kplan.render.markdown import cell

    env = f" (`{environment}`)" if environment else ""
    lines = [f"### kplan plan: {len(sections)} stack{'s' if len(sections) != 1 else ''}{env}", "",
             f"**{summary}**" if summary else "", "", "| Stack | Path | Plan |", "|---|---|---|"]
    for s in sections:
        text = cell(plan_line(s))
        if report_url:
            text += f" ([plan]({report_url.rstrip('/')}/{page_name(s.label)}))"
        lines.append(f"| `{cell(s.stack or '?')}` | `{cell(s.path)}` | {text} |")
    return "\n".join(lines) + "\n"
