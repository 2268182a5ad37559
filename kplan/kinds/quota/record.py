"""The client quotas' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The client-quota keys kplan owns once the plan is applied, per entity: those it set before that still
    exist, plus every key the stack declares (set now, or adopted as it is), minus those the plan removes."""
    from kplan.kinds.quota.steps import quota_changes

    owned = {n: {k for k in q.owned if k in q.values} for n, q in live.of(ResourceType.QUOTA).resources.items()}
    if not destroy:
        for spec in stack.of("quotas"):
            owned.setdefault(spec.name, set()).update(spec.values)
    for c in quota_changes(plan, stack, live):
        if c.after is None:
            owned.get(c.entity.name, set()).discard(c.key)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's quota part as the live state shows it: entity -> the quota keys kplan set."""
    quotas = live.of(ResourceType.QUOTA).resources
    return {n: tuple(sorted(q.owned)) for n, q in sorted(quotas.items()) if q.owned}
