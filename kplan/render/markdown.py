"""Markdown rendering for a pull-request comment: the summary, the errors and warnings, the changes' table, then
per-resource details in collapsible blocks. No ANSI codes; stable order; bounded size (GitHub rejects comments over
65,536 characters: kplan.render.markdown_cut keeps the errors and warnings and cuts the rest at a row)."""

from __future__ import annotations

import html
import re

from kplan.model.diagnostics import Severity
from kplan.model.plan import Action, Flag, Plan, ResourceChange
from kplan.render.common import (
    SYMBOLS,
    adoption_note,
    age,
    detail_lines,
    irreversible_why,
    owner_groups,
    retention,
    shown,
    summary_line,
    where,
)
from kplan.render.common import (
    headline as change_headline,
)
from kplan.render.distribution import distribution
from kplan.render.distribution import markdown as distribution_markdown
from kplan.render.markdown_cut import Part, fit
from kplan.words import plural

# Below GitHub's 65,536-character limit, leaving room for text a CI job wraps around the comment.
DEFAULT_LIMIT = 60_000
_FLAG_WORDS = {Flag.DATA_LOSS: "**DATA LOSS**", Flag.IRREVERSIBLE: "**irreversible**", Flag.REFUSED: "**refused**"}
# Warnings already said by the destructive/irreversible lists.
_COVERED_CODES = {"partition-increase", "replace-data-loss", "tiered-storage-one-way"}


def render_markdown(plan: Plan, *, limit: int = DEFAULT_LIMIT) -> str:
    env = f" ({_code(plan.environment)})" if plan.environment else ""
    names = ", ".join(_code(g.cluster_name or "?") for g in plan.groups)
    where = f"{len(plan.groups)} clusters: {names}" if plan.groups else f"cluster {_code(plan.cluster_id or '?')}"
    head = [f"### kplan {'destroy plan' if plan.destroy else 'plan'}: stack {_code(plan.stack)}{env}, {where}", "",
            f"**{summary_line(plan)}**"]
    if adoption_note(plan):
        head += ["", adoption_note(plan)]
    if plan.has_errors:
        head.append(f"\n**Plan failed: {plan.summary.errors} error(s); nothing can be applied.**")
    parts = [Part("fixed", "\n".join(head) + "\n")]
    for n, g in enumerate(plan.groups):  # several clusters: one section per cluster
        parts.append(Part("fixed", f"\n### Cluster {_code(g.cluster_name or '?')} ({_code(g.cluster_id or '?')}): "
                                   f"{summary_line(g)}\n", group=n))
        parts += _sections(g, level="####", group=n)
    return fit(parts if plan.groups else parts + _sections(plan), limit)


def _sections(plan: Plan, level: str = "###", group: int = 0) -> list[Part]:
    """The errors, the warnings, the table, the consumers and the details of one (one cluster's) plan. Errors and
    warnings come first: a plan cut at the comment's size limit (kplan.render.markdown_cut) still shows them."""
    visible = [ch for ch in plan.changes if shown(ch)]
    parts: list[Part] = []
    listed = (("error", "Errors", _errors(plan)), ("warning", "Warnings", _warnings(plan)))
    for kind, title, items in listed:
        if items:
            parts.append(Part(kind, f"\n{level} {title}\n\n", [f"- {x}\n" for x in items], group))
    titled = f"\n{level} Changes\n" if any(p[2] for p in listed) else ""  # the table is not a part of the lists
    table = "\n| | Resource | Action | Notes | Declared at |\n|:-:|---|---|---|---|\n"
    if visible and any(ch.meta.owner is not None for ch in visible):  # whose resources change: one table each
        for owner, changes in owner_groups(visible):
            who = f"Owner {_code(owner)}" if owner is not None else "No owner"
            parts.append(Part("change", f"{titled}\n{level}# {who}: {plural(len(changes), 'resource')}\n{table}",
                              [_row(ch) for ch in changes], group))
            titled = ""
    elif visible:
        parts.append(Part("change", titled + table, [_row(ch) for ch in visible], group))
    spread = distribution(plan)
    if spread is not None:  # one row per broker: always kept
        parts.append(Part("fixed", distribution_markdown(spread, level), group=group))
    consumers = _consumers(plan)
    if consumers:
        parts.append(Part("consumer", f"\n{level} Consumers\n\nConsumer groups reading the topics this plan "
                          "disrupts (docs/consumers.md):\n\n| Topic | Because | Group | State | Members | Lag | "
                          "Oldest unconsumed | Older than the new retention |\n|---|---|---|---|--:|--:|--:|--:|\n",
                          consumers, group))
    if visible:
        parts.append(Part("detail", f"\n{level} Details\n", [_details(ch) for ch in visible], group))
    return parts


