"""The group-request family's I/O (kplan.kinds.group_request): the plan's follow-up read of the groups whose declared
request is pending (`consumer_follow_up`, `share_follow_up`: kplan.kinds.group_request.kind.GroupRequestKind.follow_up
decides what to ask) and the writes of its steps (`ConsumerGroupWrites` on the run's admin session,
kplan.transport.admin; `ShareGroupWrites` through the run's own Kafka client, the wire session's). A consumer group
is read and written with confluent-kafka's admin API; a share group through kplan's own Kafka client
(kplan.transport.share_groups, whose requests the consumer context makes too); where a named reset moves each
partition is resolved the same way for both (`targets`, with one list_offsets per distinct spec).

Facts (confluent-kafka 2.16, Kafka 4.3 KRaft, checked on the local stack):
* `describe_consumer_groups` answers a group that does not exist with state DEAD and no members (no error); it
  describes a group of Kafka 4's consumer protocol (KIP-848) through ConsumerGroupDescribe from librdkafka 2.10.0 on
  (kplan.transport.groups), whose states Assigning and Reconciling it reports as UNKNOWN;
  `list_consumer_group_offsets` takes one group per request and answers [] for a group without offsets.
* `alter_consumer_group_offsets` (one group per request) on a group with members does not raise: each partition
  comes back with UNKNOWN_MEMBER_ID; on an Empty or absent group it sets them (creating the group).
* `delete_consumer_groups` of a group with members fails with NON_EMPTY_GROUP, of an absent one GROUP_ID_NOT_FOUND.
* `list_offsets` with `OffsetSpec.for_timestamp(ms)` answers -1 for a partition without a record at or after that
  time: the group then starts at the end (kafka-consumer-groups.sh does the same).
* Rights: describing a group and reading its offsets need DESCRIBE on the group (and DESCRIBE on the topics),
  changing them READ on the group and on the topics, deleting DELETE on the group.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from kplan.errors import KplanError, WriteError
from kplan.kinds.group_request.kind import CONSUMER, SHARE
from kplan.kinds.group_request.model import Position
from kplan.transport.groups import committed_offsets, describe_groups, group_problem
from kplan.transport.interrupts import held
from kplan.transport.log_offsets import resolve
from kplan.transport.permissions import principal
from kplan.transport.reach import kafka_error_name
from kplan.transport.sessions import SessionsIO
from kplan.transport.share_groups import ask, positions, problem, supported
from kplan.transport.share_groups import describe as describe_share
from kplan.transport.wire.client import Client, error_name, open_client


def committed(admin, group: str, timeout_s: float, who: str | None = None) -> tuple[Position, ...]:
    """The group's committed offsets, sorted (a partition without one is left out)."""
    try:
        found = committed_offsets(admin, group, timeout_s)
    except Exception as e:  # noqa: BLE001
        raise KplanError(group_problem(e, "describe", group, who)) from None
    return tuple(sorted((t, p, o) for (t, p), o in found.items()))


