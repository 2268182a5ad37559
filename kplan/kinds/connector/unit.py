"""The connector kind's registration (`kplan.kinds.unit.KindUnit`): its kind, and the rest of it by reference."""

from kplan.kinds.unit import PRIMARY, KindIO, KindUnit, StackSection

UNIT = KindUnit(
    "kplan.kinds.connector.kind:KIND",
    StackSection("connectors", "connector", entry_word_ref="kplan.kinds.connector.section:entry_word",
                 claimable=True, always_counted=True, overlaid=True, many=True),
    ("kplan.kinds.connector.steps:PutConnector", "kplan.kinds.connector.steps:SnapshotSignal",
     "kplan.kinds.connector.restart_steps:RestartConnector", "kplan.kinds.connector.steps:DeleteConnector",
     "kplan.kinds.connector.cdc_cleanup_steps:DropCdcDatabaseObjects", "kplan.kinds.connector.move_steps:StopConnector",
     "kplan.kinds.connector.move_steps:CopyConnectorOffsets", "kplan.kinds.connector.move_steps:StartConnector"),
    ("kplan.kinds.connector.steps:build_connector_steps", "kplan.kinds.connector.restart_steps:build_restart_steps",
     "kplan.kinds.connector.cdc_cleanup_steps:build_cdc_cleanup_steps",
     "kplan.kinds.connector.move_steps:build_move_steps"),
    ("kplan.kinds.connector.handlers", "kplan.kinds.connector.restart_handlers",
     "kplan.kinds.connector.cdc_cleanup_handlers", "kplan.kinds.connector.move_handlers"),
    record_module="kplan.kinds.connector.record",
    live_module="kplan.kinds.connector.live",
    render_ref="kplan.kinds.connector.section:rendered",
    importer_ref="kplan.kinds.connector.importer:IMPORTER",
    follow_up_ref="kplan.kinds.connector.mirrors:follow_up",
    secret_fields_ref="kplan.kinds.connector.secret_values:secret_fields",
    run_secrets_ref="kplan.kinds.connector.secret_values:run_secrets",
    takes_groups_ref="kplan.kinds.connector.groups:takes_groups",
    left_behind_ref="kplan.kinds.connector.left_behind:left_behind",
    status_with_ref="kplan.kinds.connector.health:with_cdc_health",
    flows_ref="kplan.kinds.connector.flows:FLOWS",
    io=KindIO("kplan.cluster.connector_read:ConnectorRead", PRIMARY, read_first=True,
               validation_ref="kplan.cluster.connect_validation:ConnectorValidation",
               status_read_ref="kplan.cluster.cdc_health:status_read"),
)
