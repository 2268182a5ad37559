"""The share-group kind's live type, its follow-up read's Protocol and its part of a live-state document
(`kplan.kinds.livejson`: golden tests, unit tests and `kplan plan --live-state`).

    {"share_group_tokens": {"invoice-jobs": "<request token kplan last applied>"},
     "share_groups": {"invoice-jobs": {"state": "Empty", "members": 0,
                                       "starts": [{"topic": "invoices", "partition": 0, "offset": 42}],
                                       "targets": [{"topic": "invoices", "partition": 0, "offset": 0}],
                                       "at_ms": null, "missing_topics": [], "partitions": {"invoices": 1}}}}

`share_groups` holds what the cluster has for the share groups whose declared request is pending (only those are
read): their state, member count, start offsets (`starts`: the share-partitions the group has initialised), and the
positions a named reset resolves to (`targets`; `at_ms`: the time a datetime or duration reset resolved to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable

from kplan.kinds.live_codec import by_name, each, kind_slice, shape
from kplan.kinds.requests import token_state
from kplan.kinds.resets.model import GroupQuery, Position, positions


@dataclass(frozen=True)
class LiveShareGroup:
    """What the cluster has for a share group whose declared request is not applied yet. `token`: the request kplan
    last applied (None: none recorded); `state`: Kafka's share group state (Empty, Stable, Dead: no such group)."""

    name: str
    token: str | None
    state: str
    members: int = 0
    starts: tuple[Position, ...] = ()  # the start offset of each initialised share-partition
    targets: tuple[Position, ...] = ()  # where a named reset moves each partition (resolved by the read)
    at_ms: int | None = None  # the time a datetime or duration reset was resolved at
    missing_topics: tuple[str, ...] = ()  # requested topics the cluster does not have
    partitions: tuple[tuple[str, int], ...] = ()  # the requested topics' partition counts

    @property
    def exists(self) -> bool:
        return self.state.lower() != "dead" or bool(self.starts)


@runtime_checkable
class ShareGroupReads(Protocol):
    """The share groups' follow-up read (kplan.cluster.reader.KafkaReader; a live-state file's reader has none)."""

    def share_groups(self, queries: Mapping[str, GroupQuery]) -> tuple[Mapping[str, Mapping[str, Any]], str | None]:
        """(group -> {"state", "members", "committed" (its start offsets), "targets", "at_ms", "missing_topics",
        "partitions"} (positions as [topic, partition, offset]), for these groups only; None), or ({}, why) on a
        cluster without share groups (Kafka before 4.1, or share.version 0)."""
        ...


# The share groups' slice as the batched read leaves it: only the tokens the stack's record says kplan last applied
# (the follow-up read adds what the cluster has, for groups with a pending request).
kind_state = token_state


def _defaults(g: Mapping[str, Any]) -> Mapping[str, Any]:
    """A group the cluster does not have is Dead, with no members; the read's `committed` are its start offsets."""
    out = {k: v for k, v in g.items() if k != "committed"}
    if "starts" not in out and "committed" in g:
        out["starts"] = g["committed"]
    return {**out, "state": g.get("state") or "Dead", "members": g.get("members") or 0}


_group = shape(LiveShareGroup, _defaults, starts=positions, targets=positions,
               missing_topics=each(str, lambda topics: tuple(sorted(topics))),
               partitions=lambda counts: tuple(sorted((str(t), int(n)) for t, n in (counts or {}).items())))


def share_group_of(name: str, token: str | None, doc: Mapping[str, Any]) -> LiveShareGroup:
    return _group({**doc, "name": name, "token": token})


def _tokens(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Each group's `token`: the request the record says kplan last applied ("share_group_tokens")."""
    tokens = doc.get("share_group_tokens") or {}
    return {**doc, "share_groups": {n: {**g, "token": tokens.get(n)}
                                    for n, g in (doc.get("share_groups") or {}).items()}}


# The share groups' slice of a live-state document: what the cluster has for groups with a pending request, the
# tokens the record says kplan last applied, and "share_group_problem": "unsupported" for a cluster without them.
live_from_json = kind_slice(_tokens, resources=("share_groups", by_name(_group)), records="share_group_tokens",
                            problem="share_group_problem")
