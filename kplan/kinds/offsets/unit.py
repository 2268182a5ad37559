"""The offsets kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit

UNIT = KindUnit(
    "kplan.kinds.offsets.kind:KIND",
    None,
    ("kplan.kinds.offsets.steps:AlterOffsets",),
    ("kplan.kinds.offsets.steps:build_offsets_steps",),
    ("kplan.kinds.offsets.handlers",),
    record_module="kplan.kinds.offsets.steps",
    follow_up_ref="kplan.kinds.offsets.io:follow_up",
    live_module="kplan.kinds.offsets.live",
)
