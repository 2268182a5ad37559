"""Running and undoing the consumer-group steps (kplan.kinds.consumer_group.steps), through the Kafka admin port:
`group_members`, `group_offsets`, `alter_group_offsets` (verified by reading back), `delete_consumer_group`."""

from __future__ import annotations

from kplan.kinds.consumer_group.steps import AlterGroupOffsets, DeleteConsumerGroup
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.resets.handlers import ResetHandler, refuse_members
from kplan.kinds.resets.model import OFFSETS, Position, positions


def _refuse(ctx: StepContext, group: str, verb: str) -> None:
    refuse_members(ctx.writer.kafka.group_members(group), "consumer group", "group", group, verb)


@handles(AlterGroupOffsets)
class AlterGroupOffsetsHandler(ResetHandler[AlterGroupOffsets]):
    noun, short, moves = "consumer group", "group", OFFSETS

    def members(self, ctx: StepContext, group: str) -> tuple[str, int]:
        return ctx.writer.kafka.group_members(group)

    def read(self, ctx: StepContext, group: str) -> tuple[Position, ...]:
        return ctx.writer.kafka.group_offsets(group)

    def write(self, ctx: StepContext, group: str, offsets: tuple[Position, ...]) -> None:
        ctx.writer.kafka.alter_group_offsets(group, offsets)

    def undo(self, step: AlterGroupOffsets, ctx: StepContext) -> None:
        outcome = ctx.outcome or {}
        if outcome.get(OFFSETS) is None:  # never read, so never changed
            return
        moved = {(t, p) for t, p, _ in step.offsets}
        back = tuple(x for x in positions(outcome[OFFSETS]) if (x[0], x[1]) in moved)
        if back:
            self.refuse(ctx, step.group, "put back the offsets of")
            self.write(ctx, step.group, back)


@handles(DeleteConsumerGroup)
class DeleteConsumerGroupHandler(StepHandler[DeleteConsumerGroup]):
    effect_within_answer = True  # a group is deleted within its DeleteGroups request (left_no_trace)

    def preflight(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        _refuse(ctx, step.group, "delete")

    def run(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        _refuse(ctx, step.group, "delete")
        ctx.requested()
        ctx.refusable(lambda: ctx.writer.kafka.delete_consumer_group(step.group))

    def left_no_trace(self, step: DeleteConsumerGroup, ctx: StepContext) -> bool:
        """Not requested, refused, or the group still there with committed offsets: Kafka deletes a group within
        its DeleteGroups request (not later, as topics), and Ctrl-C waits for a request in flight
        (kplan.cluster.groups.delete_group), so a group the rollback finds was not deleted (issue 41: Ctrl-C
        before the request reported the group "irreversible", exit 3, with the group untouched)."""
        outcome = ctx.outcome or {}
        if not outcome.get("requested") or outcome.get("accepted") is False:
            return True
        state, _ = ctx.writer.kafka.group_members(step.group)
        return state != "Dead" and bool(ctx.writer.kafka.group_offsets(step.group))
