"""The broker configs' part of the ownership record: per entity, the keys kplan set (`record_after`, the
RecordOwnership step's record; `record_of`, its before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The dynamic keys kplan owns once the plan is applied, per entity: those it set before that still exist, plus
    every key the stack declares (set now, or adopted as it is), minus those the plan deletes."""
    from kplan.kinds.broker_config.steps import broker_config_changes

    owned = {n: {k for k in c.owned if k in c.values}
             for n, c in live.of(ResourceType.BROKER_CONFIG).resources.items()}
    if not destroy:
        for spec in stack.of("broker_configs"):
            owned.setdefault(spec.name, set()).update(spec.configs)
    for c in broker_config_changes(plan, stack, live):
        if c.after is None:
            owned.get(c.broker, set()).discard(c.key)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    configs = live.of(ResourceType.BROKER_CONFIG).resources
    return {n: tuple(sorted(c.owned)) for n, c in sorted(configs.items()) if c.owned}
