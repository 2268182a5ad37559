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
from kplan.model.plan import Plan


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


def build_acl_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """The bindings the plan creates, in one step, and those it deletes, in another (each change's `AclPlanned`)."""
    changes = payloads(plan, AclPlanned)
    create = tuple(AclArgs(c.name, b) for c, p in changes for b in p.create)
    delete = tuple(AclArgs(c.name, b) for c, p in changes for b in p.delete)
    return [Planned(step(acls)) for step, acls in ((CreateAcls, create), (DeleteAcls, delete)) if acls]
