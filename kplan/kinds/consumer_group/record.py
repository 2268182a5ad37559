"""The consumer groups' part of the ownership record (`Ownership.of("consumer_groups")`): group -> the token of the
request kplan last applied. What it is once a plan is applied (`record_after`, the RecordOwnership step's record),
and what the live state says it was (`record_of`, that step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """Every declared group's token once the plan is applied: a pending request is applied by this run (or needs
    nothing: the group is at the positions already, or a group to delete is gone), an applied one stays recorded.
    A group no longer declared is forgotten; destroy forgets them all (a request is never undone)."""
    if destroy:
        return {}
    return {g.name: g.request for g in sorted(stack.of("consumer_groups"), key=lambda g: g.name)}


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's consumer-group part as the live state shows it: group -> the request token last applied."""
    from kplan.model.plan import ResourceType

    return dict(sorted(live.of(ResourceType.CONSUMER_GROUP).records.items()))
