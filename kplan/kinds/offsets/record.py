"""The connectors' offsets requests' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The offsets request token per connector once the plan is applied: the recorded ones of connectors still
    owned, and the declared token of every request the plan applies."""
    from kplan.kinds.offsets.kind import CONNECTORS, requests
    from kplan.kinds.offsets.steps import pending_requests

    connectors = parts.owned(CONNECTORS)  # the connectors owned once the plan is applied
    tokens = {n: t for n, t in live.of(ResourceType.OFFSETS).records.items() if n in connectors}
    declared = {r.name: r for r in requests(stack)}
    for name in pending_requests(plan):
        request = declared.get(name)
        if request is not None and name in connectors:
            tokens[name] = request.spec.request
    return dict(sorted(tokens.items()))


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's offsets part as the live state shows it: connector -> the request token last applied."""
    return dict(sorted(live.of(ResourceType.OFFSETS).records.items()))
