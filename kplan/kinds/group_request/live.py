"""The group-request kinds' live type, their follow-up reads' Protocol and their parts of a live-state document
(`kplan.kinds.livejson`: golden tests, unit tests and `kplan plan --live-state`), one per kind
(`CONSUMER_PART`, `SHARE_PART`: its kind's `live_from_json`).

    {"group_tokens": {"orders-app": "<request token kplan last applied>"},
     "consumer_groups": {"orders-app": {"state": "Empty", "members": 0,
                                        "committed": [{"topic": "orders", "partition": 0, "offset": 42}],
                                        "targets": [{"topic": "orders", "partition": 0, "offset": 0}],
                                        "at_ms": null, "missing_topics": [], "partitions": {"orders": 1}}},
     "share_group_tokens": {"invoice-jobs": "<request token kplan last applied>"},
     "share_groups": {"invoice-jobs": {"state": "Empty", "members": 0,
                                       "starts": [{"topic": "invoices", "partition": 0, "offset": 42}], ...}},
     "share_group_problem": "unsupported"}

`consumer_groups` and `share_groups` hold what the cluster has for the groups whose declared request is pending
(only those are read): their state, member count, committed offsets (a share group's start offsets, `starts`: the
share-partitions the group has initialised), and the positions a named reset resolves to (`targets`; `at_ms`: the
time a datetime or duration reset resolved to); `share_group_problem`: a cluster without share groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from kplan.kinds.group_request.model import GroupQuery, Position, positions
from kplan.kinds.live_codec import by_name, each, kind_slice, shape
from kplan.model.live import KindState


@dataclass(frozen=True)
class LiveGroup:
    """What the cluster has for a group whose declared request is not applied yet. `token`: the request kplan last
    applied (None: none recorded); `state`: Kafka's group state (Stable, Empty, Dead: no such group...)."""

    name: str
    token: str | None
    state: str
    members: int = 0
    committed: tuple[Position, ...] = ()  # a consumer group's committed offsets, a share group's start offsets
    targets: tuple[Position, ...] = ()  # where a named reset moves each partition (resolved by the read)
    at_ms: int | None = None  # the time a datetime or duration reset was resolved at
    missing_topics: tuple[str, ...] = ()  # requested topics the cluster does not have
    partitions: tuple[tuple[str, int], ...] = ()  # the requested topics' partition counts
    unresolved: str | None = None  # why a failover request has nothing to move to (failover.py)

    @property
    def exists(self) -> bool:
        return self.state.lower() != "dead" or bool(self.committed)


@runtime_checkable
class GroupReads(Protocol):
    """The family's follow-up reads (io.GroupRead; a live-state file's reader has none)."""

    def consumer_groups(self, queries: Mapping[str, GroupQuery]) -> Mapping[str, Mapping[str, Any]]:
        """group -> {"state", "members", "committed", "targets", "at_ms", "missing_topics", "partitions"}
        (positions as [topic, partition, offset]; partitions: the requested topics' counts), for these groups only:
        one describe for all, one offsets read per group, one list_offsets."""
        ...

    def share_groups(self, queries: Mapping[str, GroupQuery], declared: bool | None = None
                     ) -> tuple[Mapping[str, Mapping[str, Any]], str | None]:
        """(group -> as a consumer group's, "committed" its start offsets; None), or ({}, why) on a cluster without
        share groups (Kafka before 4.1, or share.version 0 and not turned on by the stack's `features`: `declared`)."""
        ...


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


def _part(groups: str, tokens: str, held: str, problem: str | None = None
          ) -> Callable[[Mapping[str, Any]], KindState]:
    """A kind's slice of a live-state document whose `groups` hold each group (its positions under `held`), with the
    tokens the record says kplan last applied under `tokens` (and the cluster's `problem`, if it may have one)."""

    def with_tokens(doc: Mapping[str, Any]) -> Mapping[str, Any]:
        found = doc.get(tokens) or {}
        return {**doc, groups: {n: {**g, "token": found.get(n), **({"committed": g[held]} if held in g else {})}
                                for n, g in (doc.get(groups) or {}).items()}}

    return kind_slice(with_tokens, resources=(groups, by_name(_group)), records=tokens, problem=problem)


CONSUMER_PART = _part("consumer_groups", "group_tokens", "committed")
SHARE_PART = _part("share_groups", "share_group_tokens", "starts", problem="share_group_problem")
