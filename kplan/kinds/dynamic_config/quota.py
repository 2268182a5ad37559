"""The client-quota kind's registration (`kplan.kinds.unit.KindUnit`): client quotas, one resource per entity."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection.of("quotas", "quota", ".section:QUOTAS"),
    ".kind:QUOTA",
    (".steps:AlterQuotas.build",),
    live_module=".kind:QUOTA",
    importer_ref=".kind:QUOTA_IMPORTER",
    render_ref=".section:QUOTAS.rendered",
    policy_ref=".section:QUOTA_POLICY",
    shape_ref=".section:QUOTAS",
    io=KindIO(".io.quota:read_quotas", OWN),
)
