"""The group-config kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.group_config.kind:KIND",
    StackSection(
        "group_configs",
        "group config set",
        build_ref="kplan.kinds.group_config.section:build_group_configs",
        entry_word_ref="kplan.kinds.group_config.section:entry_word",
    ),
    ("kplan.kinds.group_config.steps:AlterGroupConfigs",),
    ("kplan.kinds.group_config.steps:build_group_config_steps",),
    ("kplan.kinds.group_config.handlers",),
    record_module="kplan.kinds.group_config.record",
    live_module="kplan.kinds.group_config.live",
    importer_ref="kplan.kinds.group_config.importer:IMPORTER",
    render_ref="kplan.kinds.group_config.section:rendered",
    io=KindIO("kplan.cluster.group_configs:read_group_configs", OWN,
               validation_ref="kplan.cluster.group_configs:GroupConfigValidation"),
)
