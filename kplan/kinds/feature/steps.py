"""The feature kind's one step and its pure builder.

  UpdateFeatures (phase 5, before every other step) finalizes the declared levels in one UpdateFeatures request
                 (validate-only first). Undo: each feature set back to the level it had (a safe downgrade back from
                 an upgrade, an upgrade back from a downgrade); metadata.version and kraft.version cannot be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kplan.kinds.feature.kind import FeaturePlanned
from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan


@dataclass(frozen=True, order=True)
class FeatureUpdate:
    """One feature's new level, the level it had, and Kafka's upgrade type (model.UPGRADE, SAFE or UNSAFE)."""

    feature: str
    level: int
    before: int
    upgrade_type: str


@dataclass(frozen=True)
class UpdateFeatures(StepBase):
    """Finalize features' levels. Undo: set each back to the level it had, where Kafka allows it."""

    kind: ClassVar[str] = "update-features"
    phase: ClassVar[Phase] = Phase.UPDATE_FEATURES

    updates: tuple[FeatureUpdate, ...]

    def describe(self) -> str:
        return "finalize feature(s) " + ", ".join(f"{u.feature} {u.before} -> {u.level}" for u in self.updates)


def build_feature_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    updates = tuple(sorted(FeatureUpdate(c.name, p.level, p.before, p.upgrade_type)
                           for c, p in payloads(plan, FeaturePlanned)))
    return [Planned(UpdateFeatures(updates))] if updates else []
