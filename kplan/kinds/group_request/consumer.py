"""The consumer-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.group_request.kind:CONSUMER",
    StackSection.of("consumer_groups", "consumer group request", "kplan.kinds.group_request.section:CONSUMER"),
    ("kplan.kinds.group_request.steps:AlterGroupOffsets", "kplan.kinds.group_request.steps:DeleteConsumerGroup"),
    ("kplan.kinds.group_request.steps:build_group_steps",),
    ("kplan.kinds.group_request.handlers",),
    record_module="kplan.kinds.group_request.kind:CONSUMER",
    follow_up_ref="kplan.kinds.group_request.io:consumer_follow_up",
    live_module="kplan.kinds.group_request.live:CONSUMER",
    render_ref="kplan.kinds.group_request.section:rendered",
    flows_ref="kplan.kinds.group_request.flows:FLOWS",
    io=KindIO(metrics_read_ref="kplan.kinds.group_request.io:lag_metrics"),
)
