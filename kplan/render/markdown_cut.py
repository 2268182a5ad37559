"""Fitting a Markdown plan into a pull-request comment (GitHub rejects one over 65,536 characters). The plan is a
list of parts, each a heading and its items (list entries, table rows, detail blocks). What does not fit is cut
at an item's boundary, the least needed first — details, then consumer rows, then the changes' table rows — so
the title, the summary, the errors and the warnings always come before any cut (a comment summary lists them,
kplan.ci.summary). Where a part lost items, one line says how many are not shown."""

from __future__ import annotations

from dataclasses import dataclass, field

# What is kept first; "fixed" parts (the title, a cluster's heading) have no items and are always kept.
KINDS = ("fixed", "error", "warning", "change", "consumer", "detail")
NOTE_PREFIX = "\n> **Truncated:** "


@dataclass
class Part:
    kind: str
    head: str = ""  # shown with the part's first item (a heading, a table's header row)
    items: list[str] = field(default_factory=list)
    group: int = 0  # the cluster's section of a several-cluster plan: one note per cluster and kind


def fit(parts: list[Part], limit: int) -> str:
    """The parts joined, cut to at most `limit` characters (see the module's docstring)."""
    whole = "".join(p.head + "".join(p.items) for p in parts)
    if len(whole) <= limit:
        return whole
    totals: dict[tuple[int, str], int] = {}
    for p in parts:
        if p.items:
            totals[(p.group, p.kind)] = totals.get((p.group, p.kind), 0) + len(p.items)
    budget = limit - sum(len(_note(kind, n, n)) for (_, kind), n in totals.items())
    kept = _allocate(parts, budget)
    out: list[str] = []
    noted: set[tuple[int, str]] = set()
    for i, p in enumerate(parts):
        if not p.items:
            out.append(p.head)
            continue
        if kept[i]:
            out.append(p.head + "".join(p.items[:kept[i]]))
        key = (p.group, p.kind)
        if kept[i] < len(p.items) and key not in noted:
            noted.add(key)
            left = sum(len(q.items) - kept[j] for j, q in enumerate(parts) if (q.group, q.kind) == key)
            out.append(_note(p.kind, left, totals[key]))
    return "".join(out)


def _allocate(parts: list[Part], budget: int) -> list[int]:
    """How many items of each part fit, filled kind by kind in KINDS' order, stopping at the first that does not
    (one cut, nothing kept after it)."""
    kept = [0] * len(parts)
    used = sum(len(p.head) for p in parts if not p.items)
    for i in sorted(range(len(parts)), key=lambda i: (KINDS.index(parts[i].kind), i)):
        p = parts[i]
        for item in p.items:
            cost = len(item) + (len(p.head) if kept[i] == 0 else 0)
            if used + cost > budget:
                return kept
            used += cost
            kept[i] += 1
    return kept


def _note(kind: str, left: int, total: int) -> str:
    what = {
        "error": f"{left} more error(s) are not shown",
        "warning": f"{left} more warning(s) are not shown",
        "change": f"{left} of {total} changes are not shown in the table",
        "consumer": f"{left} of {total} consumer group rows are not shown",
        "detail": f"the details of {left} of {total} changes are not shown",
    }[kind]
    return (f"{NOTE_PREFIX}{what}, to stay under GitHub's comment size limit. Run `kplan show` on the saved plan, "
            "or read the CI log, for the full plan.\n")
