"""The topics' slice of the live state: from the batched read (`kind_state`: the described topics and the record's
names part) and from a live-state document (`live_from_json`, kplan.kinds.livejson):

    "topics": {"orders": {"partitions": 6, "replication_factor": 3,
                          "overrides": {"retention.ms": "86400000"}, "effective": {...}, "sensitive_keys": []}},
    "owned_topics": [...], "protected_topics": [...]

`effective` defaults to the overrides (overrides always win over it). A topic may carry "assignment" (the replica
broker ids of each partition, [[1, 2], [2, 3]]); without it and the state's "broker_racks", a replication-factor
change cannot be planned as a reassignment. The consumer guard's per-topic facts ("end_offsets", "kept_from",
"timestamps") are the consumer side's, read with the document's "consumer_groups" (`consumers_from_json`: the
consumer guard's context, kinds/topic/consumers.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping

from kplan.kinds.live_codec import by_name, kind_slice, shape, shared
from kplan.kinds.topic.migration import GroupPosition, MigrationFacts, SourceFacts
from kplan.model.consumers import LiveConsumers, LiveGroup, TopicPositions
from kplan.model.desired import freeze
from kplan.model.live import KindState, LiveTopic, Problem
from kplan.model.ownership import NamesPart


def kind_state(found: Mapping[str, LiveTopic], part: Any, problem: Problem | None) -> KindState:
    """The described topics, and the names the stack's record owns and protects."""
    names = part if isinstance(part, NamesPart) else NamesPart()
    return KindState(freeze(dict(found)), names.names, names.protected, problem)


def _effective(t: Mapping[str, Any]) -> Mapping[str, Any]:
    """`effective` defaults to the overrides, which always win over it."""
    return {**t, "effective": {**(t.get("effective") or {}), **(t.get("overrides") or {})}}


# `freeze(config)`, one copy for every topic of the same configs (as the cluster read keeps them, and as a stack
# declares them)
shared_config: Callable[[Mapping[str, Any] | None], Mapping[str, Any]] = shared(
    freeze, lambda config: tuple((config or {}).items()))


# The document's "topics" (by name: partitions, replication_factor, overrides, effective, sensitive_keys,
# assignment), "owned_topics" and "protected_topics"; config values are kept as the document has them.
_slice = kind_slice(
    resources=("topics", by_name(shape(LiveTopic, _effective, overrides=shared_config, effective=shared_config))),
    owned="owned_topics", protected="protected_topics")


def live_from_json(doc: Mapping[str, Any]) -> KindState:
    """The topics' slice; with the document's "topic_migrations" (old topic -> {"partitions": 12, "records": 120,
    "bytes": 4096, "groups": {"billing": {"0": 5}}}) as its facts: what a migration's follow-up read finds
    (kplan.kinds.topic.migration)."""
    state = _slice(doc)
    moves = doc.get("topic_migrations")
    if not isinstance(moves, Mapping):
        return state
    return replace(state, facts=MigrationFacts(freeze({old: SourceFacts(
        int(m["partitions"]), m.get("records"), m.get("bytes"),
        tuple(GroupPosition(g, freeze({int(p): int(o) for p, o in c.items()}))
              for g, c in sorted((m.get("groups") or {}).items()))) for old, m in moves.items()})))


def consumers_from_json(doc: Mapping[str, Any]) -> LiveConsumers | None:
    """A live-state document's consumer side, the consumer guard's context (kplan.kinds.livejson asks the guard,
    `from_json` of kinds/topic/consumers.py), None when it has none: `consumer_groups` ({"g": {"state":
    "Stable", "members": 2, "offsets": {"orders": {"0": 12}}, "assigned": {"orders": [0, 1]}, "protocol":
    "consumer"}}; `assigned`, `protocol` and `lags` ({"orders": {"0": 3}}, a share group's) optional), each topic's
    `end_offsets` ({"0": 40}), `kept_from` ({"<retention ms>": {"0": 30}}) and `timestamps` ({"0": {"12": <epoch
    ms>}}), and `consumers_read_at` (epoch ms)."""
    return None if doc.get("consumer_groups") is None else _consumers(doc)


# The consumer side as the document has it: a group's state and members default to Unknown and 0, its committed
# offsets are the group's offsets key and its assigned partitions sorted; the positions of the topics with end offsets.
_group = shape(LiveGroup, lambda g: {"state": "Unknown", "members": 0, **g, "committed": g.get("offsets")},
               assigned=lambda a: freeze({t: tuple(sorted(int(x) for x in p)) for t, p in (a or {}).items()}))
_positions = shape(TopicPositions, end="end_offsets")
_consumers = shape(LiveConsumers, groups=("consumer_groups", by_name(_group, "group_id")),
                   topics=lambda topics: freeze({n: _positions(t) for n, t in (topics or {}).items()
                                                 if "end_offsets" in t}),
                   read_at_ms="consumers_read_at")


def document_defaults(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """A document that does not list the cluster's topic names (`all_topic_names`) lists those it describes: what
    the kinds whose resources own or need topics look in (`LiveState.topic_names()`)."""
    topics = doc.get("topics")
    return {"all_topic_names": frozenset(topics) if isinstance(topics, Mapping) else frozenset()}
