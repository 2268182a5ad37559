"""The ownership record step: after every change, record what the stack owns (and which of it is protected,
and which connector keys hold secrets) — and the pure functions that compute the record before and after."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Mapping

from kplan.kinds import UNITS
from kplan.kinds.codec import FLAT, JsonKey
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.metadata import Meta
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, Plan, address_of


@dataclass(frozen=True)
class RecordOwnership(StepBase):
    """Write the stack's ownership record. Undo: write the previous record back (still marked with the run
    while the rollback runs)."""

    kind: ClassVar[str] = "record-ownership"
    phase: ClassVar[Phase] = Phase.RECORD_OWNERSHIP
    before_keys: ClassVar[Mapping[str, str]] = {"previous": "ownership"}
    json_keys: ClassVar[Mapping[str, JsonKey]] = {"record": FLAT}  # its args are the record

    record: Ownership
    previous: Ownership = Ownership()  # the record before

    def describe(self) -> str:
        return "record what the stack owns"


def build_ownership_steps(plan: Plan, stack: Stack, live: LiveState, *, changes: bool) -> list[Planned]:
    """The record step, when there are other steps (`changes`) or the record changes (e.g. adopting resources
    that already exist as declared). The record is kplan's own state, not a resource the plan changes: it is
    computed from the stack (what is declared and protected, secret key names, rotation and request tokens, schema
    digests), the live record, and the plan's actions and payloads (each kind's `record_after` says what its
    part keeps)."""
    after, before = ownership_after(plan, stack, live, plan.destroy), ownership_of(live)
    if changes or after != before:
        return [Planned(RecordOwnership(after, before))]
    return []


def ownership_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> Ownership:
    """The ownership record once the plan is applied: each kind's part (its `record_after`), in the kinds' order (a
    kind's part may depend on those before it: an offsets request is kept while its connector is owned)."""
    forgotten = [c for c in plan.changes if c.action == Action.FORGET]  # `forget:`: left on the cluster
    after = Ownership()
    for u in UNITS:  # a part is computed without what the kinds before it forget (a connector's offsets go too)
        after = after.with_part(u.kind.section, u.kind.record_after(plan, stack, live, destroy, after))
        for c in forgotten:
            if c.type == u.kind.type:
                after = after.without(u.kind.section, c.name)
    return replace(after, metadata=metadata_after(plan, live, after))


def metadata_after(plan: Plan, live: LiveState, after: Ownership) -> dict[str, Meta]:
    """The owners, descriptions and labels the record keeps once the plan is applied (kplan.model.metadata): each
    change's (declared, or recorded for what is no longer declared), and the record's for owned resources the plan
    does not touch; only for what the stack owns then (a deleted resource's go with it)."""
    owned = frozenset(address_of(u.kind.type, n) for u in UNITS for n in after.owned(u.kind.section))
    out = {a: m for a, m in live.metadata.items() if a in owned}
    for c in plan.changes:
        if c.action == Action.DELETE or c.address not in owned or (not plan.destroy and c.meta.empty):
            out.pop(c.address, None)
        elif not plan.destroy:
            out[c.address] = c.meta
    return dict(sorted(out.items()))


def ownership_of(live: LiveState) -> Ownership:
    """The ownership record as the live state shows it (the before-image of RecordOwnership)."""
    before = Ownership(metadata=dict(sorted(live.metadata.items())))
    for u in UNITS:
        before = before.with_part(u.kind.section, u.kind.record_of(live))
    return before
