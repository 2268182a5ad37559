"""The share-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.group_request.kind:SHARE",
    StackSection.of("share_groups", "share group request", "kplan.kinds.group_request.section:SHARE"),
    ("kplan.kinds.group_request.steps:AlterShareGroupOffsets",),
    ("kplan.kinds.group_request.steps:build_share_group_steps",),
    ("kplan.kinds.group_request.handlers",),
    record_module="kplan.kinds.group_request.kind:SHARE",
    follow_up_ref="kplan.kinds.group_request.io:share_follow_up",
    live_module="kplan.kinds.group_request.live:SHARE",
    render_ref="kplan.kinds.group_request.section:rendered",
)
