"""Running and undoing the share-group step (kplan.kinds.share_group.steps), through the wire port's
share-group writes: `share_group_members`, `share_group_offsets`, `alter_share_group_offsets` and
`delete_share_group_offsets` (each verified by reading the group back)."""

from __future__ import annotations

from kplan.kinds.handler import StepContext, handles
from kplan.kinds.resets.handlers import ResetHandler
from kplan.kinds.resets.model import OFFSETS, Position, positions
from kplan.kinds.share_group.steps import AlterShareGroupOffsets, undo_offsets


@handles(AlterShareGroupOffsets)
class AlterShareGroupOffsetsHandler(ResetHandler[AlterShareGroupOffsets]):
    noun, short, moves = "share group", "share group", "start offsets"

    def members(self, ctx: StepContext, group: str) -> tuple[str, int]:
        return ctx.writer.wire.share_group_members(group)

    def read(self, ctx: StepContext, group: str) -> tuple[Position, ...]:
        return ctx.writer.wire.share_group_offsets(group)

    def write(self, ctx: StepContext, group: str, offsets: tuple[Position, ...]) -> None:
        ctx.writer.wire.alter_share_group_offsets(group, offsets)

    def undo(self, step: AlterShareGroupOffsets, ctx: StepContext) -> None:
        outcome = ctx.outcome or {}
        if outcome.get(OFFSETS) is None:  # never read, so never changed
            return
        cleared, back = undo_offsets(step.offsets, positions(outcome[OFFSETS]))
        if not cleared and not back:
            return
        self.refuse(ctx, step.group, "put back the start offsets of")
        if cleared:
            ctx.writer.wire.delete_share_group_offsets(step.group, cleared)
        if back:
            self.write(ctx, step.group, back)
