"""The topic kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.topic.kind import KIND
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(
    KIND,
    tuple(f"kplan.kinds.topic.steps:{name}" for name in ("CreateTopics", "AlterTopicConfigs", "ReassignReplicas",
                                                          "IncreasePartitions", "ReplaceTopics", "DeleteTopics")),
    ("kplan.kinds.topic.steps:build_topic_steps",),
    ("kplan.kinds.topic.handlers",),
    record_module="kplan.kinds.topic.record",
    live_module="kplan.kinds.topic.live",
)
