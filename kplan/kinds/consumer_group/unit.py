"""The consumer-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.consumer_group.kind:KIND",
    StackSection(
        "consumer_groups",
        "consumer group request",
        build_ref="kplan.kinds.consumer_group.section:build_groups",
        entry_word_ref="kplan.kinds.consumer_group.section:entry_word",
    ),
    ("kplan.kinds.consumer_group.steps:AlterGroupOffsets", "kplan.kinds.consumer_group.steps:DeleteConsumerGroup"),
    ("kplan.kinds.consumer_group.steps:build_group_steps",),
    ("kplan.kinds.consumer_group.handlers",),
    record_module="kplan.kinds.consumer_group.record",
    follow_up_ref="kplan.kinds.consumer_group.kind:follow_up",
    live_module="kplan.kinds.consumer_group.live",
    render_ref="kplan.kinds.consumer_group.section:rendered",
    flows_ref="kplan.kinds.consumer_group.flows:FLOWS",
)
