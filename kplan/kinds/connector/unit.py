"""The connector kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    __name__,
    StackSection("connectors", "connector", claimable=True, always_counted=True, overlaid=True, many=True),
    follow_up_ref=".io.read:follow_up",
    secret_fields_ref=".kind:secret_fields",
    run_secrets_ref=".kind:run_secrets",
    takes_groups_ref=".connects:takes_groups",
    left_behind_ref=".cdc_cleanup:left_behind",
    status_with_ref=".health:with_cdc_health",
    metrics_ref=".health:metrics",
    live_metrics_ref=".health:states",
    status_tally_ref=".kind:TALLY",
    flows_ref=".mirrors:FLOWS",
    policy_ref=".policy:POLICY",
    keeps_topics_ref=".keepers:KEEPERS",
    io=KindIO(".io.read:ConnectorRead", PRIMARY, read_first=True, validation_ref=".io.validation:ConnectorValidation",
              status_read_ref=".io.health:status_read"),
)
