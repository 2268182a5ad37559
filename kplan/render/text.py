"""Terraform-like text rendering of a plan, for terminals and logs. Pure: the caller decides on colors."""

from __future__ import annotations

import click

from kplan.model.diagnostics import Severity
from kplan.model.plan import Action, AttrKind, Flag, Plan, ResourceChange
from kplan.render.common import (
    SYMBOLS,
    adoption_note,
    attention,
    attr_note,
    consumer_summary,
    group_line,
    label,
    notes,
    shown,
    summary_line,
    transition,
)
from kplan.render.common import (
    headline as change_headline,
)
from kplan.render.distribution import distribution, text_lines
from kplan.words import plural

COLORS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red", Action.REPLACE: "red",
          Action.NOOP: None, Action.RESTART: "yellow", Action.METADATA: "yellow",
          Action.FORGET: "yellow", Action.MOVE: "yellow"}
ATTR_SYMBOLS = {AttrKind.ADD: ("+", "green"), AttrKind.UPDATE: ("~", "yellow"), AttrKind.REMOVE: ("-", "red")}


def render_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text ending in a newline; ANSI colors only when `color` is true."""

    def c(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color and (fg or bold) else text

    env = f" (environment {plan.environment})" if plan.environment else ""
    mode = "Destroy plan" if plan.destroy else "Plan"
    names = ", ".join(f"{g.cluster_name} ({g.cluster_id or '?'})" for g in plan.groups)
    where = f"{len(plan.groups)} clusters: {names}" if plan.groups else f"cluster {plan.cluster_id or '?'}"
    lines = [c(f"{mode} for stack {plan.stack}{env} on {where}", bold=True), ""]
    if any(ch.action != Action.NOOP and shown(ch) for ch in plan.changes):
        lines += ["kplan will perform the following actions:", ""]
    for g in plan.groups:  # several clusters: one section per cluster, then the whole plan's summary
        lines += [c(f"── cluster {g.cluster_name} ({g.cluster_id or '?'}): {summary_line(g)}", bold=True), ""]
        lines += _body(g, c)
    if not plan.groups:
        lines += _body(plan, c)
    lines.append(c(summary_line(plan), bold=True))
    if adoption_note(plan):
        lines.append(adoption_note(plan))
    if plan.has_errors:
        lines.append(c(f"Plan failed: {plural(plan.summary.errors, 'error')}; nothing can be applied.", "red", True))
    return "\n".join(lines) + "\n"


def _body(plan: Plan, c) -> list[str]:
    """The resources and diagnostics of one (one cluster's) plan."""
    lines: list[str] = []
    for ch in plan.changes:
        if shown(ch):
            lines += _resource(ch, c)
            lines.append("")
    spread = distribution(plan)
    if spread is not None:
        lines += [*text_lines(spread), ""]
    for d in plan.diagnostics:
        lines.append(c(d.format(), {Severity.ERROR: "red", Severity.WARNING: "yellow"}.get(d.severity)))
    if plan.diagnostics:
        lines.append("")
    return lines


def _resource(ch: ResourceChange, c) -> list[str]:
    fg = COLORS[ch.action]
    headline = f"  # {ch.address} {change_headline(ch)}"
    if ch.reason.value:
        headline += f" ({ch.reason.value})"
    lines = [c(headline, bold=True)]
    for note, flag in notes(ch):
        lines.append(c(f"  #   {note}", flag and ("red" if flag in (Flag.DATA_LOSS, Flag.REFUSED) else "yellow")))
    if ch.consumers is not None:
        lines.append(c(f"  #   {consumer_summary(ch)}", "yellow" if ch.consumers.groups else None))
        lines += [f"  #     {group_line(ch, g)}" for g in ch.consumers.groups]
    if not ch.attributes and not ch.unchanged_attributes:
        return lines
    symbol = SYMBOLS[ch.action]
    lines.append(f"{c(symbol.rjust(3), fg)} {ch.type.value} {_quote(ch.name)} {{")
    width = max((len(label(a)) for a in ch.attributes), default=0)
    deleting = ch.action == Action.DELETE
    for a in ch.attributes:
        note = attr_note(a)
        if a.kind in ATTR_SYMBOLS:
            sym, afg = ("-", "red") if deleting else ATTR_SYMBOLS[a.kind]
            text = f"      {c(sym, afg)} {label(a).ljust(width)} = {transition(a, deleting=deleting)}"
            if note:
                text += c(f"  # {note}", "yellow" if attention(a) else None)
        else:  # drift, refused
            drift = a.kind == AttrKind.DRIFT
            text = c(f"      # {a.kind.value}: {label(a)} = {transition(a)}", "magenta" if drift else "red")
            if drift and note:
                text += c(f" ({note})", "magenta")
        lines.append(text)
    if ch.unchanged_attributes:
        lines.append(f"        # ({plural(ch.unchanged_attributes, 'unchanged attribute')} hidden)")
    lines.append("    }")
    return lines


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
