"""The share-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.share_group.kind:KIND",
    StackSection(
        "share_groups",
        "share group request",
        build_ref="kplan.kinds.share_group.section:build_share_groups",
        entry_word_ref="kplan.kinds.share_group.section:entry_word",
    ),
    ("kplan.kinds.share_group.steps:AlterShareGroupOffsets",),
    ("kplan.kinds.share_group.steps:build_share_group_steps",),
    ("kplan.kinds.share_group.handlers",),
    record_module="kplan.kinds.share_group.record",
    follow_up_ref="kplan.kinds.share_group.kind:follow_up",
    live_module="kplan.kinds.share_group.live",
    render_ref="kplan.kinds.share_group.section:rendered",
)
