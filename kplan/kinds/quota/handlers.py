"""Running and undoing the client-quota step."""

from __future__ import annotations

from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.quota.steps import AlterQuotas, by_entity


@handles(AlterQuotas)
class AlterQuotasHandler(StepHandler[AlterQuotas]):
    def run(self, step: AlterQuotas, ctx: StepContext) -> None:
        ctx.writer.wire.alter_quotas(by_entity(step.changes))

    def undo(self, step: AlterQuotas, ctx: StepContext) -> None:
        # every key back to its value before the run; a key that was absent is removed again
        ctx.writer.wire.alter_quotas(by_entity(step.changes, undo=True))
