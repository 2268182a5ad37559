"""The group-config kind's registration (`kplan.kinds.unit.KindUnit`): the dynamic configs of consumer, share and
streams groups (KIP-848's GROUP config resources), declared per group (docs/group-configs.md)."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection.of("group_configs", "group config set", ".section:GROUP_CONFIGS"),
    ".kind:GROUP_CONFIG",
    (".steps:AlterGroupConfigs.build",),
    live_module=".kind:GROUP_CONFIG",
    importer_ref=".kind:GROUP_IMPORTER",
    render_ref=".section:GROUP_CONFIGS.rendered",
    shape_ref=".section:GROUP_CONFIGS",
    io=KindIO(".io.group:read_group_configs", OWN, validation_ref=".io.group:GroupConfigValidation"),
)
