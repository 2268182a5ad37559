"""The delete-records kind's live type's reading, its follow-up read's Protocol and its part of a live-state document
(`kplan.kinds.livejson`: golden tests, unit tests and `kplan plan --live-state`).

    {"records_tokens": {"orders": "<request token kplan last applied>"},
     "delete_records": {"orders": {"partitions": 2,
                                   "marks": [{"partition": 0, "low": 0, "high": 100, "target": 40}],
                                   "groups": [{"group": "billing", "partition": 0, "offset": 60},
                                              {"group": "jobs", "partition": 0, "offset": 12, "share": true}],
                                   "at_ms": null, "unseen": null}}}

`delete_records` holds what the cluster has for the topics whose declared request is pending (only those are read):
the partition count (0: no such topic), each partition's low and high watermarks and where the request moves its low
watermark (`target`), every consumer group's committed offsets and every share group's start offsets on the topic
(`share`), why some groups could not be read (`unseen`), and the time a duration ago resolved to. The plan adds, for
a topic it does not read, `owner` (another stack owns it) or `created` (this plan creates it).
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from kplan.kinds.live_codec import by_name, kind_slice, shape
from kplan.kinds.records.model import Committed, LiveRecords, Watermarks
from kplan.kinds.requests import token_state


@runtime_checkable
class RecordReads(Protocol):
    """The follow-up read (io.RecordsRead; a live-state file's reader has none)."""

    def delete_records(self, queries: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Mapping[str, Any]]:
        """topic -> {"partitions", "marks", "groups", "at_ms", "unseen"} as the document has them, for these topics
        only."""
        ...


kind_state = token_state  # the follow-up read adds what the cluster has, for the pending requests


def _marks(items: Any) -> tuple[Watermarks, ...]:
    return tuple(sorted((Watermarks(int(m["partition"]), int(m["low"]), int(m["high"]), int(m["target"]))
                         for m in items or ()), key=lambda m: m.partition))


def _groups(items: Any) -> tuple[Committed, ...]:
    return tuple(sorted((Committed(str(g["group"]), int(g["partition"]), int(g["offset"]), bool(g.get("share")))
                         for g in items or ()), key=lambda c: (c.share, c.group, c.partition)))


_records = shape(LiveRecords, marks=_marks, groups=_groups)


def records_of(name: str, token: str | None, doc: Mapping[str, Any]) -> LiveRecords:
    return _records({**doc, "name": name, "token": token})


def _with_tokens(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    tokens = doc.get("records_tokens") or {}
    return {**doc, "delete_records": {n: {**r, "token": tokens.get(n)}
                                      for n, r in (doc.get("delete_records") or {}).items()}}


live_from_json = kind_slice(_with_tokens, resources=("delete_records", by_name(_records)), records="records_tokens")
