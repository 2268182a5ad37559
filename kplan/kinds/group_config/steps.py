"""The group-config step: set and delete groups' dynamic configs, one IncrementalAlterConfigs request per group —
and the pure builder that makes it from a plan. Reversible exactly: the step holds each key's dynamic value before
(None: it was absent), so undo sets those values back and deletes the keys that were absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from kplan.kinds.group_config.kind import GroupConfigPlanned
from kplan.kinds.owned_keys import values_by_entity
from kplan.kinds.planned import planned_of
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class GroupConfigChange:
    """One key of one group: its dynamic value before the run and after it (None: absent)."""

    group: str
    key: str
    before: str | None
    after: str | None


def by_group(changes: Iterable[GroupConfigChange], *, undo: bool = False) -> list[tuple[str, dict[str, str | None]]]:
    """The writer's form: per group, key -> value to set (None: delete); `undo` gives the before-values."""
    return sorted(values_by_entity(((c.group, c.key, c.before, c.after) for c in changes), undo=undo).items())


@dataclass(frozen=True)
class AlterGroupConfigs(StepBase):
    """Set and delete groups' dynamic configs. Undo: every key back to its dynamic value before (deleted when it
    had none)."""

    kind: ClassVar[str] = "alter-group-configs"
    phase: ClassVar[Phase] = Phase.ALTER_GROUP_CONFIGS
    # each change holds its key's dynamic value before (null: absent)
    before_says: ClassVar[Mapping[str, Any]] = {"in_changes": True}

    changes: tuple[GroupConfigChange, ...]

    def describe(self) -> str:
        names = [f"group {g}" for g in sorted({c.group for c in self.changes})]
        return f"alter {len(self.changes)} dynamic config value(s) of {name_list(names)}"


def group_config_changes(plan: Plan) -> list[GroupConfigChange]:
    """The keys the plan sets or deletes, with their exact dynamic values before (each change's planned payload)."""
    out: list[GroupConfigChange] = []
    for change in plan.changes:
        if change.type != ResourceType.GROUP_CONFIG or not change.is_change:
            continue
        p = planned_of(change, GroupConfigPlanned)
        out += [GroupConfigChange(p.group, key, before, after) for key, before, after in p.values]
    return out


def build_group_config_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    changes = group_config_changes(plan)
    return [Planned(AlterGroupConfigs(tuple(changes)))] if changes else []
