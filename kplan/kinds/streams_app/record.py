"""The streams applications' part of the ownership record (`Ownership.of`): application -> the keys of what kplan
created for it (its bindings, `principal|binding key`; its managed internal topics, `topic|<name>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.streams_app.live import LiveStreamsApp


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """What kplan owns once the plan is applied: what it created before that still exists, plus what the plan
    creates, minus what it deletes."""
    from kplan.kinds.streams_app.live import held_key, topic_key
    from kplan.kinds.streams_app.steps import app_payloads

    apps = live.of(ResourceType.STREAMS_APP).resources
    owned = {n: {k for k in a.owned if k in _present(a)} for n, a in apps.items()}
    for name, p in app_payloads(plan):
        keys = owned.setdefault(name, set())
        keys |= {held_key(h) for h in p.create} | {topic_key(t.name) for t in p.create_topics}
        keys -= {held_key(h) for h in p.delete} | {topic_key(t) for t in p.delete_topics}
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def _present(app: "LiveStreamsApp") -> set[str]:
    from kplan.kinds.streams_app.live import held_key, topic_key

    return {held_key(h) for h in app.bindings} | {topic_key(t) for t in app.internal_topics}


def record_of(live: LiveState) -> dict[str, Entry]:
    apps = live.of(ResourceType.STREAMS_APP).resources
    return {n: tuple(sorted(a.owned)) for n, a in sorted(apps.items()) if a.owned}
