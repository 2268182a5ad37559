"""Running and undoing the share-group step (kplan.kinds.share_group.steps), through the kafka-python port's
share-group writes: `share_group_members`, `share_group_offsets`, `alter_share_group_offsets` and
`delete_share_group_offsets` (each verified by reading the group back)."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.share_group.shared import OFFSETS, positions
from kplan.kinds.share_group.steps import AlterShareGroupOffsets, items, undo_offsets
from kplan.words import plural


def refuse_members(ctx: StepContext, group: str, verb: str) -> None:
    """One line, before anything is written, when the share group has live members (Kafka refuses them too)."""
    state, members = ctx.writer.kafka_python.share_group_members(group)
    if members:
        raise KplanError(f"share group {group} has {plural(members, 'live member')} (state {state}): kplan does not "
                         f"{verb} a share group while it has members, as Kafka does not; stop its consumers and run "
                         "apply again")


@handles(AlterShareGroupOffsets)
class AlterShareGroupOffsetsHandler(StepHandler[AlterShareGroupOffsets]):
    def preflight(self, step: AlterShareGroupOffsets, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "move the start offsets of")

    def run(self, step: AlterShareGroupOffsets, ctx: StepContext) -> None:
        refuse_members(ctx, step.group, "move the start offsets of")
        # the start offsets it had, journaled before anything changes: the undo puts exactly these back
        ctx.outcome = {OFFSETS: items(ctx.writer.kafka_python.share_group_offsets(step.group))}
        ctx.journal_outcome()
        ctx.writer.kafka_python.alter_share_group_offsets(step.group, step.offsets)

    def undo(self, step: AlterShareGroupOffsets, ctx: StepContext) -> None:
        outcome = ctx.outcome or {}
        if outcome.get(OFFSETS) is None:  # never read, so never changed
            return
        cleared, back = undo_offsets(step.offsets, positions(outcome[OFFSETS]))
        if not cleared and not back:
            return
        refuse_members(ctx, step.group, "put back the start offsets of")
        if cleared:
            ctx.writer.kafka_python.delete_share_group_offsets(step.group, cleared)
        if back:
            ctx.writer.kafka_python.alter_share_group_offsets(step.group, back)
