"""The broker-config step: set and delete dynamic broker configs, one IncrementalAlterConfigs request per entity —
and the pure builder that makes it from a plan. Reversible exactly: the step holds each key's dynamic value
before (None: it was absent), so undo sets those values back and deletes the keys that were absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from kplan.kinds.broker_config.kind import BrokerConfigPlanned, entity_word
from kplan.kinds.broker_config.model import entity_sort
from kplan.kinds.owned_keys import values_by_entity
from kplan.kinds.planned import planned_of
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class BrokerConfigChange:
    """One key of one entity: its dynamic value before the run and after it (None: absent)."""

    broker: str
    key: str
    before: str | None
    after: str | None


def by_broker(changes: Iterable[BrokerConfigChange], *, undo: bool = False) -> list[tuple[str, dict[str, str | None]]]:
    """The writer's form: per entity, key -> value to set (None: delete); `undo` gives the before-values."""
    out = values_by_entity(((c.broker, c.key, c.before, c.after) for c in changes), undo=undo)
    return sorted(out.items(), key=lambda kv: entity_sort(kv[0]))


@dataclass(frozen=True)
class AlterBrokerConfigs(StepBase):
    """Set and delete dynamic broker configs. Undo: every key back to its dynamic value before (deleted when it had
    none)."""

    kind: ClassVar[str] = "alter-broker-configs"
    phase: ClassVar[Phase] = Phase.ALTER_BROKER_CONFIGS
    # each change holds its key's dynamic value before (null: absent)
    before_says: ClassVar[Mapping[str, Any]] = {"in_changes": True}

    changes: tuple[BrokerConfigChange, ...]

    def describe(self) -> str:
        names = [entity_word(b) for b in sorted({c.broker for c in self.changes}, key=entity_sort)]
        return f"alter {len(self.changes)} dynamic broker config value(s) of {name_list(names)}"


def broker_config_changes(plan: Plan, stack: Stack, live: LiveState) -> list[BrokerConfigChange]:
    """The keys the plan sets or deletes, with their exact dynamic values before (each change's planned payload)."""
    out: list[BrokerConfigChange] = []
    for change in plan.changes:
        if change.type != ResourceType.BROKER_CONFIG or not change.is_change:
            continue
        p = planned_of(change, BrokerConfigPlanned)
        out += [BrokerConfigChange(p.broker, key, before, after) for key, before, after in p.values]
    return out


def build_broker_config_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    changes = broker_config_changes(plan, stack, live)
    return [Planned(AlterBrokerConfigs(tuple(changes)))] if changes else []
