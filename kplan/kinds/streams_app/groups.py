"""The consumer group a Kafka Streams application's change takes away before any topic step (`takes_groups` in
its UNIT; kplan.plan.consumers.leaving): its group is its application.id, and its READ on it is deleted with its
other ACLs in DELETE_ACLS, which runs before REPLACE_TOPICS and DELETE_TOPICS. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kplan.kinds.streams_app.kind import StreamsAppPlanned
from kplan.model.plan import ResourceChange

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.live import LiveState


def takes_groups(c: ResourceChange, live: "LiveState") -> dict[str, str]:
    """{its application.id: what takes it away} when the change removes the application; {} otherwise."""
    if not _loses_its_group(c):
        return {}
    return {c.name: f"this stack's Kafka Streams application {c.name}, removed first (its ACLs deleted)"}


def _loses_its_group(c: ResourceChange) -> bool:
    """The application's change deletes its READ on its own group (its application.id): it is removed (a destroy
    keeps its internal topics and so is an update, not a delete)."""
    deleted = c.planned.delete if isinstance(c.planned, StreamsAppPlanned) else ()
    return any(b.resource == "group" and b.pattern == "literal" and b.name == c.name and b.operation == "READ"
               for _, b in deleted)
