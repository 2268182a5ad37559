"""The delete-records kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.records import handlers, io, kind, live, section, steps
else:
    handlers, io, kind, live, section, steps = lazy(__name__, "handlers io kind live section steps")

UNIT = KindUnit(
    StackSection("delete_records", "delete-records request", lambda: section.entry_word,
                 build_ref=lambda: section.build_delete_records),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_records_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    render_ref=lambda: section.rendered,
    shape_ref=lambda: section.SHAPE,
    follow_up_ref=lambda: io.follow_up,
)
