"""The share-group kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection.of("share_groups", "share group request", ".section:SHARE"),
    ".kind:SHARE",
    (".steps:AlterShareGroupOffsets.build",),
    follow_up_ref=".io:share_follow_up",
    live_module=".kind:SHARE",
    importer_ref=None,
)
