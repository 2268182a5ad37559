"""ACL steps: create bindings (one batch), delete bindings (one batch) — and the pure builder that makes them from
a plan. Both are reversible: a created binding is deleted again, a deleted one created again (the step holds the
bindings themselves, its own before-image)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kplan.apply.steps.base import Phase, Planned, StepBase, name_list
from kplan.model.desired import AclBinding, Stack
from kplan.model.live import LiveState
from kplan.plan.model import AttrKind, Plan, ResourceType


@dataclass(frozen=True)
class AclArgs:
    """One binding with its principal, as a step holds it."""

    principal: str
    binding: AclBinding

    def to_json(self) -> dict[str, Any]:
        b = self.binding
        return {"principal": self.principal, "resource": b.resource, "pattern": b.pattern, "name": b.name,
                "operation": b.operation, "permission": b.permission, "host": b.host}

    @classmethod
    def from_json(cls, doc) -> "AclArgs":
        return cls(doc["principal"], AclBinding(doc["resource"], doc["pattern"], doc["name"], doc["operation"],
                                                doc["permission"], doc["host"]))

    def describe(self) -> str:
        return f"{self.principal}: {self.binding.describe()}"


def _describe(verb: str, acls: tuple[AclArgs, ...]) -> str:
    principals = sorted({a.principal for a in acls})
    return f"{verb} {len(acls)} ACL binding(s) of {name_list(principals)}"


@dataclass(frozen=True)
class CreateAcls(StepBase):
    """Create ACL bindings in one request. Undo: delete the ones this run created (every binding was absent at
    plan time; one that appeared meanwhile by other hands is kept)."""

    kind: ClassVar[str] = "create-acls"
    phase: ClassVar[Phase] = Phase.CREATE_ACLS

    acls: tuple[AclArgs, ...]

    def describe(self) -> str:
        return _describe("create", self.acls)

    def args_json(self) -> dict[str, Any]:
        return {"acls": [a.to_json() for a in self.acls]}

    def before_json(self) -> dict[str, Any]:
        return {"absent": True}  # every binding was absent when planned

    @classmethod
    def from_parts(cls, args, before) -> "CreateAcls":
        return cls(tuple(AclArgs.from_json(a) for a in args["acls"]))


@dataclass(frozen=True)
class DeleteAcls(StepBase):
    """Delete ACL bindings in one request (only these exact bindings). Undo: create them again."""

    kind: ClassVar[str] = "delete-acls"
    phase: ClassVar[Phase] = Phase.DELETE_ACLS

    acls: tuple[AclArgs, ...]

    def describe(self) -> str:
        return _describe("delete", self.acls)

    def args_json(self) -> dict[str, Any]:
        return {"acls": [a.to_json() for a in self.acls]}

    def before_json(self) -> dict[str, Any]:
        return {"present": True}  # the bindings themselves are the before-image

    @classmethod
    def from_parts(cls, args, before) -> "DeleteAcls":
        return cls(tuple(AclArgs.from_json(a) for a in args["acls"]))


def _binding(path: tuple[str, ...], grant: str, live: LiveState, principal: str,
             declared: dict[str, set[AclBinding]]) -> AclBinding:
    """The binding an attribute stands for: looked up among the declared and live bindings of its principal."""
    candidates = set(declared.get(principal, ())) | set(live.acls[principal].bindings if principal in live.acls
                                                        else ())
    for b in candidates:
        if (b.resource, b.resource_label, b.operation) == tuple(path) and b.grant == grant:
            return b
    raise KeyError(f"no binding of {principal} at {path}")  # the plan was made from these very states


def acl_changes(plan: Plan, stack: Stack, live: LiveState) -> tuple[list[AclArgs], list[AclArgs]]:
    """The bindings the plan creates and those it deletes."""
    declared = {a.name: set(a.bindings) for a in stack.acls}
    create: list[AclArgs] = []
    delete: list[AclArgs] = []
    for change in plan.changes:
        if change.type != ResourceType.ACL:
            continue
        for attr in change.attributes:
            if attr.kind == AttrKind.ADD:
                create.append(AclArgs(change.name, _binding(attr.path, str(attr.after), live, change.name, declared)))
            elif attr.kind == AttrKind.REMOVE:
                delete.append(AclArgs(change.name, _binding(attr.path, str(attr.before), live, change.name,
                                                            declared)))
    return create, delete


def build_acl_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    create, delete = acl_changes(plan, stack, live)
    out = []
    if create:
        out.append(Planned(CreateAcls(tuple(create))))
    if delete:
        out.append(Planned(DeleteAcls(tuple(delete))))
    return out
