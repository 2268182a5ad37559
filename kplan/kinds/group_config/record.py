"""The group configs' part of the ownership record: per group, the keys kplan set (`record_after`, the
RecordOwnership step's record; `record_of`, its before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The dynamic keys kplan owns once the plan is applied, per group: those it set before that still exist, plus
    every key the stack declares (set now, or adopted as it is), minus those the plan deletes."""
    from kplan.kinds.group_config.steps import group_config_changes

    state = live.of(ResourceType.GROUP_CONFIG)
    owned = {n: {k for k in c.owned if k in c.values} for n, c in state.resources.items()}
    if not destroy and state.problem is None:
        for spec in stack.of("group_configs"):
            owned.setdefault(spec.name, set()).update(spec.configs)
    for c in group_config_changes(plan):
        if c.after is None:
            owned.get(c.group, set()).discard(c.key)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    configs = live.of(ResourceType.GROUP_CONFIG).resources
    return {n: tuple(sorted(c.owned)) for n, c in sorted(configs.items()) if c.owned}
