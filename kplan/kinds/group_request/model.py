"""What a stack declares of a group: one request, applied once per token (`request`), like a connector's offsets
request; the reset forms, positions and their codec, the follow-up read's query, and each kind's words. Pure.

A reset moves a group's positions — a consumer group's committed offsets, a share group's start offsets (the first
record of each share-partition not yet acknowledged: records the group acquired or acknowledged after the new start
are delivered again) — to a named position (`earliest`, `latest`, a point in time given as an ISO datetime or as a
duration ago) on its topics, or to explicit (topic, partition, offset) positions; a consumer group's request can
also be a failover (`mirror`: failover.py) or delete the group. The positions a named reset means are resolved by
the plan's follow-up read, which the plan shows; apply sets exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.codec import JsonKey
from kplan.model.plan import NoteKind, Reason, ResourceType

EARLIEST, LATEST, AT_TIME, AGO, POSITIONS = "earliest", "latest", "timestamp", "ago", "offsets"
OFFSETS = "offsets"  # the stack entry's key of a reset request, and the plan's, step's and journal's of positions
MIRRORED = "mirror"  # a failover: the offsets a mirror translated (failover.py)

Position = tuple[str, int, int]  # (topic, partition, offset)

# A group's follow-up query: {"topics": the topics to resolve (None: those it has offsets on), "to": "earliest" |
# "latest" | "timestamp" | "ago" | None (nothing to resolve: explicit positions, a delete), "ms": the timestamp, or
# the duration ago (the reader reads the clock)}
GroupQuery = Mapping[str, Any]


@dataclass(frozen=True)
class Terms:
    """What differs between the group-request kinds, as data: `noun` ("consumer group"), `short` (what kplan does
    not move while it has members: "group"), `code` (its diagnostics' prefix), `held` (what the group has:
    "committed offsets"), `moves` (what a reset moves: `OFFSETS`); its notes (a new token, a partition that had no
    position) and reasons (applied already, not applied yet). `again`: the note of a partition shown at its target
    already that apply sets all the same (a share group's start offset: setting it drops what was acknowledged after
    it), or None when such a partition needs nothing (a consumer group's committed offset). Its section's words:
    `forms` (the reset forms, for the messages), `missing` (an entry without its request), `deletes` (a delete
    request and a failover: a consumer group's); its step's
    `tool` (Kafka's script that puts a group back by hand), and whether its undo `clears` the positions of a topic
    where it set one the group did not have (a share group's: Kafka removes its start offsets by whole topics)."""

    type: ResourceType
    noun: str
    short: str
    code: str
    held: str
    moves: str
    request_note: NoteKind
    new_note: NoteKind
    applied: Reason
    requested: Reason
    again: NoteKind | None
    forms: str
    missing: str
    deletes: bool
    tool: str
    clears: bool


_FORMS = "earliest, latest, an ISO datetime with its time zone ({}), a duration ago (2h, 30m, 7d)"
CONSUMER = Terms(ResourceType.CONSUMER_GROUP, "consumer group", "group", "group", "committed offsets", OFFSETS,
                 NoteKind.GROUP_REQUEST, NoteKind.GROUP_OFFSET_NEW, Reason.GROUP_APPLIED, Reason.GROUP_REQUESTED,
                 None,
                 _FORMS.format("2026-11-23T08:00:00Z") + ", a list of {topic, partition, offset} or {mirror: <name>} "
                 "(the offsets a mirror translated)",
                 "give exactly one request: offsets: {request, reset, topics} (move its committed offsets) or "
                 "delete: {request} (delete the group)", True, "kafka-consumer-groups.sh", False)
SHARE = Terms(ResourceType.SHARE_GROUP, "share group", "share group", "share-group", "start offsets", "start offsets",
              NoteKind.SHARE_GROUP_REQUEST, NoteKind.SHARE_GROUP_OFFSET_NEW, Reason.SHARE_GROUP_APPLIED,
              Reason.SHARE_GROUP_REQUESTED, NoteKind.SHARE_GROUP_OFFSET_AGAIN,
              _FORMS.format("2026-11-26T08:00:00Z") + " or a list of {topic, partition, offset}",
              "give its request: offsets: {request, reset, topics} (move its start offsets)", False,
              "kafka-share-groups.sh", True)


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


@dataclass(frozen=True)
class GroupSpec:
    """A declared group request: `reset` (an offsets request) or `delete` (a consumer group's delete request)."""

    name: str  # the group id (its consumers' group.id)
    request: str  # the token: a new token asks for one more change
    reset: GroupReset | None = None
    delete: bool = False
    origin: Any = None  # an Origin


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
