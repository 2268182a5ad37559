"""The topic kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.topic.kind import KIND
from kplan.kinds.topic.steps import (
    AlterTopicConfigs,
    CreateTopics,
    DeleteTopics,
    IncreasePartitions,
    ReassignReplicas,
    ReplaceTopics,
    build_topic_steps,
)
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND,
                (CreateTopics, AlterTopicConfigs, ReassignReplicas, IncreasePartitions, ReplaceTopics, DeleteTopics),
                (build_topic_steps,), ("kplan.kinds.topic.handlers",))
