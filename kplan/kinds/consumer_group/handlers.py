"""Running and undoing the consumer-group steps (kplan.kinds.consumer_group.steps), through the Kafka admin port:
`group_members`, `group_offsets`, `alter_group_offsets` (verified by reading back), `delete_consumer_group`."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.consumer_group.live import positions
from kplan.kinds.consumer_group.steps import AlterGroupOffsets, DeleteConsumerGroup, items
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.words import plural


def refuse_members(ctx: StepContext, group: str, verb: str) -> None:
    """One line, before anything is written, when the group has live members (Kafka refuses them too)."""
    state, members = ctx.writer.kafka.group_members(group)
    if members:
        raise KplanError(f"consumer group {group} has {plural(members, 'live member')} (state {state}): kplan does "
                         f"not {verb} a group while it has members, as Kafka does not; stop its consumers and run "
                         "apply again")


@handles(AlterGroupOffsets)
class AlterGroupOffsetsHandler(StepHandler[AlterGroupOffsets]):
    def preflight(self, step: AlterGroupOffsets, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "move the offsets of")

    def run(self, step: AlterGroupOffsets, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "move the offsets of")
        # the offsets it had, journaled before anything changes: the undo puts exactly these back
        ctx.outcome = {"offsets": items(ctx.writer.kafka.group_offsets(step.group))}
        ctx.journal_outcome()
        ctx.writer.kafka.alter_group_offsets(step.group, step.offsets)

    def undo(self, step: AlterGroupOffsets, ctx: StepContext) -> None:
        outcome = ctx.outcome or {}
        if outcome.get("offsets") is None:  # never read, so never changed
            return
        moved = {(t, p) for t, p, _ in step.offsets}
        back = tuple(x for x in positions(outcome["offsets"]) if (x[0], x[1]) in moved)
        if back:
            refuse_members(ctx, step.group, "put back the offsets of")
            ctx.writer.kafka.alter_group_offsets(step.group, back)


@handles(DeleteConsumerGroup)
class DeleteConsumerGroupHandler(StepHandler[DeleteConsumerGroup]):
    effect_within_answer = True  # a group is deleted within its DeleteGroups request (left_no_trace)
    def preflight(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "delete")

    def run(self, step: DeleteConsumerGroup, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "delete")
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
