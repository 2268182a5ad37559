"""The broker-config kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.broker_config.kind import KIND
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(
    KIND,
    ("kplan.kinds.broker_config.steps:AlterBrokerConfigs",),
    ("kplan.kinds.broker_config.steps:build_broker_config_steps",),
    ("kplan.kinds.broker_config.handlers",),
    record_module="kplan.kinds.broker_config.record",
    live_module="kplan.kinds.broker_config.live",
    importer_ref="kplan.kinds.broker_config.importer:IMPORTER",
    render_ref="kplan.kinds.broker_config.section:rendered",
)
