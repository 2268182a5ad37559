"""The user kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit
from kplan.kinds.user.kind import KIND

UNIT = KindUnit(
    KIND,
    ("kplan.kinds.user.steps:CreateUsers", "kplan.kinds.user.steps:AlterUsers", "kplan.kinds.user.steps:DeleteUsers",),
    ("kplan.kinds.user.steps:build_user_steps",),
    ("kplan.kinds.user.handlers",),
    record_module="kplan.kinds.user.record",
    live_module="kplan.kinds.user.live",
    importer_ref="kplan.kinds.user.importer:IMPORTER",
    render_ref="kplan.kinds.user.section:rendered",
)
