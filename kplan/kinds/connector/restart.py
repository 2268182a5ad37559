"""Recovery of failed connectors (`restart_failed: true`): a declared connector whose connector or tasks are FAILED
is planned as a `restart` change — apply restarts only the failed instances and waits for RUNNING. Pure.

A restart changes nothing the stack declares (config and state stay as they are), so it is its own action rather
than an update. A connector the plan also updates is not given a second change: its update restarts the failed
instances after writing the config (`PutConnector.restart_failed`), and the plan says so in a note. Without the
option nothing is planned; the plan warns and `kplan status` reports the failure either way.
"""

from __future__ import annotations

from typing import Any, Mapping

from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.planned import ConnectorPlanned
from kplan.model.desired import ConnectorState
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveConnector
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    Path,
    PlanDiagnostic,
    Reason,
    ResourceChange,
    ResourceType,
    address_of,
)
from kplan.rules.connect import failure_line
from kplan.secrets import Scrubber

FAILED = "FAILED"


def failed_tasks(live: LiveConnector) -> tuple[int, ...]:
    return tuple(sorted(t.id for t in live.tasks if t.state == FAILED))


def wants_restart(spec: ConnectorSpec, live: LiveConnector | None) -> bool:
    """Whether apply restarts this connector's failed instances: asked for, meant to run, and something FAILED."""
    return (live is not None and spec.restart_failed and spec.state == ConnectorState.RUNNING
            and (live.state == FAILED or bool(failed_tasks(live))))


def failure_notes(spec: ConnectorSpec, live: LiveConnector, scrub: Scrubber, *, updated: bool) -> list[PlanDiagnostic]:
    """What failed (each instance and its trace's first line), and what apply does about it."""
    what = []
    if live.state == FAILED:
        what.append(f"the connector FAILED: {failure_line(live.trace, scrub)}")
    what += [f"task {t.id} FAILED: {failure_line(t.trace, scrub)}"
             for t in sorted(live.tasks, key=lambda t: t.id) if t.state == FAILED]
    how = ("after writing its new config, apply restarts its failed instances" if updated
           else "apply restarts only its failed instances")
    return [PlanDiagnostic(Severity.INFO, f"connector {spec.name!r} ({'; '.join(what)}): {how} (restart_failed) and "
                           "waits until the connector and every task are RUNNING", "connector-restart",
                           address=address_of(ResourceType.CONNECTOR, spec.name), origin=spec.origin)]


def restart_change(spec: ConnectorSpec, live: LiveConnector, before: Mapping[str, Any], after: Mapping[str, Any],
                   unchanged: int, sensitive_paths: tuple[Path, ...], flags: frozenset[Flag]) -> ResourceChange:
    """The `restart` change: one attribute per failed instance (FAILED -> RUNNING)."""
    attrs = []
    if live.state == FAILED:
        attrs.append(AttributeChange(("state",), AttrKind.UPDATE, "failed", "running"))
    attrs += [AttributeChange(("tasks", str(i), "state"), AttrKind.UPDATE, FAILED, "RUNNING")
              for i in failed_tasks(live)]
    return ResourceChange(
        address=address_of(ResourceType.CONNECTOR, spec.name), type=ResourceType.CONNECTOR, name=spec.name,
        action=Action.RESTART, before=before, after=after, attributes=tuple(attrs), unchanged_attributes=unchanged,
        sensitive_paths=sensitive_paths, flags=flags - {Flag.UNHEALTHY}, reason=Reason.FAILED_RESTART,
        origin=spec.origin,
        planned=ConnectorPlanned(restart_connector=live.state == FAILED, restart_tasks=failed_tasks(live)))


def scrubber(live_config: Mapping[str, str], resolved: Mapping[str, str | None], sensitive: frozenset[str]) -> Scrubber:
    """The secret values a trace may quote: the live and the declared (resolved) values of the sensitive keys."""
    return Scrubber([live_config.get(k) for k in sensitive] + [resolved.get(k) for k in sensitive])
