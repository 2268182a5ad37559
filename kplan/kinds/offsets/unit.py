"""The offsets kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import KindUnit, lazy

if TYPE_CHECKING:
    from kplan.kinds.offsets import handlers, io, kind, live, section, steps
else:
    handlers, io, kind, live, section, steps = lazy(__name__, "handlers io kind live section steps")

UNIT = KindUnit(None, kind_ref=lambda: kind.KIND, builders_ref=lambda: (steps.build_offsets_steps,),
                handlers_ref=lambda: handlers, live_ref=lambda: live,
                follow_up_ref=lambda: io.follow_up, shape_ref=lambda: section.SHAPE)