def _row(ch: ResourceChange) -> str:
    notes = ", ".join(_FLAG_WORDS.get(f, f.value) for f in sorted(ch.flags, key=lambda f: f.value))
    origin = _code(where(ch.origin)) if ch.origin else ""
    return (f"| {_code(SYMBOLS[ch.action].strip() or '=')} | {_code(ch.address)} | {ch.action.value} | "
            f"{cell(notes)} | {origin} |\n")


def _errors(plan: Plan) -> list[str]:
    """Errors under their own heading: a reviewer must not read a failed plan's errors as mere warnings."""
    return [f"**Error:** {_text(d.format().removeprefix('Error: '))}" for d in plan.diagnostics
            if d.severity == Severity.ERROR]


def _warnings(plan: Plan) -> list[str]:
    """Data loss by replacement, irreversible changes and the plan's warnings, then one line per deletion (a big
    destroy has many: they come last, so a cut list keeps the rest)."""
    out = [f"**DATA LOSS:** {_code(ch.address)} will be deleted and re-created ({_text(ch.reason.value)})"
           for ch in plan.changes if ch.action == Action.REPLACE]
    out += [f"**Irreversible:** {_code(ch.address)}: {_text(irreversible_why(ch))}" for ch in plan.changes
            if ch.has(Flag.IRREVERSIBLE)]
    out += [f"**{d.severity.value.capitalize()}:** {_text(d.format().split(': ', 1)[1])}" for d in plan.diagnostics
            if d.severity != Severity.ERROR and d.code not in _COVERED_CODES]
    for ch in plan.changes:
        if ch.action == Action.DELETE:
            loss = " — **DATA LOSS**: all its records are deleted" if ch.has(Flag.DATA_LOSS) else ""
            out.append(f"**Destroys** {_code(ch.address)} ({_text(ch.reason.value)}){loss}")
    return out


def _consumers(plan: Plan) -> list[str]:
    """One row per group on each disrupted topic (a topic no group reads: one row saying so)."""
    rows = []
    for ch in plan.changes:
        ctx = ch.consumers
        if ctx is None:
            continue
        why = cell(", ".join(ctx.because))
        if not ctx.groups:
            rows.append(f"| {_code(ch.name)} | {why} | (none) | | | | | |\n")
        for g in ctx.groups:
            oldest = age(g.oldest_age_ms) if g.oldest_age_ms is not None else ""
            beyond = "" if g.beyond_retention is None else (
                f"{'**' if g.beyond_retention else ''}{g.beyond_retention}{'**' if g.beyond_retention else ''}"
                + (f" ({retention(ctx.retention_ms)})" if ctx.retention_ms is not None else ""))
            state = f"**{g.state}**" if g.active and g.leaves is None else g.state
            lag = g.lag if g.lag is not None else cell(f"none committed (assigned {len(g.assigned)})")
            who = _code(g.group) + (f" ({cell(g.leaves)})" if g.leaves is not None else "")
            rows.append(f"| {_code(ch.name)} | {why} | {who} | {state} | {g.members} | {lag} | {oldest} "
                        f"| {cell(beyond)} |\n")
    return rows


def _details(ch: ResourceChange) -> str:
    summary = html.escape(f"{SYMBOLS[ch.action].strip() or '='} {ch.address} {change_headline(ch)}")
    lines = [f"{'#' if mark == '!' else mark} {text}" for mark, text in detail_lines(ch)]  # refused: a note
    body = "\n".join(lines)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"\n<details><summary><code>{summary}</code></summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n"


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _code(text: str) -> str:
    """Inline code that survives backticks and pipes in names."""
    text = text.replace("|", "\\|")
    fence = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Plain text made safe for a list item: no HTML, no table breaks, one line."""
    return cell(html.escape(text, quote=False))
