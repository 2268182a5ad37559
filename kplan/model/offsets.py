"""Connector offsets as declared state (Kafka Connect's offsets API, KIP-875): what a stack asks for and what
Connect has.

A request is versioned by its token (`request`): kplan applies it once, records the token in the stack's
ownership record, and plans it again only when the token changes — like a SCRAM user's `rotation`. Offsets are
kept in Connect's own form, `{"partition": {...}, "offset": {...}}`; a sink's partition is
`{"kafka_topic", "kafka_partition"}` and its offset `{"kafka_offset"}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

SINK_TOPIC, SINK_PARTITION, SINK_OFFSET = "kafka_topic", "kafka_partition", "kafka_offset"


@dataclass(frozen=True)
class OffsetsSpec:
    """A connector's declared offsets request: `reset` (delete every offset) or `positions` to set (Connect's
    form, as canonical JSON strings so the spec stays immutable and hashable). `sink`: the positions were given
    as topic/partition/offset (None for a reset)."""

    request: str
    reset: bool = False
    positions: tuple[str, ...] = ()
    sink: bool | None = None
    origin: Any = None  # an Origin (kept loose: this module is imported by model.desired)

    @property
    def offsets(self) -> list[dict[str, Any]]:
        """The positions to set, in Connect's form."""
        return [json.loads(p) for p in self.positions]


@dataclass(frozen=True)
class LiveOffsets:
    """What Connect has for a connector whose declared request is not applied yet (read only for those: one GET
    per such connector). `token`: the request kplan last applied (None: none recorded); `exists`: the connector is
    on Connect (offsets are read only then); `offsets`: Connect's form, as canonical JSON strings."""

    name: str
    token: str | None = None
    exists: bool = False
    offsets: tuple[str, ...] = ()
    connector_type: str | None = None  # source | sink, as Connect says

    @property
    def decoded(self) -> list[dict[str, Any]]:
        return [json.loads(o) for o in self.offsets]


def canonical(offset: Mapping[str, Any]) -> str:
    """One offset entry as canonical JSON (sorted keys, no spaces): how specs, live state and steps compare them."""
    return json.dumps(offset, sort_keys=True, separators=(",", ":"))


def partition_key(offset: Mapping[str, Any]) -> str:
    """The identity of an entry: its partition, as canonical JSON."""
    return canonical(offset.get("partition") or {})


def position_number(value: Any) -> int | None:
    """A partition or an offset as a stack writes it: a whole number from 0 (not true or false), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def sink_position(topic: str, partition: int, offset: int) -> dict[str, Any]:
    return {"partition": {SINK_TOPIC: topic, SINK_PARTITION: partition}, "offset": {SINK_OFFSET: offset}}


def label(offset: Mapping[str, Any]) -> str:
    """How a plan names an entry's partition: `orders/0` for a sink, `server=inventory` for a source's partition
    map (key=value, by key; a nested value as JSON)."""
    part = offset.get("partition") or {}
    if set(part) == {SINK_TOPIC, SINK_PARTITION}:
        return f"{part[SINK_TOPIC]}/{part[SINK_PARTITION]}"
    return ",".join(f"{k}={v if isinstance(v, (str, int, float)) else canonical(v)}" for k, v in sorted(part.items()))


def value(offset: Mapping[str, Any]) -> str | int | None:
    """How a plan shows an entry's offset: a sink's number, a source's offset map as JSON."""
    off = offset.get("offset")
    if off is None:
        return None
    number = off.get(SINK_OFFSET)
    if set(off) == {SINK_OFFSET} and isinstance(number, int):
        return number
    return canonical(off)
