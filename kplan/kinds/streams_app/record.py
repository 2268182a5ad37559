"""The streams applications' part of the ownership record (`Ownership.of`): application -> the keys of what kplan
created for it (its bindings, `principal|binding key`; its managed internal topics, `topic|<name>`)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """What kplan owns once the plan is applied: what it created before that still exists, plus what the plan
    creates, minus what it deletes."""
    from kplan.kinds.streams_app.live import held_key, topic_key
    from kplan.kinds.streams_app.steps import app_payloads

    apps = live.of(ResourceType.STREAMS_APP).resources
    # what it created that is still there
    present = {n: {held_key(h) for h in a.bindings} | {topic_key(t) for t in a.internal_topics}
               for n, a in apps.items()}
    owned = {n: {k for k in a.owned if k in present[n]} for n, a in apps.items()}
    for name, p in app_payloads(plan):
        keys = owned.setdefault(name, set())
        keys |= {held_key(h) for h in p.create} | {topic_key(t.name) for t in p.create_topics}
        keys -= {held_key(h) for h in p.delete} | {topic_key(t) for t in p.delete_topics}
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    apps = live.of(ResourceType.STREAMS_APP).resources
    return {n: tuple(sorted(a.owned)) for n, a in sorted(apps.items()) if a.owned}
