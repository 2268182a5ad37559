"""The consumer-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its
hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.group_request import flows, handlers, io, kind, section, steps
else:
    flows, handlers, io, kind, section, steps = lazy(__name__, "flows handlers io kind section steps")

UNIT = KindUnit(
    StackSection.of("consumer_groups", "consumer group request", lambda: section.CONSUMER),
    kind_ref=lambda: kind.CONSUMER,
    builders_ref=lambda: (steps.AlterGroupOffsets.build,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: kind.CONSUMER,
    shape_ref=lambda: section.CONSUMER_SHAPE,
    render_ref=lambda: section.rendered,
    follow_up_ref=lambda: io.consumer_follow_up,
    flows_ref=lambda: flows.FLOWS,
    io=KindIO(metrics_read_ref=lambda: io.lag_metrics),
)
