"""The group configs' part of the ownership record: per group, the keys kplan set (`record_after`, the
RecordOwnership step's record; `record_of`, its before-image)."""

from __future__ import annotations

from kplan.kinds.owned_keys import keys_owned, keys_owned_after
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
    declared = [] if destroy or state.problem is not None else stack.of("group_configs")
    return keys_owned_after(state.resources, ((s.name, s.configs) for s in declared),
                            ((c.group, c.key) for c in group_config_changes(plan) if c.after is None))


def record_of(live: LiveState) -> dict[str, Entry]:
    return keys_owned(live.of(ResourceType.GROUP_CONFIG).resources)
