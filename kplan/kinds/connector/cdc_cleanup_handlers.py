"""Dropping a destroyed PostgreSQL source's replication slot and publication (irreversible: never undone; a run
that failed before its drop was requested changed nothing). Before the run's first step the login and the right
to drop are checked again (the plan checked them too): the drop runs after the connector, its ACLs, user and topics
are deleted, so a login that broke since the plan must stop the run before anything is deleted."""

from __future__ import annotations

from kplan.kinds.connector.cdc_cleanup_steps import DropCdcDatabaseObjects
from kplan.kinds.connector.io import ConnectorWrites
from kplan.kinds.handler import StepContext, StepHandler, handles


@handles(DropCdcDatabaseObjects)
class DropCdcDatabaseObjectsHandler(StepHandler[DropCdcDatabaseObjects]):
    def run(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> None:
        password = ctx.secret_values.substitute(step.password)  # a reference that cannot be resolved fails here
        ctx.io(ConnectorWrites).drop_cdc_database_objects(step.host, step.port, step.user, step.database, password,
                                                          step.slot, step.publication, before_drop=ctx.requested)

    def preflight(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> None:
        password = ctx.secret_values.substitute(step.password)
        ctx.io(ConnectorWrites).check_cdc_drop(step.host, step.port, step.user, step.database, password, step.slot,
                                               step.publication)

    def left_no_trace(self, step: DropCdcDatabaseObjects, ctx: StepContext) -> bool:
        return not (ctx.outcome or {}).get("requested")