def read_groups(admin, queries: Mapping[str, Mapping[str, Any]], partitions: Mapping[str, int], timeout_s: float,
                who: str | None = None, now_ms: int | None = None) -> dict[str, dict]:
    """What the plan shows for each pending consumer-group request (queries: kplan.kinds.group_request.model.query):
    its state, members and committed offsets (one describe for all, one offsets read per group), then `targets`."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    states = describe_groups(admin, sorted(queries), timeout_s, who)
    found = {n: (*states.get(n, ("Dead", 0)), committed(admin, n, timeout_s, who)) for n in sorted(queries)}
    return targets(admin, queries, found, partitions, timeout_s, now_ms)


def targets(admin, queries: Mapping[str, Mapping[str, Any]], found: Mapping[str, tuple[str, int, Sequence[Position]]],
            partitions: Mapping[str, int], timeout_s: float, now_ms: int) -> dict[str, dict]:
    """What the plan shows for each pending group request of either kind, given what was `found` of each group (its
    state, member count and positions): those, and where a named reset moves each partition of its topics
    (`partitions`: topic -> partition count, the batched read's metadata), resolved with `admin`'s list_offsets. A
    topic the request names that the cluster lacks is reported (`missing_topics`); one the group only has offsets on
    is left out (deleted since)."""
    out: dict[str, dict] = {}
    wanted: set[tuple[str, int, Any]] = set()  # keyed by the spec too: each group gets its own target
    plans: dict[str, tuple[Any, list[tuple[str, int]]]] = {}
    for name, q in sorted(queries.items()):
        state, members, have = found[name]
        topics = list(q.get("topics") or sorted({t for t, _, _ in have}))
        doc: dict = {"state": state, "members": members, "committed": [list(x) for x in have], "targets": [],
                     "at_ms": None, "missing_topics": [t for t in q.get("topics") or () if t not in partitions],
                     "partitions": {t: partitions[t] for t in topics if t in partitions}}
        out[name] = doc
        to = q.get("to")
        if to is None:
            continue
        spec: Any = to
        if to in ("timestamp", "ago"):
            spec = int(q["ms"]) if to == "timestamp" else now_ms - int(q["ms"])
            doc["at_ms"] = spec
        tps = [(t, p) for t in topics if t in partitions for p in range(partitions[t])]
        plans[name] = (spec, tps)
        wanted.update((t, p, spec) for t, p in tps)
    resolved = resolve(admin, wanted, timeout_s) if wanted else {}
    for name, (spec, tps) in plans.items():
        out[name]["targets"] = [[t, p, resolved[(t, p, spec)]] for t, p in tps if (t, p, spec) in resolved]
    return out


def _group_error(answer: Any) -> tuple[str, str | None] | None:
    if answer.error_code:
        return error_name(answer.error_code), answer.error_message
    return None


def _refused(refused: tuple[str, str | None] | None, group: str, verb: str, who: str | None) -> None:
    """A share group's refusal to `verb` its start offsets (error name, message) as one line."""
    if refused is not None:
        name, message = refused
        if name == "NON_EMPTY_GROUP":
            raise WriteError(f"share group {group} has live members: Kafka refused to {verb} its start offsets "
                             "(NON_EMPTY_GROUP); stop its consumers and run apply again")
        raise WriteError(problem(name, "move the start offsets of", group, message, who))


def shown_as_written(shown: Sequence[Position], offsets: Sequence[Position], failure: str) -> None:
    """A WriteError, `failure` naming (up to five of) the partitions whose position `shown` is not as written."""
    have = {(t, p): o for t, p, o in shown}
    wrong = [f"{t}/{p}" for t, p, o in offsets if have.get((t, p)) != o]
    if wrong:
        raise WriteError(f"{failure} for {', '.join(wrong[:5])}")


def alter_share(client: Client, group: str, offsets: Sequence[Position], who: str | None = None) -> None:
    """Set these start offsets of the group (one AlterShareGroupOffsets request); a refusal is one line."""
    from kplan.transport.share_protocol import AlterShareGroupOffsetsRequest

    by_topic: dict[str, list[tuple[int, int]]] = {}
    for t, p, o in offsets:
        by_topic.setdefault(t, []).append((p, o))
    request = AlterShareGroupOffsetsRequest(group_id=group,
                                            topics=[(t, sorted(ps)) for t, ps in sorted(by_topic.items())])
    answer = ask(client, group, request, "move the start offsets of", who)
    refused = _group_error(answer)
    if refused is None:
        failed = [(t.topic_name, p.partition_index, error_name(p.error_code), p.error_message)
                  for t in answer.responses or () for p in t.partitions or () if p.error_code]
        if failed:
            t, p, name, message = failed[0]
            refused = (name, f"{t}/{p}: {message or name}; {len(failed)} partition(s) refused")
    _refused(refused, group, "move", who)


def delete_share(client: Client, group: str, topics: Sequence[str], who: str | None = None) -> None:
    """Remove the group's start offsets of these topics (one DeleteShareGroupOffsets request)."""
    from kplan.transport.share_protocol import DeleteShareGroupOffsetsRequest

    answer = ask(client, group, DeleteShareGroupOffsetsRequest(group_id=group, topics=[(t,) for t in topics]),
                  "move the start offsets of", who)
    refused = _group_error(answer) or next(((error_name(t.error_code), f"{t.topic_name}: {t.error_message}")
                                            for t in answer.responses or () if t.error_code), None)
    if refused is not None and refused[0] != "GROUP_ID_NOT_FOUND":
        _refused(refused, group, "remove", who)


# -- the follow-up reads ------------------------------------------------------------------------------------------


class GroupRead:
    """The family's follow-up reads (kplan.kinds.group_request.live: `GroupReads`) on the batched
    reader's admin client, after its read (the topics' partition counts: its metadata)."""

    def __init__(self, reader: Any):
        self.reader = reader

    def _asked(self) -> tuple[Any, dict[str, int], str | None]:
        r = self.reader
        return r.admin, {t: meta[0] for t, meta in r.last_metadata.items()}, principal(r.cluster.client_properties)

    def consumer_groups(self, queries: Mapping) -> dict[str, dict]:
        admin, partitions, who = self._asked()
        return read_groups(admin, queries, partitions, self.reader.cluster.timeout_s, who)

    def share_groups(self, queries: Mapping, declared: bool | None = None) -> tuple[dict[str, dict], str | None]:
        """What the plan shows for each pending share-group request (queries: kplan.kinds.group_request.model.query):
        its state, members and start offsets (as its `committed`, read with a Kafka client of kplan's own), then where
        a named reset moves them as a consumer group's (`targets`, resolved with the reader's confluent-kafka admin
        client); or, on a cluster without share groups, nothing and why. `declared`: whether the stack's `features`
        turn share.version on; on while the cluster has it off, no group exists yet (the apply enables it first)."""
        admin, partitions, who = self._asked()
        cluster = self.reader.cluster
        with open_client(cluster, self.reader.secrets) as client:
            why = supported(client, declared)
            if why is not None:
                return {}, why
            if declared and client.finalized("share.version") < 1:
                found: dict[str, tuple[str, int, tuple[Position, ...]]] = {n: ("Dead", 0, ()) for n in queries}
            else:
                found = {n: (*describe_share(client, n, who)[:2], positions(client, n, who)) for n in sorted(queries)}
        return targets(admin, queries, found, partitions, cluster.timeout_s, int(time.time() * 1000)), None


def _follow_up(kind: Any) -> Callable[[Any, Any, Any, bool], Any]:
    """The kind's follow-up read over the batched reader's (`GroupRead`); a reader without a cluster (a live-state
    file's) as it is."""
    def follow_up(stack: Any, live: Any, reader: Any, destroy: bool) -> Any:
        return kind.follow_up(stack, live, GroupRead(reader) if hasattr(reader, "last_metadata") else reader, destroy)

    return follow_up


consumer_follow_up, share_follow_up = _follow_up(CONSUMER), _follow_up(SHARE)


# -- the writes ---------------------------------------------------------------------------------------------------


class ConsumerGroupWrites(SessionsIO):
    """A consumer group's state and committed offsets, their move and the group's deletion, on the run's admin
    session (kplan.transport.admin)."""

    def group_members(self, group: str) -> tuple[str, int]:
        """The group's (state, member count); ("Dead", 0) when it does not exist."""
        return describe_groups(self.kafka.admin, [group], self.kafka.request_timeout(),
                               self.kafka.who).get(group, ("Dead", 0))

    def group_offsets(self, group: str) -> tuple[Position, ...]:
        """The group's committed offsets: (topic, partition, offset), sorted."""
        return committed(self.kafka.admin, group, self.kafka.request_timeout(), self.kafka.who)

    def alter_group_offsets(self, group: str, offsets: Sequence[Position]) -> None:
        """Set these committed offsets (others are left alone) in one request, then read them back: written only
        when the group shows every one. Any partition refused is one error line (a group with members answers
        UNKNOWN_MEMBER_ID for each)."""
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

        tps = [TopicPartition(t, p, o) for t, p, o in offsets]
        timeout_s, who = self.kafka.request_timeout(), self.kafka.who
        fut = self.kafka.admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
                                                            request_timeout=timeout_s)[group]
        try:
            with held():  # Ctrl-C waits for the answer: a rollback must see what the request did
                answer = fut.result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001
            raise WriteError(group_problem(e, "move the offsets of", group, who)) from e
        failed = [(tp, tp.error) for tp in answer.topic_partitions or () if tp.error is not None]
        if failed:
            tp, err = failed[0]
            if err.name() == "UNKNOWN_MEMBER_ID":
                raise WriteError(f"consumer group {group} has live members: Kafka refused to move its offsets "
                                 f"(UNKNOWN_MEMBER_ID); stop its consumers and run apply again")
            raise WriteError(group_problem(Exception(err), "move the offsets of", group, who)
                             if err.name().endswith("AUTHORIZATION_FAILED") else
                             f"could not move the offsets of consumer group {group}: {tp.topic}/{tp.partition}: "
                             f"{err.name()} ({len(failed)} partition(s) refused)")
        shown_as_written(self.group_offsets(group), offsets,
                         f"consumer group {group}: the cluster does not show the offsets written")

    def delete_consumer_group(self, group: str) -> None:
        """Delete the group and its committed offsets (Kafka refuses while it has members: NON_EMPTY_GROUP; one that
        does not exist, GROUP_ID_NOT_FOUND, is gone already), then check the cluster no longer has it (state Dead, no
        committed offsets)."""
        timeout_s = self.kafka.request_timeout()
        fut = self.kafka.admin.delete_consumer_groups([group], request_timeout=timeout_s)[group]
        try:
            with held():  # (as in alter_group_offsets)
                fut.result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001
            name = kafka_error_name(e)
            if name == "NON_EMPTY_GROUP":
                raise WriteError(f"consumer group {group} has live members: Kafka refused to delete it "
                                 "(NON_EMPTY_GROUP); stop its consumers and run apply again") from None
            if name != "GROUP_ID_NOT_FOUND":
                raise WriteError(group_problem(e, "delete", group, self.kafka.who)) from None
        state, _ = self.group_members(group)
        if state != "Dead" or self.group_offsets(group):
            raise WriteError(f"consumer group {group} is still there after its deletion (state {state})")


