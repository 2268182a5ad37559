"""The share-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.group_request import handlers, io, kind, section, steps
else:
    handlers, io, kind, section, steps = lazy(__name__, "handlers io kind section steps")

UNIT = KindUnit(
    StackSection.of("share_groups", "share group request", lambda: section.SHARE),
    kind_ref=lambda: kind.SHARE,
    builders_ref=lambda: (steps.AlterShareGroupOffsets.build,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: kind.SHARE,
    shape_ref=lambda: section.SHARE_SHAPE,
    render_ref=lambda: section.rendered,
    follow_up_ref=lambda: io.share_follow_up,
)
