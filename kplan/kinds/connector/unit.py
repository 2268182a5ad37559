"""The connector kind's registration (`kplan.kinds.unit.KindUnit`)."""


from kplan.kinds.connector.cdc_cleanup_steps import DropCdcDatabaseObjects, build_cdc_cleanup_steps
from kplan.kinds.connector.kind import KIND
from kplan.kinds.connector.restart_steps import RestartConnector, build_restart_steps
from kplan.kinds.connector.steps import DeleteConnector, PutConnector, SnapshotSignal, build_connector_steps
from kplan.kinds.unit import KindUnit

UNIT = KindUnit(KIND, (PutConnector, SnapshotSignal, RestartConnector, DeleteConnector, DropCdcDatabaseObjects),
                (build_connector_steps, build_restart_steps, build_cdc_cleanup_steps),
                ("kplan.kinds.connector.handlers", "kplan.kinds.connector.restart_handlers",
                 "kplan.kinds.connector.cdc_cleanup_handlers"))
