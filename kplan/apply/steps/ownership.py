"""The ownership record step: after every change, record what the stack owns (and which of it is protected,
and which connector keys hold secrets) — and the pure functions that compute the record before and after."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from kplan.kinds import UNITS
from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack, connect_of
from kplan.model.live import LiveState
from kplan.model.metadata import Meta
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, Plan, ResourceType, address_of
from kplan.secrets import secret_keys


@dataclass(frozen=True)
class RecordOwnership(StepBase):
    """Write the stack's ownership record. Undo: write the previous record back (still marked with the run
    while the rollback runs)."""

    kind: ClassVar[str] = "record-ownership"
    phase: ClassVar[Phase] = Phase.RECORD_OWNERSHIP

    record: Ownership
    previous: Ownership = Ownership()  # the record before

    def describe(self) -> str:
        return "record what the stack owns"

    def args_json(self) -> dict[str, Any]:
        return self.record.to_json()

    def before_json(self) -> dict[str, Any]:
        return {"ownership": self.previous.to_json()}

    @classmethod
    def from_parts(cls, args, before) -> "RecordOwnership":
        return cls(Ownership.from_json(args), Ownership.from_json(before.get("ownership")))


def build_ownership_steps(plan: Plan, stack: Stack, live: LiveState, *, changes: bool) -> list[Planned]:
    """The record step, when there are other steps (`changes`) or the record changes (e.g. adopting resources
    that already exist as declared). The record is kplan's own state, not a resource the plan changes: it is
    computed from the stack (what is declared and protected, secret key names, rotation and request tokens, schema
    digests), the live record, and the plan's actions and payloads (each kind's `record.py` says what its part
    keeps)."""
    after, before = ownership_after(plan, stack, live, plan.destroy), ownership_of(live)
    if changes or after != before:
        return [Planned(RecordOwnership(after, before))]
    return []


def ownership_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> Ownership:
    """The ownership record once the plan is applied: everything the stack declares (created now, or adopted
    because it already existed as declared), minus what the plan deletes; and which of those are protected
    (declared so now, or recorded so and no longer declared)."""
    deleted = {(c.type, c.name) for c in plan.changes if c.action == Action.DELETE}
    declared_t = {t.name: t for t in stack.topics}
    declared_c = {c.name: c for c in stack.connectors}
    # What the record says the stack owns but no longer exists is dropped: if someone creates a topic of that name
    # later, it is theirs, not this stack's.
    owned_t = {n for n in live.owned_topics if n in live.topics}
    # ... but a connector on a Connect cluster that was not read (--allow-unreadable) is unknown, not gone: kept
    owned_c = {n for n in live.owned_connectors if n in live.connectors or connect_of(n) in live.connect_problems}
    deleted_t = {n for k, n in deleted if k == ResourceType.TOPIC}
    deleted_c = {n for k, n in deleted if k == ResourceType.CONNECTOR}
    if destroy:
        topics = owned_t - deleted_t
        conns = owned_c - deleted_c
    else:
        topics = (owned_t | set(declared_t)) - deleted_t
        conns = (owned_c | set(declared_c)) - deleted_c

    def protected(names, declared, recorded):
        return frozenset(n for n in names if (declared[n].protect if n in declared else n in recorded))

    def secrets(name):
        if name in declared_c:
            spec = declared_c[name]
            return tuple(sorted(secret_keys(spec.config, declared=spec.sensitive_keys)))
        current = live.connectors.get(name)
        return tuple(sorted(current.sensitive_keys)) if current is not None else ()

    after = Ownership(frozenset(topics), frozenset(conns), protected(topics, declared_t, live.protected_topics),
                      protected(conns, declared_c, live.protected_connectors),
                      {n: keys for n in sorted(conns) if (keys := secrets(n))},
                      kinds={u.kind.section: part for u in UNITS if u.record_after is not None
                             and (part := u.record_after(plan, stack, live, destroy, frozenset(conns)))})
    return replace(after, metadata=metadata_after(plan, live, after))


def metadata_after(plan: Plan, live: LiveState, after: Ownership) -> dict[str, Meta]:
    """The owners, descriptions and labels the record keeps once the plan is applied (kplan.model.metadata): each
    change's (declared, or recorded for what is no longer declared), and the record's for owned resources the plan
    does not touch; only for what the stack owns then (a deleted resource's go with it)."""
    owned = owned_addresses(after)
    out = {a: m for a, m in live.metadata.items() if a in owned}
    for c in plan.changes:
        if c.action == Action.DELETE or c.address not in owned or (plan.destroy and c.address not in out):
            out.pop(c.address, None)
        elif not plan.destroy:
            if c.meta.empty:
                out.pop(c.address, None)
            else:
                out[c.address] = c.meta
    return dict(sorted(out.items()))


def owned_addresses(record: Ownership) -> frozenset[str]:
    """Every address the record owns: its topics, connectors and each kind's part."""
    types = {u.kind.section: u.kind.type for u in UNITS}
    return frozenset([*(address_of(ResourceType.TOPIC, n) for n in record.topics),
                      *(address_of(ResourceType.CONNECTOR, n) for n in record.connectors),
                      *(address_of(types[w], n) for w, part in record.kinds.items() if w in types for n in part)])


def ownership_of(live: LiveState) -> Ownership:
    """The ownership record as the live state shows it (the before-image of RecordOwnership)."""
    return Ownership(live.owned_topics, live.owned_connectors, live.protected_topics, live.protected_connectors,
                     {n: tuple(sorted(c.sensitive_keys)) for n, c in sorted(live.connectors.items())
                      if n in live.owned_connectors and c.sensitive_keys},
                     kinds={u.kind.section: part for u in UNITS
                            if u.record_of is not None and (part := u.record_of(live))},
                     metadata=dict(sorted(live.metadata.items())))
