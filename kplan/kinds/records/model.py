"""What a stack declares of a delete-records request and what the plan reads for it. Pure.

A request deletes the records of one topic before an offset per partition (`before: [{partition, offset}]`), or
before a time (`before:` an ISO datetime, or a duration ago): the partitions' low watermarks (log start offsets) move
there. The time is resolved by the plan's follow-up read (ListOffsets by timestamp: the first record at or after it;
a partition without one is deleted up to its end), which the plan shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.codec import JsonKey

Cut = tuple[int, int]  # (partition, offset): the records before the offset go
ANY_GROUP = "*"  # in allow_unread: every group


def cuts(items: Any) -> tuple[Cut, ...]:
    """[{partition, offset}] or [[partition, offset]] -> sorted (partition, offset) pairs."""
    return tuple(sorted((int(x["partition"]), int(x["offset"])) if isinstance(x, Mapping) else (int(x[0]), int(x[1]))
                        for x in items or ()))


def cut_items(cs: tuple[Cut, ...]) -> list[dict[str, int]]:
    return [{"partition": p, "offset": o} for p, o in cs]


CUT_LIST = JsonKey(write=cut_items, read=cuts)  # a field of cuts in plans, steps and the journal


@dataclass(frozen=True)
class RecordsSpec:
    """A declared request: delete the records of topic `name` before `offsets` (per partition), or before a time
    (`at_ms`, or `ago_ms` before the plan; `text`: as written); consumer groups in `allow_unread` may lose records they
    have not read."""

    name: str  # the topic
    request: str  # the token: a new token asks for one more deletion
    offsets: tuple[Cut, ...] = ()
    text: str = ""
    at_ms: int | None = None
    ago_ms: int | None = None
    allow_unread: tuple[str, ...] = ()
    origin: Any = None

    @property
    def any_unread(self) -> bool:
        """`allow_unread: ["*"]`: any group may lose records it has not read (the groups are then not read)."""
        return ANY_GROUP in self.allow_unread

    def query(self) -> Mapping[str, Any]:
        """What the follow-up read resolves: the partitions named (None: every one) with their offsets, or the time,
        and whether it reads the groups' positions."""
        return {"partitions": [p for p, _ in self.offsets] or None, "cuts": [list(c) for c in self.offsets],
                "at_ms": self.at_ms, "ago_ms": self.ago_ms, "groups": not self.any_unread}


@dataclass(frozen=True)
class Watermarks:
    """A partition as the plan read it: its low and high watermarks and the new low watermark the request asks for
    (`target`: the declared offset, or where the time resolved)."""

    partition: int
    low: int
    high: int
    target: int


@dataclass(frozen=True)
class Committed:
    """A group's position on a partition of the topic: a consumer group's committed offset, or a share group's start
    offset (`share`: the first record it has not acknowledged)."""

    group: str
    partition: int
    offset: int
    share: bool = False


@dataclass(frozen=True)
class LiveRecords:
    """What the cluster has for a topic whose declared request is not applied yet. `token`: the request kplan last
    applied (None: none recorded); `partitions`: the topic's partition count (0: no such topic); `at_ms`: the time a
    duration ago resolved to; `unseen`: why some groups' positions could not be read (kplan's principal may not
    describe them), so that unread records cannot be ruled out. Not read, and said instead: `owner`, the stack that
    owns the topic when it is another; `created`, the topic is one this plan creates (it has no records yet)."""

    name: str
    token: str | None
    partitions: int = 0
    marks: tuple[Watermarks, ...] = ()
    groups: tuple[Committed, ...] = ()
    at_ms: int | None = None
    unseen: str | None = None
    owner: str | None = None
    created: bool = False

    @property
    def exists(self) -> bool:
        return self.partitions > 0
