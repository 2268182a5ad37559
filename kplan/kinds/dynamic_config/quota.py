"""The client-quota kind's registration (`kplan.kinds.unit.KindUnit`): client quotas, one resource per entity."""

from typing import TYPE_CHECKING

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection, lazy

if TYPE_CHECKING:
    from kplan.kinds.dynamic_config import handlers, kind, section, steps
    from kplan.kinds.dynamic_config.io import quota as io_quota
else:
    handlers, kind, section, steps, io_quota = lazy(__name__, "handlers kind section steps io.quota")

UNIT = KindUnit(
    StackSection.of("quotas", "quota", lambda: section.QUOTAS),
    kind_ref=lambda: kind.QUOTA,
    builders_ref=lambda: (steps.AlterQuotas.build,),
    handlers_ref=lambda: handlers,
    live_ref=lambda: kind.QUOTA,
    importer_ref=lambda: kind.QUOTA_IMPORTER,
    policy_ref=lambda: section.QUOTA_POLICY,
    shape_ref=lambda: section.QUOTAS,
    io=KindIO(lambda: io_quota.read_quotas, OWN),
)
