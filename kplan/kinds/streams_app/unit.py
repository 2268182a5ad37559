"""The streams_app kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import KindUnit, StackSection

UNIT = KindUnit(__name__, StackSection("streams_apps", "streams app", build_ref=".section:build_streams_apps"),
                follow_up_ref=".kind:follow_up", takes_groups_ref=".kind:takes_groups")
