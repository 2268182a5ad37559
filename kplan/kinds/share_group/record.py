"""The share groups' part of the ownership record (`Ownership.of("share_groups")`): group -> the token of the
request kplan last applied. What it is once a plan is applied (`record_after`, the RecordOwnership step's record),
and what the live state says it was (`record_of`, that step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """Every declared group's token once the plan is applied: a pending request is applied by this run (or needs
    nothing: it has no start offset to set), an applied one stays recorded. A group no longer declared is
    forgotten; destroy forgets them all (a request is never undone). On a cluster without share groups nothing is
    recorded (the plan refused the requests)."""
    if destroy or live.of(ResourceType.SHARE_GROUP).problem is not None:
        return {}
    return {g.name: g.request for g in sorted(stack.of("share_groups"), key=lambda g: g.name)}


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's share-group part as the live state shows it: group -> the request token last applied."""
    return dict(sorted(live.of(ResourceType.SHARE_GROUP).records.items()))
