"""The consumer-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection.of("consumer_groups", "consumer group request", ".section:CONSUMER"),
    ".kind:CONSUMER",
    (".steps:AlterGroupOffsets.build",),
    follow_up_ref=".io:consumer_follow_up",
    live_module=".kind:CONSUMER",
    importer_ref=None,
    flows_ref=".flows:FLOWS",
    io=KindIO(metrics_read_ref=".io:lag_metrics"),
)
