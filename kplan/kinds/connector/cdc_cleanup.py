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
        dropped = [w for w, on in ((f"replication slot {slot!r}", opt and opt.drop_slot),
                                   (f"publication {quote_ident(publication)}", opt and opt.drop_publication)) if on]
        where = current.config.get("database.dbname", "?")
        if dropped and opt is not None and secrets is not None:
            try:  # the drop runs after the connector and its topics are gone: its password must resolve now
                secrets.substitute(opt.password)
            except KplanError as e:
                out.append(error(f"on_destroy of connector {change.name!r} cannot connect to PostgreSQL: {e}; "
                                 "nothing is deleted until the password resolves (or remove on_destroy)",
                                 "secret-unresolved", address=change.address, origin=change.origin))
        if dropped and opt is not None:
            out.append(PlanDiagnostic(
                Severity.INFO, f"after deleting connector {change.name!r}, apply drops its {' and '.join(dropped)} in "
                f"PostgreSQL database {opt.database!r} at {opt.host}:{opt.port} (on_destroy; irreversible)",
                "cdc-database-objects-dropped", address=change.address, origin=change.origin))
        left_slot = slot if not (opt and opt.drop_slot) else None
        left_pub = publication if not (opt and opt.drop_publication) else None
        if left_slot or left_pub:
            what = " and ".join(w for w in (left_slot and f"replication slot {left_slot!r}",
                                            left_pub and f"publication {quote_ident(left_pub)}") if w)
            keeps = " (the slot keeps its WAL on the server until it is dropped)" if left_slot else ""
            out.append(warning(
                f"connector {change.name!r} leaves its {what} in PostgreSQL database {where!r}{keeps}; kplan drops "
                f"{'them' if left_slot and left_pub else 'it'} only with the source's on_destroy. To drop by hand, "
                f"run in that database: {drop_sql(left_slot, left_pub)}",
                LEFT_CODE, address=change.address, origin=change.origin))
    return out


def left_behind(plan: "Plan") -> list[str]:
    """The plan's lines about what a deleted PostgreSQL source left in its database, as printed."""
    return [d.format() for d in plan.diagnostics if d.code == LEFT_CODE]
