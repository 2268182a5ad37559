"""The broker-config kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.broker_config.kind:KIND",
    StackSection(
        "broker_configs",
        "broker config set",
        build_ref="kplan.kinds.broker_config.section:build_broker_configs",
        entry_word_ref="kplan.kinds.broker_config.section:entry_word",
    ),
    ("kplan.kinds.broker_config.steps:AlterBrokerConfigs",),
    ("kplan.kinds.broker_config.steps:build_broker_config_steps",),
    ("kplan.kinds.broker_config.handlers",),
    record_module="kplan.kinds.broker_config.record",
    live_module="kplan.kinds.broker_config.live",
    importer_ref="kplan.kinds.broker_config.importer:IMPORTER",
    render_ref="kplan.kinds.broker_config.section:rendered",
    io=KindIO("kplan.cluster.broker_configs:read_broker_configs", OWN,
               validation_ref="kplan.cluster.broker_configs:BrokerConfigValidation"),
)
