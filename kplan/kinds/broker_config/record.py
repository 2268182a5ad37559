"""The broker configs' part of the ownership record: per entity, the keys kplan set (`record_after`, the
RecordOwnership step's record; `record_of`, its before-image)."""

from __future__ import annotations

from kplan.kinds.owned_keys import keys_owned, keys_owned_after
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The dynamic keys kplan owns once the plan is applied, per entity: those it set before that still exist, plus
    every key the stack declares (set now, or adopted as it is), minus those the plan deletes."""
    from kplan.kinds.broker_config.steps import broker_config_changes

    declared = [] if destroy else stack.of("broker_configs")
    return keys_owned_after(live.of(ResourceType.BROKER_CONFIG).resources, ((s.name, s.configs) for s in declared),
                            ((c.broker, c.key) for c in broker_config_changes(plan, stack, live) if c.after is None))


def record_of(live: LiveState) -> dict[str, Entry]:
    return keys_owned(live.of(ResourceType.BROKER_CONFIG).resources)
