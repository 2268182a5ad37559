"""The feature kind's registration (`kplan.kinds.unit.KindUnit`): finalized feature versions."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.feature import handlers, io, kind, live, model, steps
else:
    handlers, io, kind, live, model, steps = lazy(__name__, "handlers io kind live model steps")

UNIT = KindUnit(
    StackSection.named("features", "feature", "feature", lambda: model.SHAPE, lambda: model.FeatureSpec),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_feature_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    shape_ref=lambda: model.SHAPE,
    io=KindIO(lambda: io.read_features, OWN),
)
