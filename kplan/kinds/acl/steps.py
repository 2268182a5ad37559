"""ACL steps: create bindings (one batch), delete bindings (one batch) — and the pure builder that makes them from
a plan. Both are reversible: a created binding is deleted again, a deleted one created again (the step holds the
bindings themselves, its own before-image)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kplan.kinds.acl.kind import AclPlanned
from kplan.kinds.bindings import AclArgs, CreatesBindings, DeletesBindings
from kplan.kinds.planned import payloads
from kplan.kinds.step import Planned
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


@dataclass(frozen=True)
class CreateAcls(CreatesBindings):
    """Create ACL bindings in one request. Undo: delete the ones this run created (every binding was absent at
    plan time; one that appeared meanwhile by other hands is kept)."""

    kind: ClassVar[str] = "create-acls"

    acls: tuple[AclArgs, ...]


@dataclass(frozen=True)
class DeleteAcls(DeletesBindings):
    """Delete ACL bindings in one request (only these exact bindings). Undo: create them again."""

    kind: ClassVar[str] = "delete-acls"

    acls: tuple[AclArgs, ...]


def acl_changes(plan: Plan, stack: Stack, live: LiveState) -> tuple[list[AclArgs], list[AclArgs]]:
    """The bindings the plan creates and those it deletes (each change's `AclPlanned`)."""
    create: list[AclArgs] = []
    delete: list[AclArgs] = []
    for change, p in payloads(plan, AclPlanned):
        create += [AclArgs(change.name, b) for b in p.create]
        delete += [AclArgs(change.name, b) for b in p.delete]
    return create, delete


def build_acl_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    create, delete = acl_changes(plan, stack, live)
    return [Planned(step(tuple(acls))) for step, acls in ((CreateAcls, create), (DeleteAcls, delete)) if acls]


# -- the ACL bindings' part of the ownership record (`Ownership.of`): what it is once a plan is applied
# (`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that step's
# before-image)


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The ACL bindings kplan owns once the plan is applied: those it created before that still exist, plus those
    the plan creates, minus those it deletes. A declared binding that someone else created is never owned."""
    create, delete = acl_changes(plan, stack, live)
    acls = live.of(ResourceType.ACL).resources
    owned = {p: {b.key for b in a.bindings if b.key in a.owned} for p, a in acls.items()}
    for c in create:
        owned.setdefault(c.principal, set()).add(c.binding.key)
    for d in delete:
        owned.get(d.principal, set()).discard(d.binding.key)
    return {p: tuple(sorted(keys)) for p, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's ACL part as the live state shows it: principal -> the binding keys kplan created."""
    acls = live.of(ResourceType.ACL).resources
    return {p: tuple(sorted(a.owned)) for p, a in sorted(acls.items()) if a.owned}
