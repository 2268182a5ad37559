"""The client quotas' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.kinds.owned_keys import keys_owned, keys_owned_after
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The client-quota keys kplan owns once the plan is applied, per entity: those it set before that still
    exist, plus every key the stack declares (set now, or adopted as it is), minus those the plan removes."""
    from kplan.kinds.quota.steps import quota_changes

    declared = [] if destroy else stack.of("quotas")
    return keys_owned_after(live.of(ResourceType.QUOTA).resources, ((s.name, s.values) for s in declared),
                            ((c.entity.name, c.key) for c in quota_changes(plan, stack, live) if c.after is None))


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's quota part as the live state shows it: entity -> the quota keys kplan set."""
    return keys_owned(live.of(ResourceType.QUOTA).resources)
