"""The offsets kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

Connector offsets: {"offset_tokens": {"sink": "<request token kplan last applied>"}, "connector_offsets": {"sink":
{"token": "<recorded token or null>", "exists": true, "type": "sink", "offsets": [{"partition": {...}, "offset":
{...}}]}}}: `connector_offsets` holds what Connect has for the connectors whose declared request is pending.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

from kplan.model.desired import freeze
from kplan.model.live import KindState
from kplan.model.offsets import LiveOffsets, canonical


@runtime_checkable
class OffsetReads(Protocol):
    """The offsets' follow-up read (kplan.cluster.reader.KafkaReader; a live-state file's StaticReader)."""

    def connector_offsets(self, names: Iterable[str]) -> Mapping[str, list[dict[str, Any]]]:
        """What Connect has as the offsets of these connectors (one GET each); {} when the reader cannot ask."""
        ...


def kind_state(found: Any, part: Mapping[str, Any], problem: Any) -> KindState:
    """The offsets' slice as the batched read leaves it: only the tokens of the requests the stack's record says
    kplan last applied (the follow-up read adds what Connect has, for connectors with a pending request)."""
    return KindState(records=freeze({n: e for n, e in part.items() if isinstance(e, str)}))


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The offsets slice of a live-state document: what Connect has for connectors with a pending request, and the
    tokens the record says kplan last applied."""
    return KindState(freeze({n: _offsets(n, o) for n, o in (doc.get("connector_offsets") or {}).items()}),
                     records=freeze({str(k): str(v) for k, v in (doc.get("offset_tokens") or {}).items()}))


def _offsets(name: str, o: dict[str, Any]) -> LiveOffsets:
    return LiveOffsets(name, None if o.get("token") is None else str(o["token"]), bool(o.get("exists", True)),
                       tuple(sorted(canonical(x) for x in o.get("offsets") or ())), o.get("type"))
