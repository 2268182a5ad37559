"""The user kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by its hooks."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import ADMIN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.user import handlers, importer, io, kind, live, model, steps
else:
    handlers, importer, io, kind, live, model, steps = lazy(__name__, "handlers importer io kind live model steps")

UNIT = KindUnit(
    StackSection.named("users", "SCRAM user", "user", lambda: model.SHAPE, lambda: model.UserSpec),
    kind_ref=lambda: kind.KIND,
    builders_ref=lambda: (steps.build_user_steps,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: live,
    importer_ref=lambda: importer.IMPORTER,
    secret_fields_ref=lambda: kind.secret_fields,
    shape_ref=lambda: model.SHAPE,
    io=KindIO(lambda: io.UserRead, ADMIN),
)
