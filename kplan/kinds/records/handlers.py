"""Running the delete-records step (steps.py) through the kind's io (io.RecordWrites): the request journaled first
(`ctx.request`: irreversible), then DeleteRecords, then the low watermarks read back. Nothing undoes it; a rollback
after a kill looks whether the records were deleted (`left_no_trace`) and names the step when they were."""

from __future__ import annotations

from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.records.io import RecordWrites
from kplan.kinds.records.steps import DeleteRecords


@handles(DeleteRecords)
class DeleteRecordsHandler(StepHandler[DeleteRecords]):
    effect_within_answer = True  # the low watermark moves within the DeleteRecords answer

    def run(self, step: DeleteRecords, ctx: StepContext) -> None:
        io = ctx.io(RecordWrites)
        ctx.request(lambda: io.delete_records(step.topic, step.lows))

    def left_no_trace(self, step: DeleteRecords, ctx: StepContext) -> bool:
        """Not requested, refused, or every partition's low watermark still below its planned offset: no record
        was deleted by this step (retention may have moved a low watermark meanwhile: then, in doubt, not)."""
        outcome = ctx.outcome or {}
        if not outcome.get("requested") or outcome.get("accepted") is False:
            return True
        lows = ctx.io(RecordWrites).low_watermarks(step.topic, [p for p, _ in step.lows])
        return all(lows.get(p, o) < o for p, o in step.lows)
