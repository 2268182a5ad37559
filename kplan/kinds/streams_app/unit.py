"""The streams_app kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.streams_app.kind:KIND",
    StackSection(
        "streams_apps",
        "streams app",
        build_ref="kplan.kinds.streams_app.section:build_streams_apps",
        entry_word_ref="kplan.kinds.streams_app.section:entry_word",
    ),
    ("kplan.kinds.streams_app.steps:CreateStreamsAppAcls", "kplan.kinds.streams_app.steps:DeleteStreamsAppAcls",
     "kplan.kinds.streams_app.steps:CreateInternalTopics", "kplan.kinds.streams_app.steps:DeleteInternalTopics"),
    ("kplan.kinds.streams_app.steps:build_streams_app_steps",),
    ("kplan.kinds.streams_app.handlers",),
    record_module="kplan.kinds.streams_app.steps",
    follow_up_ref="kplan.kinds.streams_app.kind:follow_up",
    live_module="kplan.kinds.streams_app.live",
    importer_ref="kplan.kinds.streams_app.importer:IMPORTER",
    render_ref="kplan.kinds.streams_app.section:rendered",
    takes_groups_ref="kplan.kinds.streams_app.kind:takes_groups",
)
