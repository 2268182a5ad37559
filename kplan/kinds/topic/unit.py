"""The topic kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.topic.kind:KIND",
    StackSection("topics", "topic", entry_word_ref="kplan.kinds.topic.section:entry_word", claimable=True,
                 always_counted=True, overlaid=True, many=True,
                 load_checks_ref="kplan.kinds.topic.section:Aggregate"),
    tuple(f"kplan.kinds.topic.steps:{name}" for name in ("CreateTopics", "AlterTopicConfigs", "ReassignReplicas",
                                                          "ElectLeaders", "IncreasePartitions", "ReplaceTopics",
                                                          "DeleteTopics", "ChangeTieredStorage")),
    ("kplan.kinds.topic.steps:build_topic_steps",),
    ("kplan.kinds.topic.handlers",),
    record_module="kplan.kinds.topic.record",
    live_module="kplan.kinds.topic.live",
    live_defaults_ref="kplan.kinds.topic.live:document_defaults",
    render_ref="kplan.kinds.topic.section:rendered",
    importer_ref="kplan.kinds.topic.importer:IMPORTER",
    flows_ref="kplan.kinds.topic.flows:FLOWS",
    policy_ref="kplan.kinds.topic.policy:POLICY",
    rebalance_ref="kplan.kinds.topic.rebalance:REBALANCING",
    consumer_guard_ref="kplan.kinds.topic.consumers:GUARD",
    io=KindIO("kplan.kinds.topic.io.read:TopicRead", PRIMARY,
               validation_ref="kplan.kinds.topic.io.validation:TopicValidation", validation_ahead=True,
               read_scope_ref="kplan.kinds.topic.section:read_scope",
               describe_ref="kplan.kinds.topic.io.read:describe_configs",
               settle_ref="kplan.kinds.topic.io.settle:settled",
               leaders_ref="kplan.kinds.topic.io.writes:read_leaders"),
)
