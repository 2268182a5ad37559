"""What `kplan watch` exports (docs/operations.md): each stack's last plan rendered as counts of its resources by kind
and state, and whether the stack could be read at all. Pure: a stack's outcome (kplan.session.many.Planned) in,
a `StackSample` out; the HTTP exposition is kplan.transport.metrics_server's.

A resource's state in its plan: `in_sync` (nothing to do; a change of kplan's own record only counts as in sync),
`missing` (apply would create it), `drifted` (apply would change or replace it, or the cluster holds values the
stack leaves alone), `extra` (apply would delete it: owned, no longer declared), `unhealthy` (a connector or task
FAILED or UNASSIGNED). A stack whose files, cluster or plan failed is not in sync: every resource it had the round
before is `unknown`, and `up` is 0 with the cause (`stack`: its files; `cluster`: a system it needs could not be
read; `plan`: its plan has errors). No label carries a value of a resource's config: only stack, kind and state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from kplan.model.plan import Action, Flag

STATES = ("in_sync", "missing", "drifted", "extra", "unhealthy", "unknown")
_BY_ACTION = {Action.CREATE: "missing", Action.DELETE: "extra", Action.UPDATE: "drifted", Action.REPLACE: "drifted",
              Action.MOVE: "drifted", Action.RESTART: "unhealthy"}


@dataclass(frozen=True)
class StackSample:
    stack: str  # its name, or its path while it has none (files that do not load)
    up: bool
    cause: str | None = None  # why not up: "stack", "cluster" or "plan"
    resources: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (kind, state) -> how many
    # (address, state) of each resource not in sync: what `kplan watch` reports once when it is new (the audit feed)
    differing: frozenset[tuple[str, str]] = frozenset()


def state_of(change: Any) -> str:
    """One resource's state in its plan."""
    if change.has(Flag.UNHEALTHY):
        return "unhealthy"
    state = _BY_ACTION.get(change.action)
    if state is None and change.has(Flag.DRIFT):
        return "drifted"
    return state or "in_sync"


def sample_of(planned: Any, previous: StackSample | None = None) -> StackSample:
    """The sample of one stack's outcome; `previous` is its sample of the round before (whose resources become
    `unknown` when this round could not plan the stack)."""
    name = planned.name or planned.path
    plan = planned.plan
    if plan is None or plan.has_errors:
        cause = "stack" if planned.name is None else "cluster" if plan is None else "plan"
        unknown: dict[tuple[str, str], int] = {}
        for (kind, _), n in (previous.resources if previous is not None else {}).items():
            unknown[(kind, "unknown")] = unknown.get((kind, "unknown"), 0) + n
        return StackSample(name, False, cause, unknown)
    counts = {(kind, state): 0 for kind in {c.type.value for c in plan.changes} for state in STATES[:-1]}
    differing = set()
    for change in plan.changes:
        state = state_of(change)
        counts[(change.type.value, state)] = counts.get((change.type.value, state), 0) + 1
        if state != "in_sync":
            differing.add((change.address, state))
    return StackSample(name, True, None, counts, frozenset(differing))
