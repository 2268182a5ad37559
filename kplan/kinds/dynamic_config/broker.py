"""The broker-config kind's registration (`kplan.kinds.unit.KindUnit`): dynamic broker configs, the cluster-wide
default and per-broker overrides (docs/stack-format.md, Broker configs)."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.dynamic_config.kind:BROKER_CONFIG",
    StackSection.of("broker_configs", "broker config set", "kplan.kinds.dynamic_config.section:BROKER_CONFIGS"),
    ("kplan.kinds.dynamic_config.steps:AlterBrokerConfigs",),
    ("kplan.kinds.dynamic_config.steps:AlterBrokerConfigs.build",),
    ("kplan.kinds.dynamic_config.handlers",),
    record_module="kplan.kinds.dynamic_config.kind:BROKER_CONFIG",
    live_module="kplan.kinds.dynamic_config.kind:BROKER_CONFIG",
    importer_ref="kplan.kinds.dynamic_config.kind:BROKER_IMPORTER",
    render_ref="kplan.kinds.dynamic_config.section:BROKER_CONFIGS.rendered",
    io=KindIO("kplan.kinds.dynamic_config.io.broker:read_broker_configs", OWN,
               validation_ref="kplan.kinds.dynamic_config.io.broker:BrokerConfigValidation"),
)
