"""The user kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import ADMIN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.user.kind:KIND",
    StackSection(
        "users",
        "SCRAM user",
        build_ref="kplan.kinds.user.section:build_users",
        entry_word_ref="kplan.kinds.user.section:entry_word",
    ),
    ("kplan.kinds.user.steps:CreateUsers", "kplan.kinds.user.steps:AlterUsers", "kplan.kinds.user.steps:DeleteUsers",),
    ("kplan.kinds.user.steps:build_user_steps",),
    ("kplan.kinds.user.handlers",),
    record_module="kplan.kinds.user.kind:KIND",
    live_module="kplan.kinds.user.live",
    importer_ref="kplan.kinds.user.importer:IMPORTER",
    render_ref="kplan.kinds.user.section:rendered",
    secret_fields_ref="kplan.kinds.user.kind:secret_fields",
    io=KindIO("kplan.kinds.user.io:UserRead", ADMIN),
)
