"""The connector kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.connector.kind:KIND",
    StackSection("connectors", "connector", entry_word_ref="kplan.kinds.connector.section:entry_word",
                 claimable=True, always_counted=True, overlaid=True, many=True),
    tuple(f"kplan.kinds.connector.steps:{name}" for name in (
        "PutConnector", "SnapshotSignal", "RestartConnector", "DeleteConnector", "DropCdcDatabaseObjects",
        "StopConnector", "CopyConnectorOffsets", "StartConnector")),
    ("kplan.kinds.connector.steps:build_connector_steps",),
    ("kplan.kinds.connector.handlers",),
    record_module="kplan.kinds.connector.record",
    live_module="kplan.kinds.connector.live",
    render_ref="kplan.kinds.connector.section:rendered",
    importer_ref="kplan.kinds.connector.importer:IMPORTER",
    follow_up_ref="kplan.kinds.connector.io.read:follow_up",
    secret_fields_ref="kplan.kinds.connector.kind:secret_fields",
    run_secrets_ref="kplan.kinds.connector.kind:run_secrets",
    takes_groups_ref="kplan.kinds.connector.connects:takes_groups",
    left_behind_ref="kplan.kinds.connector.cdc_cleanup:left_behind",
    status_with_ref="kplan.kinds.connector.health:with_cdc_health",
    metrics_ref="kplan.kinds.connector.health:metrics",
    live_metrics_ref="kplan.kinds.connector.health:states",
    status_tally_ref="kplan.kinds.connector.kind:TALLY",
    flows_ref="kplan.kinds.connector.mirrors:FLOWS",
    policy_ref="kplan.kinds.connector.policy:POLICY",
    keeps_topics_ref="kplan.kinds.connector.keepers:KEEPERS",
    io=KindIO("kplan.kinds.connector.io.read:ConnectorRead", PRIMARY, read_first=True,
               validation_ref="kplan.kinds.connector.io.validation:ConnectorValidation",
               status_read_ref="kplan.kinds.connector.io.health:status_read"),
)
