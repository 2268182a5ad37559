"""The topics' slice of the live state: from the batched read (`kind_state`: the described topics and the record's
names part) and from a live-state document (`live_from_json`, kplan.kinds.livejson)."""

from __future__ import annotations

from typing import Any, Mapping

from kplan.model.desired import freeze
from kplan.model.live import KindState, LiveTopic, Problem
from kplan.model.ownership import NamesPart


def kind_state(found: Mapping[str, LiveTopic], part: Any, problem: Problem | None) -> KindState:
    """The described topics, and the names the stack's record owns and protects."""
    names = part if isinstance(part, NamesPart) else NamesPart()
    return KindState(freeze(dict(found)), names.names, names.protected, problem)


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The document's "topics" (by name: partitions, replication_factor, overrides, effective, sensitive_keys,
    assignment), "owned_topics" and "protected_topics"."""
    topics = {name: _topic(name, t) for name, t in (doc.get("topics") or {}).items()}
    return KindState(freeze(topics), frozenset(doc.get("owned_topics") or ()),
                     frozenset(doc.get("protected_topics") or ()))


def _topic(name: str, t: dict[str, Any]) -> LiveTopic:
    overrides = {k: v for k, v in (t.get("overrides") or {}).items()}
    effective = {**(t.get("effective") or {}), **overrides}
    return LiveTopic(name, int(t["partitions"]), int(t["replication_factor"]), freeze(overrides), freeze(effective),
                     frozenset(t.get("sensitive_keys") or ()),
                     tuple(tuple(int(b) for b in replicas) for replicas in t.get("assignment") or ()))
