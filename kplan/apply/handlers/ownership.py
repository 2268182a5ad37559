"""Running and undoing the ownership record step."""

from __future__ import annotations

from kplan.apply.handlers.base import StepContext, StepHandler, handles
from kplan.apply.steps.ownership import RecordOwnership


@handles(RecordOwnership)
class RecordOwnershipHandler(StepHandler[RecordOwnership]):
    def run(self, step: RecordOwnership, ctx: StepContext) -> None:
        ctx.write_ownership(step.record)

    def undo(self, step: RecordOwnership, ctx: StepContext) -> None:
        # the record as before, still marked while the rollback runs (cleared when it is over)
        ctx.write_ownership(step.previous.marked(ctx.marker))
