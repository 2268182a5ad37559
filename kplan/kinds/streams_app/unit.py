"""The Kafka Streams application kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by
its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.streams_app import handlers, importer, kind, live, model, section, steps
else:
    handlers, importer, kind, live, model, section, steps = lazy(
        __name__, "handlers importer kind live model section steps")

UNIT = KindUnit(
    StackSection("streams_apps", "streams app", lambda: section.entry_word,
                 build_ref=lambda: section.build_streams_apps),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_streams_app_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=lambda: importer.IMPORTER,
    render_ref=lambda: section.rendered,
    shape_ref=lambda: model.SHAPE,
    follow_up_ref=lambda: kind.follow_up,
    takes_groups_ref=lambda: kind.takes_groups,
)
