"""Rendering the status report (`kplan.plan.status.StatusReport`): terminal text and the versioned JSON form."""

from __future__ import annotations

import json

from kplan.kinds import KINDS, UNITS
from kplan.model.cdc_health import CdcHealth, health_text
from kplan.model.diagnostics import Diagnostic, Severity
from kplan.model.orphans import Orphan
from kplan.model.source import Origin
from kplan.model.status import ResourceStatus, StateTally, Status, StatusReport, StatusSummary, Trace
from kplan.secrets import scrub

_STATUS_COLORS = {Status.IN_SYNC: "green", Status.DRIFTED: "yellow", Status.MISSING: "red", Status.WRONG_STATE: "red",
                  Status.NOT_DECLARED: "magenta"}


def render_status(report: StatusReport, fmt: str = "text", *, color: bool = False) -> str:
    """The report in `fmt`, every known secret value masked (kplan.secrets.KNOWN)."""
    if fmt == "json":
        return scrub(json.dumps(status_to_dict(report), indent=2, ensure_ascii=False) + "\n")
    if fmt == "text":
        return scrub(render_status_text(report, color=color))
    raise ValueError(f"unknown format {fmt!r}; expected text or json")


def render_status_text(report: StatusReport, *, color: bool = False) -> str:
    """Terminal text ending in a newline; ANSI colors only when `color` is true."""
    import click

    from kplan.render.common import meta_line, where

    def c(text: str, fg: str | None = None, bold: bool = False, dim: bool = False) -> str:
        if not (color and (fg or bold or dim)):
            return text
        return click.style(text, fg=fg, bold=bold or None, dim=dim or None)

    env = f" (environment {report.environment})" if report.environment else ""
    lines = [c(f"Status of stack {report.stack}{env} on cluster {report.cluster_id or '?'}", bold=True)]
    for kind in KINDS:
        rows = [r for r in report.resources if r.type == kind.type]
        if not rows:
            continue
        lines += ["", f"{kind.title}:"]
        details = [kind.status_detail(r) for r in rows]
        name_w = min(max(len(r.name) for r in rows), 60)
        status_w = max(len(r.label) for r in rows)
        detail_w = min(max(len(d) for d in details), 50)
        for r, detail in zip(rows, details):
            label = r.label
            text = (f"  {r.name.ljust(name_w)}  {c(label, _STATUS_COLORS[r.status])}{' ' * (status_w - len(label))}"
                    f"  {detail.ljust(detail_w)}")
            if r.origin is not None:
                text += f"  {where(r.origin)}"
            elif r.status is Status.NOT_DECLARED:
                text += "  owned by the stack, no longer declared: the next apply deletes it"
            lines.append(text.rstrip())
            lines += [] if r.meta.empty else [c(f"      {meta_line(r.meta, '; ')}", dim=True)]
            lines += [c(f"      {kind.difference_text(r, d)}", "yellow") for d in r.differences]
            lines += _health_lines(r.cdc_health, c)
            if r.trace.lines:
                lines.append(c("      connector trace:", "red"))
                lines += _trace_lines(r.trace, c, "        ")
            for t in r.tasks:
                state = c(t.state, None if t.in_declared_state else "red", bold=not t.in_declared_state)
                worker = f"  worker {t.worker_id}" if t.worker_id else ""
                lines.append(f"      task {t.id}  {state}{worker}")
                lines += _trace_lines(t.trace, c, "        ")
    if report.orphans:
        lines += ["", "Orphans (under the stack's claims; no stack owns or declares them):"]
        name_w = min(max(len(o.name) for o in report.orphans), 60)
        fates = [("pruned: the next apply deletes " + ("them" if len(o.parts) > 1 else "it")) if o.prune
                 else "left alone" for o in report.orphans]
        fate_w = max(len(f) for f in fates)
        for o, fate in zip(report.orphans, fates):
            lines.append(f"  {o.type.value:<9} {o.name.ljust(name_w)}  {c(fate, 'magenta' if o.prune else 'yellow')}"
                         f"{' ' * (fate_w - len(fate))}  claim {o.prefix!r}")
            lines += [f"      {d}" for d in o.details]
    unowned = sum(1 for r in report.resources if not r.owned)
    if unowned:
        what = "resource exists" if unowned == 1 else "resources exist"
        lines += ["", f"{unowned} {what} on the cluster but {'is' if unowned == 1 else 'are'} not yet recorded "
                      "as owned by this stack; the next apply records ownership."]
    if report.diagnostics or report.warnings:
        lines.append("")
        lines += [c(d.format(), "red") for d in report.diagnostics]
        # --allow-unreadable: what was not read (warnings); each owner's totals (notes, uncolored)
        lines += [c(d.format(), "yellow" if d.severity is Severity.WARNING else None) for d in report.warnings]
    lines += ["", c(summary_of(report).line(), bold=True)]
    return "\n".join(lines) + "\n"


