"""What deleting a Debezium PostgreSQL connector leaves in the database, in the plan's words: its replication slot
and publication. With the source's `on_destroy`, apply drops them after the connector is gone (irreversible,
`kplan.kinds.connector.steps`); what is not dropped is named with the exact SQL to run by hand, in the plan and
again as apply's last words (`left_behind` in the connector's UNIT). Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from kplan.errors import KplanError
from kplan.model.cdc_cleanup import POSTGRES_CLASS, drop_sql, quote_ident, slot_and_publication
from kplan.model.diagnostics import Severity
from kplan.model.plan import Action, PlanDiagnostic, ResourceChange, ResourceType, error, warning

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import Plan
    from kplan.secrets import SecretValues

LEFT_CODE = "cdc-database-objects-left"


def cleanup_notes(stack: "Stack", changes: Mapping[str, ResourceChange], live: "LiveState",
                  secrets: "SecretValues | None" = None) -> list[PlanDiagnostic]:
    declared = {c.name: c for c in stack.of("connectors")}
    out: list[PlanDiagnostic] = []
    for change in changes.values():
        current = live.of(ResourceType.CONNECTOR).resources.get(change.name)
        if change.action != Action.DELETE or current is None:
            continue
        if current.config.get("connector.class") != POSTGRES_CLASS:
            continue
        slot, publication = slot_and_publication(current.config)
        spec = declared.get(change.name)
        opt = spec.on_destroy if spec is not None else None
        left_slot = slot if not (opt and opt.drop_slot) else None
        left_pub = publication if not (opt and opt.drop_publication) else None
        named = ((f"replication slot {slot!r}", left_slot), (f"publication {quote_ident(publication)}", left_pub))
        dropped, left = [w for w, kept in named if kept is None], [w for w, kept in named if kept is not None]
        if dropped and opt is not None:
            if secrets is not None:
                try:  # the drop runs after the connector and its topics are gone: its password must resolve now
                    secrets.substitute(opt.password)
                except KplanError as e:
                    out.append(error(f"on_destroy of connector {change.name!r} cannot connect to PostgreSQL: {e}; "
                                     "nothing is deleted until the password resolves (or remove on_destroy)",
                                     "secret-unresolved", address=change.address, origin=change.origin))
            out.append(PlanDiagnostic(
                Severity.INFO, f"after deleting connector {change.name!r}, apply drops its {' and '.join(dropped)} in "
                f"PostgreSQL database {opt.database!r} at {opt.host}:{opt.port} (on_destroy; irreversible)",
                "cdc-database-objects-dropped", address=change.address, origin=change.origin))
        if left:
            where = current.config.get("database.dbname", "?")
            keeps = " (the slot keeps its WAL on the server until it is dropped)" if left_slot else ""
            out.append(warning(
                f"connector {change.name!r} leaves its {' and '.join(left)} in PostgreSQL database {where!r}{keeps}; "
                f"kplan drops {'them' if len(left) == 2 else 'it'} only with the source's on_destroy. To drop by "
                f"hand, run in that database: {drop_sql(left_slot, left_pub)}",
                LEFT_CODE, address=change.address, origin=change.origin))
    return out


def left_behind(plan: "Plan") -> list[str]:
    """The plan's lines about what a deleted PostgreSQL source left in its database, as printed."""
    return [d.format() for d in plan.diagnostics if d.code == LEFT_CODE]
