"""What `kplan watch` exports (docs/operations.md): each stack's last plan rendered as counts of its resources by kind
and state, and whether the stack could be read at all. Pure: a stack's outcome (kplan.session.many.Planned) in,
a `StackSample` out; the HTTP exposition is kplan.transport.metrics_server's.

A resource's state is its standing in the plan (kplan.model.plan.standing, the one notion of drift `plan` and
`status` share): `in_sync`, `left_alone` (the cluster holds values the stack leaves alone, and nothing else differs:
shown, never drift), `missing`, `drifted`, `extra`, `unhealthy`. A stack whose files, cluster or plan failed is not
in sync: every resource it had the round before is `unknown`, and `up` is 0 with the cause (`stack`: its files;
`cluster`: a system it needs could not be read; `plan`: its plan has errors). An error that is drift apply cannot
undo (partitions added by hand: SHOWN_AS_DRIFT) is no such failure: that resource is `drifted`, with the plan's
reason, and the rest of the stack is counted as usual. Every state of a kind is counted, zeros included. No label
carries a value of a resource's config: only stack, kind and state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.model.plan import Standing, standing

STATES = (*(s.value for s in Standing), "unknown")


@dataclass(frozen=True)
class StackSample:
    stack: str  # its name, or its path while it has none (files that do not load)
    up: bool
    cause: str | None = None  # why not up: "stack", "cluster" or "plan"
    resources: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) -> how many
    # (address, state) of each resource not in sync: what `kplan watch` reports once when it is new (the audit feed)
    differing: frozenset[tuple[str, str]] = frozenset()
    # address -> the plan's reason, for a resource drifted in a way apply cannot undo (partitions added by hand)
    reasons: Mapping[str, str] = field(default_factory=dict)


def sample_of(planned: Any, previous: StackSample | None = None) -> StackSample:
    """The sample of one stack's outcome; `previous` is its sample of the round before (whose resources become
    `unknown` when this round could not plan the stack)."""
    name = planned.name or planned.path
    plan = planned.plan
    if plan is None or not plan.standing_known:
        had = previous.resources if previous is not None else {}
        unknown = {(kind, state): 0 for kind, _ in had for state in STATES}
        for (kind, _), n in had.items():
            unknown[(kind, "unknown")] += n
        return StackSample(name, False, planned.cause if plan is None else "plan", unknown)
    counts = {(kind, state): 0 for kind in {c.type.value for c in plan.changes} for state in STATES}
    differing = set()
    for change in plan.changes:
        state = standing(change)
        counts[(change.type.value, state.value)] += 1
        if state.differs:
            differing.add((change.address, state.value))
    reasons: dict[str, list[str]] = {}
    for d in plan.errors:  # each one drift apply cannot undo (standing_known)
        reasons.setdefault(d.address or "", []).append(d.message)
    return StackSample(name, True, None, counts, frozenset(differing), {a: "; ".join(m) for a, m in reasons.items()})
