"""The group-config kind's registration (`kplan.kinds.unit.KindUnit`): the dynamic configs of consumer, share and
streams groups (KIP-848's GROUP config resources), declared per group (docs/group-configs.md)."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.dynamic_config import handlers, kind, section, steps
    from kplan.kinds.dynamic_config.io import group as io_group
else:
    handlers, kind, section, steps, io_group = lazy(__name__, "handlers kind section steps io.group")

UNIT = KindUnit(
    StackSection.of("group_configs", "group config set", lambda: section.GROUP_CONFIGS),
    kind_ref=lambda: kind.GROUP_CONFIG,
    builders_ref=lambda: (steps.AlterGroupConfigs.build,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: kind.GROUP_CONFIG,
    importer_ref=lambda: kind.GROUP_IMPORTER,
    shape_ref=lambda: section.GROUP_CONFIGS,
    io=KindIO(lambda: io_group.read_group_configs, OWN, validation_ref=lambda: io_group.GroupConfigValidation),
)
