"""The quota kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import OWN, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.quota.kind:KIND",
    StackSection(
        "quotas",
        "quota",
        build_ref="kplan.kinds.quota.section:build_quotas",
        entry_word_ref="kplan.kinds.quota.section:entry_word",
    ),
    ("kplan.kinds.quota.steps:AlterQuotas",),
    ("kplan.kinds.quota.steps:build_quota_steps",),
    ("kplan.kinds.quota.handlers",),
    record_module="kplan.kinds.quota.record",
    live_module="kplan.kinds.quota.live",
    importer_ref="kplan.kinds.quota.importer:IMPORTER",
    render_ref="kplan.kinds.quota.section:rendered",
    policy_ref="kplan.kinds.quota.policy:POLICY",
    io=KindIO("kplan.cluster.quotas:read_quotas", OWN),
)
