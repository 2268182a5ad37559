"""The offsets kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

Connector offsets: {"offset_tokens": {"sink": "<request token kplan last applied>"}, "connector_offsets": {"sink":
{"token": "<recorded token or null>", "exists": true, "type": "sink", "offsets": [{"partition": {...}, "offset":
{...}}]}}}: `connector_offsets` holds what Connect has for the connectors whose declared request is pending.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

from kplan.kinds.live_codec import by_name, each, kind_slice, shape
from kplan.kinds.requests import token_state
from kplan.model.offsets import LiveOffsets, canonical


@runtime_checkable
class OffsetReads(Protocol):
    """The offsets' follow-up read (kplan.cluster.reader.KafkaReader; a live-state file's StaticReader)."""

    def connector_offsets(self, names: Iterable[str]) -> Mapping[str, list[dict[str, Any]]]:
        """What Connect has as the offsets of these connectors (one GET each); {} when the reader cannot ask."""
        ...


# The offsets' slice as the batched read leaves it: the tokens the record says kplan last applied (the follow-up read
# adds what Connect has, for connectors with a pending request).
kind_state = token_state


# What Connect has for a connector with a pending request (its offsets sorted), "exists" unless it says not; and the
# tokens the record says kplan last applied.
_offsets = shape(LiveOffsets, lambda o: {"exists": True, **o}, connector_type="type",
                 offsets=each(canonical, lambda offsets: tuple(sorted(offsets))))
live_from_json = kind_slice(resources=("connector_offsets", by_name(_offsets)), records="offset_tokens")
