"""The offsets kind's I/O: the follow-up read of what Connect has as the offsets of the connectors whose declared
request is pending (`follow_up`: Connect's offsets API, kplan.transport.offsets; kplan.kinds.offsets.kind decides what
to ask), and its writes, Connect's (`ConnectWrites`, the kit's: an offsets request stops its connector, writes its
offsets and resumes it, as the connector kind writes connectors)."""

from __future__ import annotations

from typing import Any, Iterable

from kplan.kinds.offsets import kind
from kplan.transport.connect import ConnectWrites as ConnectWrites
from kplan.transport.connect import connect_offsets


class OffsetsRead:
    """The follow-up read on the batched reader's Connect clients (`kplan.kinds.offsets.live.OffsetReads`)."""

    def __init__(self, reader: Any):
        self.clients = reader.connects.clients

    def connector_offsets(self, names: Iterable[str]) -> dict[str, list[dict]]:
        return connect_offsets(self.clients, names)


def follow_up(stack: Any, live: Any, reader: Any, destroy: bool) -> Any:
    """The kind's follow-up read (kplan.kinds.offsets.kind.follow_up) on the batched reader's Connect clients; a reader
    without them (a live-state file's) keeps what it has."""
    return kind.follow_up(stack, live, OffsetsRead(reader) if hasattr(reader, "connects") else reader, destroy)
