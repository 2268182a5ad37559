"""The feature kind's registration (`kplan.kinds.unit.KindUnit`): finalized feature versions."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.feature import handlers, io, kind, live, model, section, steps
else:
    handlers, io, kind, live, model, section, steps = lazy(__name__, "handlers io kind live model section steps")

UNIT = KindUnit(
    StackSection("features", "feature", lambda: section.entry_word, build_ref=lambda: section.build_features),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_feature_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=None,
    render_ref=lambda: section.rendered,
    shape_ref=lambda: model.SHAPE,
    io=KindIO(lambda: io.read_features, OWN),
)
