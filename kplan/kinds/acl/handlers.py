"""Running and undoing ACL steps, through the kind's io (`kplan.kinds.acl.io.AclWrites`)."""

from __future__ import annotations

from kplan.kinds.acl.io import AclWrites
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(DeleteAcls)
@handles(CreateAcls)
class AclsHandler(StepHandler[CreateAcls | DeleteAcls]):
    """Creates a CreateAcls step's bindings, deletes a DeleteAcls step's; the undo does the other. Every binding of a
    create was absent when planned: its undo deletes what the run created (deleting one never created is a no-op)."""

    def run(self, step: CreateAcls | DeleteAcls, ctx: StepContext) -> None:
        self._write(step, ctx, isinstance(step, CreateAcls))

    def undo(self, step: CreateAcls | DeleteAcls, ctx: StepContext) -> None:
        self._write(step, ctx, not isinstance(step, CreateAcls))

    @staticmethod
    def _write(step: CreateAcls | DeleteAcls, ctx: StepContext, create: bool) -> None:
        writes = ctx.io(AclWrites)
        (writes.create_acls if create else writes.delete_acls)([(a.principal, a.binding) for a in step.acls])
