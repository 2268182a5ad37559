"""Running and undoing the dynamic-config kinds' step (steps.py) through the family's io (io/: `DynamicConfigWrites`):
its changes written as they are (`run`), or their values before (`undo`: a key that was absent is deleted again)."""

from __future__ import annotations

from kplan.kinds.dynamic_config.io import DynamicConfigWrites
from kplan.kinds.dynamic_config.steps import AlterBrokerConfigs, AlterGroupConfigs, AlterKeys, AlterQuotas
from kplan.kinds.handler import StepContext, StepHandler, handles


class AlterKeysHandler(StepHandler[AlterKeys]):
    def run(self, step: AlterKeys, ctx: StepContext) -> None:
        step.write(ctx.io(DynamicConfigWrites), undo=False)

    def undo(self, step: AlterKeys, ctx: StepContext) -> None:
        step.write(ctx.io(DynamicConfigWrites), undo=True)


for _step in (AlterBrokerConfigs, AlterGroupConfigs, AlterQuotas):
    handles(_step)(AlterKeysHandler)
