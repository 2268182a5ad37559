"""A CDC source's health on `kplan status` (the connector kind's Runtime's `status_with`; read by its `status_read`,
kplan.kinds.connector.io.health, at the source's database, docs/cdc-health.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Mapping

from kplan.model.cdc_health import CdcHealth
from kplan.model.live import LiveState
from kplan.model.plan import Plan, ResourceType, address_of, error
from kplan.model.status import Status, StatusReport

CONNECTOR = ResourceType.CONNECTOR


def with_cdc_health(report: StatusReport, health: Mapping[str, CdcHealth]) -> StatusReport:
    """The report with each CDC source's health (connector name -> health, read by `kplan.kinds.connector.io.health`) on
    its connector. An unhealthy slot makes an otherwise in-sync connector "not in declared state", so status exits
    2 for it; plan has no change for it (nothing kplan applies fixes a slot). A health that could not be read
    (`error`) is shown and judges nothing; where the health is judged (a PostgreSQL slot) it is also an error of the
    report: unknown is not healthy, so status does not exit 0 for it."""
    if not health:
        return report
    unread = tuple(error(f"cdc source {name}: the health of its replication slot could not be read ({h.error}); "
                         "kplan cannot tell whether the slot is healthy", "cdc-health-unread",
                         address=address_of(CONNECTOR, name))
                   for name, h in sorted(health.items()) if h.error and h.engine == "postgres"
                   and (r := report.resource(address_of(CONNECTOR, name))) is not None and r.exists)
    report = replace(report, diagnostics=report.diagnostics + unread) if unread else report
    out = []
    for r in report.resources:
        h = health.get(r.name) if r.type == CONNECTOR and r.exists else None
        if h is None or r.status is Status.NOT_DECLARED:
            out.append(r)
            continue
        status = Status.WRONG_STATE if r.status is Status.IN_SYNC and not h.healthy else r.status
        out.append(replace(r, cdc_health=h, status=status))
    return replace(report, resources=tuple(out))


def metrics(health: Mapping[str, CdcHealth]) -> list[tuple[str, str, dict[str, str], float]]:
    """`kplan watch`'s samples of the CDC sources' health (the connector kind's Runtime's `metrics`): whether each
    is healthy (a health that could not be read is not: unknown is not healthy), its slot's state and lag, or its
    binlog lag. Names and numbers only."""
    out: list[tuple[str, str, dict[str, str], float]] = []
    for name, h in sorted(health.items()):
        slot = h.slot if h.slot is not None and h.slot.exists else None  # None: no sample of it
        samples = (("kplan_cdc_healthy", "1 when the CDC source's slot or binlog position is healthy at its database "
                    "(docs/cdc-health.md), 0 when it is not or could not be read", h.healthy and not h.error),
                   ("kplan_cdc_slot_active", "1 when the replication slot is active (a client reads it)",
                    None if slot is None else slot.active),
                   ("kplan_cdc_retained_wal_bytes", "WAL the replication slot keeps on the server's disk",
                    None if slot is None else slot.retained_wal),
                   ("kplan_cdc_confirmed_flush_lag_bytes", "How far the slot's confirmed flush position is behind "
                    "the server's current WAL", None if slot is None else slot.flush_lag),
                   ("kplan_cdc_binlog_lag_bytes", "How far the connector's committed binlog position is behind the "
                    "server's (within one binlog file)", None if h.binlog is None else h.binlog.lag_bytes))
        labels = {"connector": name, "engine": h.engine}
        out += [(metric, text, labels, float(value)) for metric, text, value in samples if value is not None]
    return out


def states(live: LiveState | None, plan: Plan) -> list[tuple[str, str, dict[str, str], float]]:
    """`kplan watch`'s samples of the connectors the plan names (declared or owned), from the live state it was
    made on (the connector kind's Runtime's `live_metrics`): each connector's state (1 for the state it is in) and
    how many of its tasks are in each state."""
    found = live.of(CONNECTOR).resources if live is not None else {}
    out: list[tuple[str, str, dict[str, str], float]] = []
    for name in sorted({c.name for c in plan.changes if c.type == CONNECTOR}):
        connector = found.get(name)
        if connector is None:
            continue
        out.append(("kplan_connector_state", "1 for the state the connector is in, as Connect reports it "
                    "(RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED; UNKNOWN when Connect gave no status)",
                    {"connector": name, "state": connector.state or "UNKNOWN"}, 1.0))
        for state, n in sorted(Counter(task.state or "UNKNOWN" for task in connector.tasks).items()):
            out.append(("kplan_connector_tasks", "The connector's tasks in each state", {"connector": name,
                                                                                       "state": state}, float(n)))
    return out