class ShareGroupWrites(SessionsIO):
    """A share group's state and start offsets and their writes, through the run's own Kafka client (the wire
    session's, opened when first used), asked again and bounded like Kafka's other writes (the admin session's link
    and attempts)."""

    def share_groups_on(self) -> bool:
        """Whether the cluster's share.version is finalized at 1 or above."""
        return self.wire.client.finalized("share.version") >= 1

    def share_group_members(self, group: str) -> tuple[str, int]:
        """The group's (state, member count); ("Dead", 0) when it does not exist."""
        state, members, _ = describe_share(self.wire.client, group, self.kafka.who)
        return state, members

    def share_group_offsets(self, group: str) -> tuple[Position, ...]:
        """The group's start offsets: (topic, partition, offset), sorted (a partition not initialised is left out)."""
        return positions(self.wire.client, group, self.kafka.who)

    def alter_share_group_offsets(self, group: str, offsets: Sequence[Position]) -> None:
        """Set these start offsets (others are left alone): asked again while it gets no answer (setting the same
        offsets twice is harmless), then read back."""
        self.kafka.attempts.wire(f"moving the start offsets of share group {group}",
                                 lambda: alter_share(self.wire.client, group, offsets, self.kafka.who))
        shown_as_written(self.share_group_offsets(group), offsets,
                         f"share group {group}: the cluster does not show the start offsets written")

    def delete_share_group_offsets(self, group: str, topics: Sequence[str]) -> None:
        """Remove the group's start offsets of these topics (Kafka removes them by whole topics): asked again while it
        gets no answer, then read back."""
        self.kafka.attempts.wire(f"removing the start offsets of share group {group}",
                                 lambda: delete_share(self.wire.client, group, topics, self.kafka.who))
        left = sorted({t for t, _, _ in self.share_group_offsets(group) if t in topics})
        if left:
            raise WriteError(f"share group {group} still shows start offsets on {', '.join(left)}")


