"""The consumer group a sink connector's change takes away before any topic step (`takes_groups` in the
connector's UNIT; kplan.plan.consumers.leaving): apply stops a sink it deletes (and resets its offsets) or stops in
the connectors' phases, which run before REPLACE_TOPICS and DELETE_TOPICS. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kplan.model.plan import Action, ResourceChange, ResourceType
from kplan.rules.connect import sink_group_of

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.live import LiveState


def takes_groups(c: ResourceChange, live: "LiveState") -> dict[str, str]:
    """{its sink group: what takes it away} for a connector the change deletes or stops; {} otherwise."""
    if c.action not in (Action.DELETE, Action.UPDATE):
        return {}
    conn = live.of(ResourceType.CONNECTOR).resources.get(c.name)
    group = sink_group_of(conn.config, conn.connect_name) if conn is not None else None
    stopped = c.action == Action.UPDATE and (c.after or {}).get("state") == "stopped" and (
        (c.before or {}).get("state") != "stopped")
    if group is None or not (c.action == Action.DELETE or stopped):
        return {}
    how = "deleted" if c.action == Action.DELETE else "stopped"
    return {group: f"this stack's connector {c.name}, {how} first"}
