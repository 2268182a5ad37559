"""The consumer-group kind's live type, its follow-up read's Protocol and its part of a live-state document
(`kplan.kinds.livejson`: golden tests, unit tests and `kplan plan --live-state`).

    {"group_tokens": {"orders-app": "<request token kplan last applied>"},
     "consumer_groups": {"orders-app": {"state": "Empty", "members": 0,
                                        "committed": [{"topic": "orders", "partition": 0, "offset": 42}],
                                        "targets": [{"topic": "orders", "partition": 0, "offset": 0}],
                                        "at_ms": null, "missing_topics": [], "partitions": {"orders": 1}}}}

`consumer_groups` holds what the cluster has for the groups whose declared request is pending (only those are read):
their state, member count, committed offsets, and the positions a named reset resolves to (`targets`; `at_ms`: the
time a datetime or duration reset resolved to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable

from kplan.kinds.live_codec import by_name, each, kind_slice, shape
from kplan.kinds.requests import token_state
from kplan.kinds.resets.model import GroupQuery, Position, positions


@dataclass(frozen=True)
class LiveGroup:
    """What the cluster has for a group whose declared request is not applied yet. `token`: the request kplan last
    applied (None: none recorded); `state`: Kafka's group state (Stable, Empty, Dead: no such group...)."""

    name: str
    token: str | None
    state: str
    members: int = 0
    committed: tuple[Position, ...] = ()
    targets: tuple[Position, ...] = ()  # where a named reset moves each partition (resolved by the read)
    at_ms: int | None = None  # the time a datetime or duration reset was resolved at
    missing_topics: tuple[str, ...] = ()  # requested topics the cluster does not have
    partitions: tuple[tuple[str, int], ...] = ()  # the requested topics' partition counts
    unresolved: str | None = None  # why a failover request has nothing to move to (kinds.consumer_group.failover)

    @property
    def exists(self) -> bool:
        return self.state.lower() != "dead" or bool(self.committed)


@runtime_checkable
class GroupReads(Protocol):
    """The consumer groups' follow-up read (kplan.cluster.reader.KafkaReader; a live-state file's reader has none)."""

    def consumer_groups(self, queries: Mapping[str, GroupQuery]) -> Mapping[str, Mapping[str, Any]]:
        """group -> {"state", "members", "committed", "targets", "at_ms", "missing_topics", "partitions"}
        (positions as [topic, partition, offset]; partitions: the requested topics' counts), for these groups only:
        one describe for all, one offsets read per group, one list_offsets."""
        ...


# The groups' slice as the batched read leaves it: only the tokens the stack's record says kplan last applied (the
# follow-up read adds what the cluster has, for groups with a pending request).
kind_state = token_state


def _defaults(g: Mapping[str, Any]) -> Mapping[str, Any]:
    """A group the cluster does not have is Dead, with no members."""
    return {**g, "state": g.get("state") or "Dead", "members": g.get("members") or 0}


# A group as the follow-up read answers it and a live-state document has it: its positions sorted, its missing
# topics sorted, its topics' partition counts ({"orders": 1}) as sorted pairs.
_group = shape(LiveGroup, _defaults, committed=positions, targets=positions,
               missing_topics=each(str, lambda topics: tuple(sorted(topics))),
               partitions=lambda counts: tuple(sorted((str(t), int(n)) for t, n in (counts or {}).items())))


def group_of(name: str, token: str | None, doc: Mapping[str, Any]) -> LiveGroup:
    return _group({**doc, "name": name, "token": token})


def _tokens(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Each group's `token`: the request the record says kplan last applied ("group_tokens")."""
    tokens = doc.get("group_tokens") or {}
    return {**doc, "consumer_groups": {n: {**g, "token": tokens.get(n)}
                                       for n, g in (doc.get("consumer_groups") or {}).items()}}


# The groups' slice of a live-state document: what the cluster has for groups with a pending request, and the
# tokens the record says kplan last applied.
live_from_json = kind_slice(_tokens, resources=("consumer_groups", by_name(_group)), records="group_tokens")
