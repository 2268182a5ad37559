"""The client-quota kind's registration (`kplan.kinds.unit.KindUnit`): client quotas, one resource per entity."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.dynamic_config.kind:QUOTA",
    StackSection.of("quotas", "quota", "kplan.kinds.dynamic_config.section:QUOTAS"),
    ("kplan.kinds.dynamic_config.steps:AlterQuotas",),
    ("kplan.kinds.dynamic_config.steps:AlterQuotas.build",),
    ("kplan.kinds.dynamic_config.handlers",),
    record_module="kplan.kinds.dynamic_config.kind:QUOTA",
    live_module="kplan.kinds.dynamic_config.kind:QUOTA",
    importer_ref="kplan.kinds.dynamic_config.kind:QUOTA_IMPORTER",
    render_ref="kplan.kinds.dynamic_config.section:QUOTAS.rendered",
    policy_ref="kplan.kinds.dynamic_config.section:QUOTA_POLICY",
    io=KindIO("kplan.kinds.dynamic_config.io.quota:read_quotas", OWN),
)
