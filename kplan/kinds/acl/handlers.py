"""Running and undoing ACL steps, through the kind's io (`kplan.kinds.acl.io.AclWrites`)."""

from __future__ import annotations

from kplan.kinds.acl.io import AclWrites
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(CreateAcls)
class CreateAclsHandler(StepHandler[CreateAcls]):
    def run(self, step: CreateAcls, ctx: StepContext) -> None:
        ctx.io(AclWrites).create_acls([(a.principal, a.binding) for a in step.acls])

    def undo(self, step: CreateAcls, ctx: StepContext) -> None:
        # every binding was absent when planned: what the run created is deleted (deleting one never created is
        # a no-op)
        ctx.io(AclWrites).delete_acls([(a.principal, a.binding) for a in step.acls])


@handles(DeleteAcls)
class DeleteAclsHandler(StepHandler[DeleteAcls]):
    def run(self, step: DeleteAcls, ctx: StepContext) -> None:
        ctx.io(AclWrites).delete_acls([(a.principal, a.binding) for a in step.acls])

    def undo(self, step: DeleteAcls, ctx: StepContext) -> None:
        ctx.io(AclWrites).create_acls([(a.principal, a.binding) for a in step.acls])
