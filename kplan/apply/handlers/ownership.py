"""Running and undoing the ownership record step."""

from __future__ import annotations

from kplan.apply.steps.ownership import RecordOwnership
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(RecordOwnership)
class RecordOwnershipHandler(StepHandler[RecordOwnership]):
    def run(self, step: RecordOwnership, ctx: StepContext) -> None:
        # still marked: the marker is cleared only once the journal says the run is complete
        ctx.write_ownership(step.record.marked(ctx.marker))

    def undo(self, step: RecordOwnership, ctx: StepContext) -> None:
        # everything either record names stays owned while the rollback runs (the run's resources may still
        # exist); the record before the run is written back once the rollback is over and nothing is left
        ctx.write_ownership(step.previous.merged(step.record).marked(ctx.marker))
