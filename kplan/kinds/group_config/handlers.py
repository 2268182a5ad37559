"""Running and undoing the group-config step."""

from __future__ import annotations

from kplan.kinds.group_config.steps import AlterGroupConfigs, by_group
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(AlterGroupConfigs)
class AlterGroupConfigsHandler(StepHandler[AlterGroupConfigs]):
    def run(self, step: AlterGroupConfigs, ctx: StepContext) -> None:
        ctx.writer.wire.alter_group_configs(by_group(step.changes))

    def undo(self, step: AlterGroupConfigs, ctx: StepContext) -> None:
        # every key back to its dynamic value before the run; a key that was absent is deleted again
        ctx.writer.wire.alter_group_configs(by_group(step.changes, undo=True))