def lag_metrics(specs: Iterable[Any], secrets: Any, reader: Any, timeout_s: float
                ) -> list[tuple[str, str, dict[str, str], float]]:
    """`kplan watch`'s read of the declared consumer groups, each round (the consumer-group kind's
    `io.metrics_read_ref`): each group's lag by topic, the sum over its partitions of the end offset minus its
    committed offset (a partition without a committed offset is left out: the group never read it). Two requests a
    group with committed offsets: its offsets, the end offsets of those partitions."""
    out: list[tuple[str, str, dict[str, str], float]] = []
    admin = reader.admin
    for spec in sorted(specs, key=lambda s: s.name):
        positions = committed(admin, spec.name, timeout_s)
        if not positions:
            continue
        ends = resolve(admin, [(t, p, "latest") for t, p, _ in positions], timeout_s)
        lag: dict[str, int] = {}
        for t, p, offset in positions:
            lag[t] = lag.get(t, 0) + max(0, ends[(t, p, "latest")] - offset)
        for topic, n in sorted(lag.items()):
            out.append(("kplan_consumer_group_lag", "Records the declared consumer group has not committed yet, by "
                        "topic: the end offsets minus its committed offsets, summed over the partitions it has "
                        "committed", {"group": spec.name, "topic": topic}, float(n)))
    return out
