"""The connector kind's part in `kplan watch` and `kplan status` (its `Runtime.healing`, a `kplan.kinds.unit.Healing`):
its declared connectors' `auto_restart` stepped on their schedule (kplan.kinds.connector.auto_restart, pure) against
the live state a round read, the restart made (the kit's Connect client, kplan.transport.connect), and the status
notes of what the watcher did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.connector.auto_restart import AutoRestart, Track, condition, status_note, step
from kplan.model.desired import ConnectorState, Stack
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.plan import PlanDiagnostic, ResourceType, address_of
from kplan.transport.connect import request_restart_failed

CONNECTOR = ResourceType.CONNECTOR


@dataclass(frozen=True)
class Due:
    """One connector's step this round: its key and address, its track after, what to do, its policy's limit."""

    key: str
    address: str
    track: Track
    decided: str
    max_restarts: int


class ConnectorHealing:
    def declares(self, stack: Stack) -> bool:
        return any(c.auto_restart is not None for c in stack.of("connectors"))

    def round(self, stack: Stack, live: LiveState, tracks: Mapping[str, Any], now: float) -> list[Due]:
        """Each declared connector with a policy that Connect reported, stepped (one not reported is left as it
        was)."""
        found = live.of(CONNECTOR).resources
        out = []
        for spec in stack.of("connectors"):
            policy: AutoRestart | None = spec.auto_restart
            connector = found.get(spec.name)
            if policy is None or connector is None:
                continue
            seen = condition(spec.state is ConnectorState.RUNNING, connector.state,
                             tuple(t.state for t in connector.tasks))
            track, decided = step(policy, tracks.get(spec.name, Track()), seen, now)
            out.append(Due(spec.name, address_of(CONNECTOR, spec.name), track, decided, policy.max_restarts))
        return out

    def restart(self, stack: Stack, secrets: Any, key: str) -> None:
        request_restart_failed(stack.cluster, secrets, key)

    def track_of(self, record: Mapping[str, Any]) -> Track:
        return Track.of_json(record)

    def notes(self, stack: Stack, records: Mapping[str, Any]) -> tuple[PlanDiagnostic, ...]:
        return tuple(PlanDiagnostic(Severity.INFO, status_note(c.name, records[c.name], c.auto_restart.max_restarts),
                                    "connector-auto-restarts", address=address_of(CONNECTOR, c.name), origin=c.origin)
                     for c in sorted(stack.of("connectors"), key=lambda c: c.name)
                     if c.auto_restart is not None and (records.get(c.name) or {}).get("restarts"))


HEALING = ConnectorHealing()
