"""Running the one-way tiered-storage step (kplan.kinds.topic.steps): never undone; a run cut short before
the brokers took it is told apart by reading the topics' overrides back."""

from __future__ import annotations

from kplan.errors import KplanError
from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.topic.io.writes import TopicWrites
from kplan.kinds.topic.steps import ChangeTieredStorage


@handles(ChangeTieredStorage)
class ChangeTieredStorageHandler(StepHandler[ChangeTieredStorage]):
    def run(self, step: ChangeTieredStorage, ctx: StepContext) -> None:
        ctx.requested()
        ctx.refusable(lambda: ctx.io(TopicWrites).alter_topic_configs(
            {n: (dict(c.sets), list(c.deletes)) for n, c in step.topics.items()}))
        ctx.io(TopicWrites).wait_topics({n: (None, None, {**c.sets, **{k: None for k in c.deletes}})
                                      for n, c in step.topics.items()})

    def left_no_trace(self, step: ChangeTieredStorage, ctx: StepContext) -> bool:
        try:
            ctx.io(TopicWrites).wait_topics({n: (None, None, dict(keys)) for n, keys in step.overrides_before.items()},
                                         timeout_s=5)
        except KplanError:
            return False
        return True