def _health_lines(h: CdcHealth | None, c) -> list[str]:
    """A CDC source's slot or binlog line, then each problem that makes it unhealthy (docs/cdc-health.md)."""
    if h is None:
        return []
    return ([c(f"      {health_text(h)}", "yellow" if h.error else None if h.healthy else "red")]
            + [c(f"      ! {p}", "red", bold=True) for p in h.problems])


def _trace_lines(trace: Trace, c, indent: str) -> list[str]:
    out = [c(f"{indent}{line}", dim=True) for line in trace.lines]
    if trace.more:
        out.append(c(f"{indent}... ({trace.more} more line{'s' if trace.more != 1 else ''})", dim=True))
    return out


def summary_of(report: StatusReport) -> StatusSummary:
    """The report's summary, with the registered kinds' counts by state (their Runtime's `tally`)."""
    tallies: list[StateTally] = [runs.tally for u in UNITS if (runs := u.runtime) is not None]
    return report.summary(tallies)


def status_to_dict(report: StatusReport) -> dict:
    s = summary_of(report)
    notes = [d for d in report.warnings if d.severity is Severity.INFO]
    return {
        "format_version": report.format_version,
        "stack": report.stack,
        "environment": report.environment,
        "cluster_id": report.cluster_id,
        "in_sync": report.in_sync,
        "pending": report.pending,
        "summary": {
            "resources": s.resources,
            **{k.value: s.counts.get(k, 0) for k in Status},
            **{word: dict(counted) for word, counted in s.states},  # each kind tally's (the connectors' states)
            "errors": s.errors,
            "left_alone": s.left_alone,
            "orphans": s.orphans,
            "pruned": s.pruned,
            "line": s.line(),
        },
        "resources": [_resource_dict(r) for r in report.resources],
        "orphans": [_orphan_dict(o) for o in report.orphans],
        "diagnostics": [_diagnostic_dict(d) for d in report.diagnostics],
        # each owner's totals under the policy's owner-total rules (absent without them)
        **({"notes": [_diagnostic_dict(d) for d in notes]} if notes else {}),
        # --allow-unreadable: the systems not read and the declared resources on them (absent when all were read)
        **({"not_read": [n.to_json() for n in report.not_read], "unread": list(report.unread)}
           if report.not_read else {}),
    }


def _diagnostic_dict(d: Diagnostic) -> dict:
    return {"severity": d.severity.value, "code": d.code, "message": d.message, "address": d.address,
            "origin": _origin_dict(d.origin)}


def _resource_dict(r: ResourceStatus) -> dict:
    from kplan.kinds import kind_of

    out: dict = {"address": r.address, "type": r.type.value, "name": r.name, "status": r.status.value,
                 "left_alone": r.left_alone, "exists": r.exists, "owned": r.owned, "origin": _origin_dict(r.origin)}
    out.update(kind_of(r.type).status_fields(r, _trace_dict))
    out.update(r.meta.to_json())  # owner, description, labels: absent when none
    return out


def _orphan_dict(o: Orphan) -> dict:
    """An orphan in the status JSON: ACLs name the orphan bindings of the principal (their keys, as the ownership
    record keeps them: `topic|literal|orders.x|WRITE|ALLOW|*`)."""
    return {"address": o.address, "type": o.type.value, "name": o.name, "claim": o.prefix, "prune": o.prune,
            **({"bindings": list(o.parts)} if o.parts else {})}


def _trace_dict(t: Trace) -> dict | None:
    return {"lines": list(t.lines), "more_lines": t.more} if t.lines else None


def _origin_dict(o: Origin | None) -> dict | None:
    """The plan JSON's origin without the CDC fields that are not set."""
    if o is None:
        return None
    return {k: v for k, v in o.to_json().items() if v is not None or k in ("file", "line", "column")}
