"""The broker-config kind's registration (`kplan.kinds.unit.KindUnit`): dynamic broker configs, the cluster-wide
default and per-broker overrides (docs/stack-format.md, Broker configs)."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.dynamic_config import handlers, kind, section, steps
    from kplan.kinds.dynamic_config.io import broker as io_broker
else:
    handlers, kind, section, steps, io_broker = lazy(__name__, "handlers kind section steps io.broker")

UNIT = KindUnit(
    StackSection.of("broker_configs", "broker config set", lambda: section.BROKER_CONFIGS),
    kind_ref=lambda: kind.BROKER_CONFIG,
    builders_ref=lambda: (steps.AlterBrokerConfigs.build,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: kind.BROKER_CONFIG,
    importer_ref=lambda: kind.BROKER_IMPORTER,
    shape_ref=lambda: section.BROKER_CONFIGS,
    io=KindIO(lambda: io_broker.read_broker_configs, OWN, validation_ref=lambda: io_broker.BrokerConfigValidation),
)
