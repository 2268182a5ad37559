"""The client-quota step: set and remove quota keys of entities (one AlterClientQuotas batch) — and the pure
builder that makes it from a plan. Reversible: the step holds each key's value before (None: it was not set), so
undo sets those values back and removes the keys that were absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

from kplan.kinds.owned_keys import values_by_entity
from kplan.kinds.planned import planned_of
from kplan.kinds.quota.kind import QuotaPlanned
from kplan.kinds.quota.model import QuotaEntity
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class QuotaChange:
    """One key of one entity: its value before the run and after it (None: not set)."""

    user: str | None
    client_id: str | None
    key: str
    before: float | None
    after: float | None

    @property
    def entity(self) -> QuotaEntity:
        return QuotaEntity(self.user, self.client_id)


def by_entity(changes: Iterable[QuotaChange], *, undo: bool = False
              ) -> list[tuple[QuotaEntity, dict[str, float | None]]]:
    """The writer's form: per entity, key -> value to set (None: remove); `undo` gives the before-values."""
    out = values_by_entity(((c.entity, c.key, c.before, c.after) for c in changes), undo=undo)
    return sorted(out.items(), key=lambda kv: kv[0].name)


@dataclass(frozen=True)
class AlterQuotas(StepBase):
    """Set and remove client quota keys in one request. Undo: every key back to its value before (removed when
    it had none)."""

    kind: ClassVar[str] = "alter-quotas"
    phase: ClassVar[Phase] = Phase.ALTER_QUOTAS
    before_says: ClassVar[Mapping[str, Any]] = {"in_changes": True}  # each change holds its key's value before

    changes: tuple[QuotaChange, ...]

    def describe(self) -> str:
        names = sorted({c.entity.name for c in self.changes})
        return f"alter {len(self.changes)} client quota value(s) of {name_list(names)}"


def quota_changes(plan: Plan, stack: Stack, live: LiveState) -> list[QuotaChange]:
    """The keys the plan sets or removes, with their exact values before (each change's `QuotaPlanned`)."""
    out: list[QuotaChange] = []
    for change in plan.changes:
        if change.type != ResourceType.QUOTA or not change.is_change:
            continue
        p = planned_of(change, QuotaPlanned)
        out += [QuotaChange(p.user, p.client_id, key, before, after) for key, before, after in p.values]
    return out


def build_quota_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    changes = quota_changes(plan, stack, live)
    return [Planned(AlterQuotas(tuple(changes)))] if changes else []
