"""A reset's model: the forms it moves a group to, positions and their codec, and the follow-up read's query. Pure.

A reset moves a group's offsets to a named position (`earliest`, `latest`, a point in time given as an ISO datetime
or as a duration ago) on its topics, or to explicit (topic, partition, offset) positions; a consumer group's can
also be a failover (`mirror`: kinds/consumer_group/failover.py). The positions a named reset means are resolved by
the plan's follow-up read, which the plan shows; apply sets exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.codec import JsonKey

EARLIEST, LATEST, AT_TIME, AGO, POSITIONS = "earliest", "latest", "timestamp", "ago", "offsets"
OFFSETS = "offsets"  # the stack entry's key of a reset request, and the plan's, step's and journal's of positions

Position = tuple[str, int, int]  # (topic, partition, offset)

# A group's follow-up query: {"topics": the topics to resolve (None: those it has offsets on), "to": "earliest" |
# "latest" | "timestamp" | "ago" | None (nothing to resolve: explicit positions, a delete), "ms": the timestamp, or
# the duration ago (the reader reads the clock)}
GroupQuery = Mapping[str, Any]


@dataclass(frozen=True)
class GroupReset:
    """Where a reset moves the group: `to` is one of earliest, latest, timestamp (`timestamp_ms`), ago (`ago_ms`
    before the plan), offsets (`positions`) or mirror (`mirror`: the offsets that mirror translated); `topics`: the
    topics it moves (empty: those the group has offsets on; always empty for explicit positions, which name their
    topics, and for a mirror's); `text`: as the stack wrote it."""

    to: str
    text: str
    timestamp_ms: int | None = None
    ago_ms: int | None = None
    positions: tuple[Position, ...] = ()
    topics: tuple[str, ...] = ()
    mirror: str | None = None


def positions(items: Any) -> tuple[Position, ...]:
    """[{topic, partition, offset}] or [[topic, partition, offset]] -> sorted (topic, partition, offset) tuples."""
    out = []
    for x in items or ():
        t, p, o = (x["topic"], x["partition"], x["offset"]) if isinstance(x, Mapping) else x
        out.append((str(t), int(p), int(o)))
    return tuple(sorted(out))


def items(ps: tuple[Position, ...]) -> list[dict[str, Any]]:
    """Positions as a plan, a step and the journal write them: [{topic, partition, offset}]."""
    return [{"topic": t, "partition": p, "offset": o} for t, p, o in ps]


POSITION_LIST = JsonKey(write=items, read=positions)  # a field of positions in plans, steps and the journal


def query(r: GroupReset | None) -> GroupQuery:
    """What the follow-up read resolves for one pending request's reset (None: a delete)."""
    if r is None:
        return {"topics": None, "to": None, "ms": None}
    if r.to == POSITIONS:  # nothing to resolve: the read checks the topics and partitions exist
        return {"topics": sorted({t for t, _, _ in r.positions}), "to": None, "ms": None}
    ms = r.timestamp_ms if r.to == AT_TIME else r.ago_ms if r.to == AGO else None
    return {"topics": list(r.topics) or None, "to": r.to, "ms": ms}
