"""What the HTML page shows, as plain data: one dict built from the plan model (the only input), embedded in the
page as JSON and read by its script. Pure. Every value comes from the plan, which never holds a plaintext secret
(kplan.model.plan); the page is scrubbed once more at the renderer's boundary (kplan.render.render)."""

from __future__ import annotations

from typing import Any

from kplan.model.diagnostics import Severity
from kplan.model.plan import Action, Flag, Plan, ResourceChange
from kplan.render.common import (
    SYMBOLS,
    detail_lines,
    group_line,
    irreversible_why,
    shown,
    where,
)
from kplan.render.common import (
    headline as change_headline,
)

# The order of the action groups: what a reviewer must see first (data loss) to what matters least.
ACTION_ORDER = (Action.REPLACE, Action.DELETE, Action.MOVE, Action.UPDATE, Action.CREATE, Action.RESTART,
                Action.METADATA, Action.FORGET, Action.NOOP)


def page_data(plan: Plan) -> dict[str, Any]:
    """The changes shown (as `kplan plan` lists them), each a compact row, and their (kind, action) groups in
    review order. Row keys are short: a 10,000-change page carries 10,000 of them."""
    rows: list[dict[str, Any]] = []
    pairs = ([(g.cluster_name or "?", ch) for g in plan.groups for ch in g.changes] if plan.groups else
             [(None, ch) for ch in plan.changes])  # each change with its cluster's name, on a several-cluster plan
    for cluster, ch in pairs:
        if not shown(ch):
            continue
        rows.append({"a": ch.address, "k": ch.type.value, "n": ch.name, "x": ch.action.value,
                     "s": SYMBOLS[ch.action].strip() or "=", "h": change_headline(ch),
                     "f": sorted(f.value for f in ch.flags), "d": diff_lines(ch),
                     **({"o": ch.meta.owner} if ch.meta.owner is not None else {}),
                     **({"w": where(ch.origin)} if ch.origin is not None else {}),
                     **({"c": cluster} if cluster else {})})
    return {"changes": rows, "groups": groups(rows)}


def groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """[{"k": kind, "x": action, "i": [row indices]}], kinds by name, actions in review order within a kind."""
    order = {a.value: i for i, a in enumerate(ACTION_ORDER)}
    by: dict[tuple[str, str], list[int]] = {}
    for i, row in enumerate(rows):
        by.setdefault((row["k"], row["x"]), []).append(i)
    keys = sorted(by, key=lambda kx: (kx[0], order.get(kx[1], len(order))))
    return [{"k": k, "x": x, "i": by[(k, x)]} for k, x in keys]


def diff_lines(ch: ResourceChange) -> list[list[str]]:
    """The change's details as [mark, text] lines (`+`, `-`, `~`, `#`), the same facts as the Markdown details."""
    groups = ch.consumers.groups if ch.consumers is not None else ()
    return detail_lines(ch, origin=False) + [["#", f"read by consumer group {group_line(ch, g)}"] for g in groups]


def problems(plan: Plan) -> tuple[list[str], list[str]]:
    """(errors, warnings) in words, errors first on the page: the plan's diagnostics, plus the changes that lose
    data or cannot be undone (as the Markdown plan's warnings say them)."""
    errors = [d.format().removeprefix("Error: ") for d in plan.diagnostics if d.severity == Severity.ERROR]
    warnings: list[str] = []
    for ch in plan.changes:
        if ch.action == Action.REPLACE:
            warnings.append(f"DATA LOSS: {ch.address} will be deleted and re-created ({ch.reason.value})")
        elif ch.action == Action.DELETE:
            loss = " — DATA LOSS: all its records are deleted" if ch.has(Flag.DATA_LOSS) else ""
            warnings.append(f"Destroys {ch.address} ({ch.reason.value}){loss}")
        if ch.has(Flag.IRREVERSIBLE):
            warnings.append(f"Irreversible: {ch.address}: {irreversible_why(ch)}")
    covered = {"partition-increase", "replace-data-loss", "tiered-storage-one-way"}
    warnings += [d.format().split(": ", 1)[-1] for d in plan.diagnostics
                 if d.severity != Severity.ERROR and d.code not in covered]
    return errors, warnings
