"""A step's ACL binding with its principal (`AclArgs`): how the kinds that grant rights (acl, streams_app) journal
one, and their steps that create or delete a batch of them (`CreatesBindings`, `DeletesBindings`; their handler is
`kplan.kinds.handler.WritesBindings`). The binding itself is Kafka's, `kplan.model.bindings`. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from kplan.kinds.codec import FLAT, JsonKey
from kplan.kinds.step import Phase, StepBase, name_list
from kplan.model.bindings import AclBinding


@dataclass(frozen=True)
class AclArgs:
    """One binding with its principal, as a step holds it (in the journal: `{"principal": ..., <the binding>}`)."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"binding": FLAT}

    principal: str
    binding: AclBinding

    def describe(self) -> str:
        return f"{self.principal}: {self.binding.describe()}"


class GrantsBindings(StepBase):
    """A batch of ACL bindings (its frozen dataclass declares `acls`), created or deleted in one request: the step
    holds the bindings, its own before-image. `whose` names their owners: the principals, unless a kind says."""

    acls: tuple[AclArgs, ...]
    creates: ClassVar[bool]

    def whose(self) -> str:
        return name_list(sorted({a.principal for a in self.acls}))

    def describe(self) -> str:
        return f"{'create' if self.creates else 'delete'} {len(self.acls)} ACL binding(s) of {self.whose()}"


class CreatesBindings(GrantsBindings):
    """Undo: delete the ones this run created (every binding was absent at plan time)."""

    creates: ClassVar[bool] = True
    phase: ClassVar[Phase] = Phase.CREATE_ACLS
    before_says: ClassVar[Mapping[str, Any]] = {"absent": True}  # every binding was absent when planned

    def undo_by_hand(self) -> str:
        return "delete by hand the ACL bindings this run created: " + "; ".join(a.describe() for a in self.acls)


class DeletesBindings(GrantsBindings):
    """Only these exact bindings. Undo: create them again."""

    creates: ClassVar[bool] = False
    phase: ClassVar[Phase] = Phase.DELETE_ACLS
    before_says: ClassVar[Mapping[str, Any]] = {"present": True}  # the bindings themselves are the before-image
