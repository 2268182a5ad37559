"""The topics' part of the ownership record: names only (`NamesPart`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record) and what the live state says it was (`record_of`)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import NamesPart, Ownership
from kplan.model.plan import Action, Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership) -> NamesPart:
    """Every topic the stack declares (created now, or adopted because it already existed as declared), minus what
    the plan deletes; and which of those are protected (declared so now, or recorded so and no longer declared).
    What the record says the stack owns but no longer exists is dropped: if someone creates a topic of that name
    later, it is theirs, not this stack's."""
    state = live.of(ResourceType.TOPIC)
    declared = {t.name: t for t in stack.of("topics")}
    kept = {n for n in state.owned if n in state.resources}
    deleted = {c.name for c in plan.changes if c.type == ResourceType.TOPIC and c.action == Action.DELETE}
    names = (kept if destroy else kept | set(declared)) - deleted
    return NamesPart(frozenset(names), frozenset(
        n for n in names if (declared[n].protect if n in declared else n in state.protected)))


def record_of(live: LiveState) -> NamesPart:
    state = live.of(ResourceType.TOPIC)
    return NamesPart(state.owned, state.protected)
