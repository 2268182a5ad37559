"""The broker-config kind's registration (`kplan.kinds.unit.KindUnit`): dynamic broker configs, the cluster-wide
default and per-broker overrides (docs/stack-format.md, Broker configs)."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection.of("broker_configs", "broker config set", ".section:BROKER_CONFIGS"),
    ".kind:BROKER_CONFIG",
    (".steps:AlterBrokerConfigs.build",),
    live_module=".kind:BROKER_CONFIG",
    importer_ref=".kind:BROKER_IMPORTER",
    render_ref=".section:BROKER_CONFIGS.rendered",
    shape_ref=".section:BROKER_CONFIGS",
    io=KindIO(".io.broker:read_broker_configs", OWN, validation_ref=".io.broker:BrokerConfigValidation"),
)
