"""The group-config kind's registration (`kplan.kinds.unit.KindUnit`): the dynamic configs of consumer, share and
streams groups (KIP-848's GROUP config resources), declared per group (docs/group-configs.md)."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.dynamic_config.kind:GROUP_CONFIG",
    StackSection.of("group_configs", "group config set", "kplan.kinds.dynamic_config.section:GROUP_CONFIGS"),
    ("kplan.kinds.dynamic_config.steps:AlterGroupConfigs",),
    ("kplan.kinds.dynamic_config.steps:AlterGroupConfigs.build",),
    ("kplan.kinds.dynamic_config.handlers",),
    record_module="kplan.kinds.dynamic_config.kind:GROUP_CONFIG",
    live_module="kplan.kinds.dynamic_config.kind:GROUP_CONFIG",
    importer_ref="kplan.kinds.dynamic_config.kind:GROUP_IMPORTER",
    render_ref="kplan.kinds.dynamic_config.section:GROUP_CONFIGS.rendered",
    io=KindIO("kplan.kinds.dynamic_config.io.group:read_group_configs", OWN,
               validation_ref="kplan.kinds.dynamic_config.io.group:GroupConfigValidation"),
)
