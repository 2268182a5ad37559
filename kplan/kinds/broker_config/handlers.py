"""Running and undoing the broker-config step."""

from __future__ import annotations

from kplan.kinds.broker_config.steps import AlterBrokerConfigs, by_broker
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(AlterBrokerConfigs)
class AlterBrokerConfigsHandler(StepHandler[AlterBrokerConfigs]):
    def run(self, step: AlterBrokerConfigs, ctx: StepContext) -> None:
        ctx.writer.wire.alter_broker_configs(by_broker(step.changes))

    def undo(self, step: AlterBrokerConfigs, ctx: StepContext) -> None:
        # every key back to its dynamic value before the run; a key that was absent is deleted again
        ctx.writer.wire.alter_broker_configs(by_broker(step.changes, undo=True))
