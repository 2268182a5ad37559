"""Running and undoing the dynamic-config kinds' step (steps.py) through the family's io (io/: `DynamicConfigWrites`):
its changes written as they are (`run`), or their values before (`undo`: a key that was absent is deleted again)."""

from __future__ import annotations

from kplan.kinds.dynamic_config.io import DynamicConfigWrites
from kplan.kinds.dynamic_config.steps import AlterBrokerConfigs, AlterGroupConfigs, AlterKeys, AlterQuotas
from kplan.kinds.handler import StepContext, StepHandler, handles


class AlterKeysHandler(StepHandler[AlterKeys]):
    def run(self, step: AlterKeys, ctx: StepContext) -> None:
        getattr(ctx.io(DynamicConfigWrites), step.writer)(step.by_entity())

    def undo(self, step: AlterKeys, ctx: StepContext) -> None:
        getattr(ctx.io(DynamicConfigWrites), step.writer)(step.by_entity(undo=True))


for _step in (AlterBrokerConfigs, AlterGroupConfigs, AlterQuotas):
    handles(_step)(AlterKeysHandler)
