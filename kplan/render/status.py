"""Rendering the status report (`kplan.plan.status.StatusReport`): terminal text and the versioned JSON form."""

from __future__ import annotations

import json

from kplan.model.desired import Origin
from kplan.plan.status import (DRIFTED, IN_SYNC, MISSING, NOT_DECLARED, STATUS_LABELS, WRONG_STATE, Difference,
                               STATUS_ORDER, ResourceStatus, StatusReport, Trace)

_STATUS_COLORS = {IN_SYNC: "green", DRIFTED: "yellow", MISSING: "red", WRONG_STATE: "red", NOT_DECLARED: "magenta"}


def render_status(report: StatusReport, fmt: str = "text", *, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(status_to_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return render_status_text(report, color=color)
    raise ValueError(f"unknown format {fmt!r}; expected text or json")


def render_status_text(report: StatusReport, *, color: bool = False) -> str:
    """Terminal text ending in a newline; ANSI colors only when `color` is true."""
    import click

    from kplan.render.common import where

    def c(text: str, fg: str | None = None, bold: bool = False, dim: bool = False) -> str:
        if not (color and (fg or bold or dim)):
            return text
        return click.style(text, fg=fg, bold=bold or None, dim=dim or None)

    env = f" (environment {report.environment})" if report.environment else ""
    lines = [c(f"Status of stack {report.stack}{env} on cluster {report.cluster_id or '?'}", bold=True)]
    for kind, title in (("topic", "Topics"), ("connector", "Connectors")):
        rows = [r for r in report.resources if r.type == kind]
        if not rows:
            continue
        lines += ["", f"{title}:"]
        details = [_topic_detail(r) if kind == "topic" else _connector_detail(r) for r in rows]
        name_w = min(max(len(r.name) for r in rows), 60)
        status_w = max(len(STATUS_LABELS[r.status]) for r in rows)
        detail_w = min(max(len(d) for d in details), 50)
        for r, detail in zip(rows, details):
            label = STATUS_LABELS[r.status]
            text = (f"  {r.name.ljust(name_w)}  {c(label, _STATUS_COLORS[r.status])}{' ' * (status_w - len(label))}"
                    f"  {detail.ljust(detail_w)}")
            if r.origin is not None:
                text += f"  {where(r.origin)}"
            elif r.status == NOT_DECLARED:
                text += "  owned by the stack, no longer declared: the next apply deletes it"
            lines.append(text.rstrip())
            for d in r.differences:
                lines.append(c(f"      {_difference_text(r, d)}", "yellow"))
            if r.trace.lines:
                lines.append(c("      connector trace:", "red"))
                lines += _trace_lines(r.trace, c, "        ")
            for t in r.tasks:
                state = c(t.state, None if t.in_declared_state else "red", bold=not t.in_declared_state)
                worker = f"  worker {t.worker_id}" if t.worker_id else ""
                lines.append(f"      task {t.id}  {state}{worker}")
                lines += _trace_lines(t.trace, c, "        ")
    unowned = sum(1 for r in report.resources if not r.owned)
    if unowned:
        what = "resource exists" if unowned == 1 else "resources exist"
        lines += ["", f"{unowned} {what} on the cluster but {'is' if unowned == 1 else 'are'} not yet recorded as owned "
                      "by this stack; the next apply records ownership."]
    if report.diagnostics:
        lines.append("")
        lines += [c(d.format(), "red") for d in report.diagnostics]
    lines += ["", c(report.summary.line(), bold=True)]
    return "\n".join(lines) + "\n"


def _trace_lines(trace: Trace, c, indent: str) -> list[str]:
    out = [c(f"{indent}{line}", dim=True) for line in trace.lines]
    if trace.more:
        out.append(c(f"{indent}... ({trace.more} more line{'s' if trace.more != 1 else ''})", dim=True))
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _topic_detail(r: ResourceStatus) -> str:
    if not r.exists:
        return f"declared {_plural(r.declared_partitions or 0, 'partition')}, RF {r.declared_replication_factor}"
    return f"{_plural(r.partitions or 0, 'partition')}, RF {r.replication_factor}"


def _connector_detail(r: ResourceStatus) -> str:
    if not r.exists:
        return f"declared {r.declared_state}"
    parts = [r.state or "state unknown"]
    if r.declared_state and (r.state or "").lower() != r.declared_state:
        parts.append(f"declared {r.declared_state}")
    off = [t for t in r.tasks if not t.in_declared_state]
    if off:
        parts += [f"task {t.id} {t.state}" for t in off]
    else:
        parts.append(_plural(len(r.tasks), "task"))
    return ", ".join(parts)


def _difference_text(r: ResourceStatus, d: Difference) -> str:
    from kplan.render.common import show

    if r.type == "connector":  # never a value
        what = {"add": "is declared but not set on the cluster", "remove": "is set on the cluster but not declared"}
        return f"~ {d.label} {what.get(d.kind, 'differs from the stack')}"
    key = d.path[-1]
    if d.kind in ("drift", "remove"):
        return f"~ {d.label} is {show(key, d.live)} on the cluster, not declared"
    live = "not set" if d.live is None else show(key, d.live) + (" (inherited)" if d.note == "inherited" else "")
    text = f"~ {d.label} is {live}, declared {show(key, d.declared)}"
    if d.note == "needs replacement":
        text += " (cannot change in place)"
    return text


def status_to_dict(report: StatusReport) -> dict:
    s = report.summary
    return {
        "format_version": report.format_version,
        "stack": report.stack,
        "environment": report.environment,
        "cluster_id": report.cluster_id,
        "in_sync": report.in_sync,
        "summary": {
            "resources": s.resources,
            **{k: s.counts.get(k, 0) for k in STATUS_ORDER},
            "connectors": dict(s.connector_states),
            "errors": s.errors,
            "line": s.line(),
        },
        "resources": [_resource_dict(r) for r in report.resources],
        "diagnostics": [
            {"severity": d.severity.value, "code": d.code, "message": d.message, "address": d.address,
             "origin": _origin_dict(d.origin)}
            for d in report.diagnostics
        ],
    }


def _resource_dict(r: ResourceStatus) -> dict:
    out: dict = {"address": r.address, "type": r.type, "name": r.name, "status": r.status, "exists": r.exists,
                 "owned": r.owned, "origin": _origin_dict(r.origin)}
    if r.type == "topic":
        out.update(partitions=r.partitions, replication_factor=r.replication_factor,
                   declared={"partitions": r.declared_partitions,
                             "replication_factor": r.declared_replication_factor})
        out["differences"] = [{"path": list(d.path), "kind": d.kind, "live": d.live, "declared": d.declared,
                               "sensitive": d.sensitive} for d in r.differences]
    else:
        out.update(state=r.state, declared_state=r.declared_state, connector_type=r.connector_type,
                   in_declared_state=r.in_declared_state, trace=_trace_dict(r.trace),
                   tasks=[{"id": t.id, "state": t.state, "worker_id": t.worker_id,
                           "in_declared_state": t.in_declared_state, "trace": _trace_dict(t.trace)}
                          for t in r.tasks])
        out["differences"] = [{"path": list(d.path), "kind": d.kind} for d in r.differences]
    return out


def _trace_dict(t: Trace) -> dict | None:
    return {"lines": list(t.lines), "more_lines": t.more} if t.lines else None


def _origin_dict(o: Origin | None) -> dict | None:
    if o is None:
        return None
    out = {"file": o.file, "line": o.line, "column": o.column}
    for k in ("cdc_source", "table", "role"):
        if getattr(o, k) is not None:
            out[k] = getattr(o, k)
    return out
