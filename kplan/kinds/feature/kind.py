"""The feature kind: one resource per finalized feature version (`feature.share.version`), its attribute its level.

* A declared level (or `latest`: the highest level every broker supports) is compared with the finalized one; a level
  outside what every broker supports is refused at plan.
* A higher level is an upgrade; its undo is a safe downgrade back, except for the features Kafka never downgrades
  (metadata.version, kraft.version): the plan says such an upgrade is not undoable.
* A lower level is refused at plan unless the entry declares the downgrade (`downgrade: safe` or `unsafe`: Kafka's
  upgrade types 2 and 3); its undo is an upgrade back (what an unsafe downgrade lost stays lost: the plan says so).
* A feature no longer declared (and destroy) is left at its level: the record drops it (Action.FORGET).

Planned first of every step (Phase.UPDATE_FEATURES): the kinds that need a feature plan against the declared level
(a share group reads the declared share.version), so one apply can enable share.version and then move share groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kplan.kinds.base import Kind, PlanContext, rights_problems
from kplan.kinds.feature.live import LiveFeature
from kplan.kinds.feature.model import LATEST, SAFE, UNSAFE, UPGRADE, FeatureSpec
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    error,
    warning,
)
from kplan.model.status import Difference, ResourceStatus

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.ownership import Entry, Ownership
    from kplan.model.source import Origin

FEATURE = ResourceType.FEATURE
LEVEL = ("level",)
# Kafka refuses every downgrade of these (4.3: "Unsupported metadata.version downgrade ... might delete metadata")
NEVER_DOWNGRADED = frozenset({"metadata.version", "kraft.version"})


@dataclass(frozen=True)
class FeatureStatus(ResourceStatus):
    """A feature's status: its finalized level, and the one declared."""

    level: int | None = None
    declared_level: int | str | None = None


@dataclass(frozen=True)
class FeaturePlanned(PlannedPayload):
    """What apply does to one feature: the level it finalizes, the level it had, and Kafka's upgrade type."""

    type: ClassVar[ResourceType] = FEATURE

    level: int = 0
    before: int = 0
    upgrade_type: str = UPGRADE


def undo_type(p: FeaturePlanned, name: str) -> str | None:
    """How a rollback sets the level back: an upgrade, a safe downgrade, or None (Kafka never downgrades it)."""
    if p.before > p.level:
        return UPGRADE
    return None if name in NEVER_DOWNGRADED else SAFE


def target(spec: FeatureSpec, live: LiveFeature) -> int:
    return live.max if spec.level == LATEST else int(spec.level)


class FeatureKind(Kind[FeatureSpec, LiveFeature, FeatureStatus]):
    type = FEATURE
    planned_type = FeaturePlanned
    title = "Feature versions"
    section = "features"
    unread = ("feature versions", rights_problems("feature versions"))
    refuses_unread = True
    status_type = FeatureStatus

    def plan(self, spec: FeatureSpec, live: LiveFeature | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        address = f"{FEATURE.value}.{spec.name}"
        at = {"address": address, "path": LEVEL, "origin": spec.origin}
        if live is None:
            return self._none(spec, address), [error(
                f"no broker of the cluster knows feature {spec.name!r}: check its name (kafka-features.sh describe "
                "lists the cluster's features)", "feature-unknown", **at)]
        level = target(spec, live)
        before = {"name": spec.name, "level": live.level}
        if not live.min <= level <= live.max:
            supported = f"{live.min} to {live.max}" if live.min <= live.max else "no level in common"
            return self._none(spec, address, before), [error(
                f"feature {spec.name} level {level} is not supported by every broker (they support {supported}): "
                "declare a level in that range, or upgrade the brokers first", "feature-unsupported", **at)]
        if level == live.level:
            return ResourceChange(address, FEATURE, spec.name, Action.NOOP, before=before, after=before,
                                  unchanged_attributes=1, reason=Reason.MATCHES, origin=spec.origin), []
        if level < live.level and spec.downgrade is None:
            return self._none(spec, address, before), [error(
                f"feature {spec.name} would be downgraded from {live.level} to {level}: refused; declare "
                "`downgrade: safe` on the entry to allow it (or `unsafe`, which may lose what the higher level wrote)",
                "feature-downgrade", **at)]
        planned = FeaturePlanned(level, live.level, UPGRADE if level > live.level else str(spec.downgrade))
        diags = []
        if undo_type(planned, spec.name) is None:
            diags.append(warning(f"feature {spec.name} {live.level} -> {level} is not undoable: Kafka never "
                                 f"downgrades {spec.name}, so a rollback leaves it at {level}", "feature-one-way",
                                 **at))
        elif planned.upgrade_type == UNSAFE:
            diags.append(warning(f"feature {spec.name} {live.level} -> {level} is an unsafe downgrade: what the "
                                 "higher level wrote may be lost; a rollback upgrades it again but cannot bring that "
                                 "back", "feature-unsafe-downgrade", **at))
        attr = AttributeChange(LEVEL, AttrKind.UPDATE, live.level, level)
        return ResourceChange(address, FEATURE, spec.name, Action.UPDATE, before=before,
                              after={"name": spec.name, "level": level}, attributes=(attr,),
                              reason=Reason.DIFFERS, origin=spec.origin, planned=planned), diags

    def _none(self, spec: FeatureSpec, address: str, before: dict[str, Any] | None = None) -> ResourceChange:
        """No change (what a refused feature plans: its error says why)."""
        return ResourceChange(address, FEATURE, spec.name, Action.NOOP, before=before, after=before,
                              reason=Reason.MATCHES, origin=spec.origin)

    def delete(self, current: LiveFeature, spec: FeatureSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        """No longer declared (or destroy): kplan's record drops it, the cluster keeps the level (a feature is the
        cluster's: turning it off is a declared downgrade)."""
        before = self.live_repr(current)
        return ResourceChange(self.address(current.name), FEATURE, current.name, Action.FORGET, before=before,
                              after=before, reason=reason, origin=origin)

    def live_repr(self, current: LiveFeature, spec: FeatureSpec | None = None) -> dict[str, Any]:
        return {"name": current.name, "level": current.level}

    def canonical(self, current: LiveFeature, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "feature", "name": current.name, "level": current.level}

    def record_after(self, plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """The features the stack owns once the plan is applied (one token each: the record's entries are written
        only when a stack owns some, so a stack without features keeps the record it had)."""
        state = live.of(FEATURE)
        kept = dict.fromkeys((n for n in state.owned if n in state.resources), "")
        return self.entries_after(plan, kept, dict.fromkeys((f.name for f in stack.of(self.section)), ""), destroy)

    def record_of(self, live: LiveState) -> dict[str, Entry]:
        return dict.fromkeys(sorted(live.of(FEATURE).owned), "")

    def status_detail(self, r: FeatureStatus) -> str:
        return f"level {r.level}" if r.exists else f"declared level {r.declared_level}"

    def difference_text(self, r: FeatureStatus, d: Difference) -> str:
        return f"~ level: {d.live} on the cluster, {d.declared} declared"

    status_keys, declared_keys = {"level": "level"}, ("level",)

    def difference_fields(self, d: Difference) -> dict[str, Any]:
        return {"path": list(d.path), "live": d.live, "declared": d.declared}


KIND = FeatureKind()
