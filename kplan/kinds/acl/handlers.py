"""Running and undoing ACL steps."""

from __future__ import annotations

from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(CreateAcls)
class CreateAclsHandler(StepHandler[CreateAcls]):
    def run(self, step: CreateAcls, ctx: StepContext) -> None:
        ctx.writer.kafka.create_acls([(a.principal, a.binding) for a in step.acls])

    def undo(self, step: CreateAcls, ctx: StepContext) -> None:
        # every binding was absent when planned: what the run created is deleted (deleting one never created is
        # a no-op)
        ctx.writer.kafka.delete_acls([(a.principal, a.binding) for a in step.acls])


@handles(DeleteAcls)
class DeleteAclsHandler(StepHandler[DeleteAcls]):
    def run(self, step: DeleteAcls, ctx: StepContext) -> None:
        ctx.writer.kafka.delete_acls([(a.principal, a.binding) for a in step.acls])

    def undo(self, step: DeleteAcls, ctx: StepContext) -> None:
        ctx.writer.kafka.create_acls([(a.principal, a.binding) for a in step.acls])
