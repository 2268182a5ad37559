"""The client-quota kind: one resource per entity (`quota.user=orders-service`, `quota.client-id=web`,
`quota.user=orders-service,client-id=web`, `quota.user=<default>`), whose attributes are its quota keys.

A plan shows each key that is set, changed or removed as one line, e.g. `~ producer_byte_rate = 1048576 ->
2097152`. The rules (the ACL kind's, per key):

* a declared key is set; a declared entity whose keys already exist is adopted: kplan owns the keys it declares
  (the ownership record keeps them per entity) and `undo` restores the values they had;
* a live key of a declared entity that the stack does not declare is removed when kplan set it, otherwise it is
  drift, shown and left alone;
* an entity no longer declared, and destroy: only the keys kplan set are removed;
* an entity with quotas that the stack neither declares nor owns is never touched; a plan names it (info).

Values are doubles in Kafka; plans show whole numbers as integers (byte rates are bytes per second). No secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import PlanContext, Scrub
from kplan.kinds.codec import JsonKey
from kplan.kinds.owned_keys import (
    KeyNotes,
    KeysKind,
    KeyStatus,
    delete_owned_keys,
    key_values,
    plan_owned_keys,
)
from kplan.kinds.quota.live import LiveQuota
from kplan.kinds.quota.model import QuotaEntity, QuotaSpec
from kplan.model.diagnostics import Severity
from kplan.model.live import Problem
from kplan.model.plan import Flag, NoteKind, PlanDiagnostic, PlannedPayload, Reason, ResourceChange, ResourceType

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

QUOTA = ResourceType.QUOTA
NOTES = KeyNotes(NoteKind.QUOTA_NO_LONGER_DECLARED, NoteKind.QUOTA_LEFT_ALONE)

# Why quotas could not be read (LiveState.of(ResourceType.QUOTA).problem), as the plan says it.
PROBLEMS = {
    Problem.NOT_AUTHORIZED: "kplan's principal may not read client quotas (needs DESCRIBE_CONFIGS on the cluster; "
                            "changing them needs ALTER_CONFIGS on the cluster); grant them, or run kplan as a "
                            "principal that has them",
}


def shown_value(value: float) -> int | str:
    """1048576.0 -> 1048576; 12.5 -> "12.5" (plans hold integers or strings)."""
    return int(value) if float(value).is_integer() else repr(float(value))


def entity_repr(entity: QuotaEntity) -> dict[str, Any]:
    return {k: v for k, v in (("user", entity.user), ("client_id", entity.client_id)) if v is not None}


@dataclass(frozen=True)
class QuotaPlanned(PlannedPayload):
    """What apply does to one entity's quotas: its user and client id, and per key the exact value before and the
    value to set (None: not set / remove), in the plan's order."""

    type: ClassVar[ResourceType] = QUOTA
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"values": key_values(float)}

    user: str | None
    client_id: str | None
    values: tuple[tuple[str, float | None, float | None], ...] = ()  # (key, before, after)


def quota_repr(entity: QuotaEntity, values: Mapping[str, float]) -> dict[str, Any]:
    """The before/after shape of an entity's quotas."""
    return {"entity": entity_repr(entity), "values": {k: shown_value(v) for k, v in sorted(values.items())}}


def plan_quota(spec: QuotaSpec, live: LiveQuota | None) -> ResourceChange:
    entity = live.entity if live is not None else spec.entity
    return plan_owned_keys(
        QUOTA, spec.name, spec.values, live.values if live is not None else {},
        live.owned if live is not None else frozenset(), notes=NOTES, shown=shown_value,
        shape=lambda values: quota_repr(spec.entity, values), origin=spec.origin, adopt_unset=True,
        planned=lambda values: QuotaPlanned(entity.user, entity.client_id, values))


def delete_quota(live: LiveQuota, reason: Reason, origin: Origin | None = None) -> ResourceChange:
    """Remove the keys kplan set for this entity; any other key stays (shown as drift)."""
    return delete_owned_keys(
        QUOTA, live.name, live.values, live.owned, shown=shown_value, left_alone=NoteKind.QUOTA_LEFT_ALONE,
        shape=lambda values: quota_repr(live.entity, values), reason=reason, origin=origin,
        planned=lambda removals: QuotaPlanned(live.entity.user, live.entity.client_id, removals))


class QuotaKind(KeysKind[QuotaSpec, LiveQuota]):
    type = QUOTA
    field, removed, removes, sep, word = "quotas", "removed", "removes", " ", "quota"
    present, absent, missing = "on the cluster", "not on the cluster", ""
    planned_type = QuotaPlanned
    title = "Client quotas"
    section = "quotas"
    flag_notes = {Flag.DRIFT: "drift: the entity has quotas the stack does not declare and kplan did not set "
                              "(left alone)"}

    def plan(self, spec: QuotaSpec, current: LiveQuota | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        return plan_quota(spec, current), []

    def delete(self, current: LiveQuota, spec: QuotaSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        return delete_quota(current, reason, origin)

    def live_repr(self, current: LiveQuota, spec: QuotaSpec | None = None) -> dict[str, Any]:
        return quota_repr(current.entity, current.values)

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Quotas set outside kplan on entities the stack neither declares nor owns: named, never touched."""
        if live.of(QUOTA).problem is not None:
            return []
        return [PlanDiagnostic(Severity.INFO, f"client quota {name} ({self.values_text(q.values)}) is set on the "
                               "cluster but not declared by this stack; left alone", "quota-not-declared",
                               address=self.address(name))
                for name, q in sorted(self.live(live).items()) if name not in changes and q.values]

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        """Quotas that cannot be read cannot be planned (plans and destroys alike)."""
        return self.unreadable(live, stack.of("quotas"), "client quotas", PROBLEMS)

    def canonical(self, current: LiveQuota, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "quota", "entity": entity_repr(current.entity),
                "values": {k: current.values[k] for k in sorted(current.values)}}

    def status(self, spec: QuotaSpec, current: LiveQuota | None, change: ResourceChange | None,
               scrub: Scrub) -> KeyStatus:
        return self.status_of(spec, current.values if current is not None else None, spec.values, change)

    def shown(self, value: float) -> int | str:
        return shown_value(value)


KIND = QuotaKind()
