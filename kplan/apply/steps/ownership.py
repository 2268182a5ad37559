"""The ownership record step: after every change, record what the stack owns (and which of it is protected,
and which connector keys hold secrets) — and the pure functions that compute the record before and after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kplan.kinds.step import Phase, Planned, StepBase
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, Plan, ResourceType
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
    digests), the live record, and the plan's actions and payloads (ACL bindings, quota keys)."""
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
    owned_c = {n for n in live.owned_connectors if n in live.connectors}
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

    return Ownership(frozenset(topics), frozenset(conns), protected(topics, declared_t, live.protected_topics),
                     protected(conns, declared_c, live.protected_connectors),
                     {n: keys for n in sorted(conns) if (keys := secrets(n))}, acls=acls_after(plan, stack, live),
                     users=users_after(plan, stack, live, destroy), quotas=quotas_after(plan, stack, live, destroy),
                     offsets=offsets_after(plan, stack, live, conns),
                     subjects=subjects_after(plan, stack, live, destroy))


def acls_after(plan: Plan, stack: Stack, live: LiveState) -> dict[str, tuple[str, ...]]:
    """The ACL bindings kplan owns once the plan is applied: those it created before that still exist, plus those
    the plan creates, minus those it deletes. A declared binding that someone else created is never owned."""
    from kplan.kinds.acl.steps import acl_changes

    create, delete = acl_changes(plan, stack, live)
    acls = live.of(ResourceType.ACL).resources
    owned = {p: {b.key for b in a.bindings if b.key in a.owned} for p, a in acls.items()}
    for c in create:
        owned.setdefault(c.principal, set()).add(c.binding.key)
    for d in delete:
        owned.get(d.principal, set()).discard(d.binding.key)
    return {p: tuple(sorted(keys)) for p, keys in sorted(owned.items()) if keys}


def users_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> dict[str, str]:
    """The SCRAM users kplan owns once the plan is applied, each with the rotation token its password was last set
    with: owned users that still exist and are not deleted keep their token; a declared user the plan creates or
    changes (or that matches) is owned with the declared token."""
    changes = {c.name: c for c in plan.changes if c.type == ResourceType.USER}
    users = live.of(ResourceType.USER)
    owned = {n: u.rotation or "" for n, u in users.resources.items() if n in users.owned}
    if not destroy:
        for u in stack.users:
            change = changes.get(u.name)
            if change is not None and change.action != Action.DELETE:
                owned[u.name] = u.rotation
    for name, change in changes.items():
        if change.action == Action.DELETE:
            owned.pop(name, None)
    return dict(sorted(owned.items()))
def quotas_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> dict[str, tuple[str, ...]]:
    """The client-quota keys kplan owns once the plan is applied, per entity: those it set before that still
    exist, plus every key the stack declares (set now, or adopted as it is), minus those the plan removes."""
    from kplan.kinds.quota.steps import quota_changes

    owned = {n: {k for k in q.owned if k in q.values} for n, q in live.of(ResourceType.QUOTA).resources.items()}
    if not destroy:
        for spec in stack.quotas:
            owned.setdefault(spec.name, set()).update(spec.values)
    for c in quota_changes(plan, stack, live):
        if c.after is None:
            owned.get(c.entity.name, set()).discard(c.key)
    return {n: tuple(sorted(keys)) for n, keys in sorted(owned.items()) if keys}


def offsets_after(plan: Plan, stack: Stack, live: LiveState, connectors) -> dict[str, str]:
    """The offsets request token per connector once the plan is applied: the recorded ones of connectors still
    owned, and the declared token of every request the plan applies."""
    from kplan.kinds.offsets.steps import pending_requests

    tokens = {n: t for n, t in live.of(ResourceType.OFFSETS).records.items() if n in connectors}
    declared = {c.name: c for c in stack.connectors}
    for name in pending_requests(plan):
        spec = declared.get(name)
        if spec is not None and spec.offsets is not None and name in connectors:
            tokens[name] = spec.offsets.request
    return dict(sorted(tokens.items()))


def subjects_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool) -> dict[str, str]:
    """The schema registry subjects kplan owns once the plan is applied, each with the digest of the schema it
    registered or adopted there: owned subjects that still exist keep theirs, every declared subject the plan
    registers, changes or finds as declared gets the declared schema's, and deleted ones are dropped. While the
    registry cannot be read, the record stays as it is (nothing can be planned for subjects then)."""
    from kplan.kinds.subject.kind import recorded_digests

    if live.of(ResourceType.SUBJECT).problem is not None:
        return dict(sorted(live.of(ResourceType.SUBJECT).records.items()))
    subjects = live.of(ResourceType.SUBJECT)
    owned = {n: d for n, d in subjects.records.items() if n in subjects.resources and n in subjects.owned}
    changes = {c.name: c for c in plan.changes if c.type == ResourceType.SUBJECT}
    if not destroy:
        owned.update(recorded_digests(stack, changes))
    for name, change in changes.items():
        if change.action == Action.DELETE:
            owned.pop(name, None)
    return dict(sorted(owned.items()))


def ownership_of(live: LiveState) -> Ownership:
    """The ownership record as the live state shows it (the before-image of RecordOwnership)."""
    acls, users, quotas = (live.of(t) for t in (ResourceType.ACL, ResourceType.USER, ResourceType.QUOTA))
    return Ownership(live.owned_topics, live.owned_connectors, live.protected_topics, live.protected_connectors,
                     {n: tuple(sorted(c.sensitive_keys)) for n, c in sorted(live.connectors.items())
                      if n in live.owned_connectors and c.sensitive_keys},
                     acls={p: tuple(sorted(a.owned)) for p, a in sorted(acls.resources.items()) if a.owned},
                     users={n: (users.resources[n].rotation or "") if n in users.resources else ""
                            for n in sorted(users.owned)},
                     quotas={n: tuple(sorted(q.owned)) for n, q in sorted(quotas.resources.items()) if q.owned},
                     offsets=dict(sorted(live.of(ResourceType.OFFSETS).records.items())),
                     subjects=dict(sorted(live.of(ResourceType.SUBJECT).records.items())))
