"""The consumer groups reading the topics a plan disrupts (kplan.kinds.consumer_guard, docs/consumers.md): one follow-up
read after planning, only for those topics, every request bounded by `cluster.timeout`.

Batched as the admin API allows: the groups are listed once (state and protocol of each); their committed offsets
asked with one request per group (Kafka's OffsetFetch answers one group each here), all in flight at once and
limited to the disrupted topics' partitions; then one describe call for the groups that may read the topics: those
with offsets there, and those the listing shows with members (any state but Empty and Dead) — their members'
assignments say which topics they read, so a group that never commits (auto commit off, as Flink, Spark and
hand-committing services run) is seen too. Groups of both protocols are described (kplan.transport.groups);
share groups (KIP-932), which confluent-kafka does not list, through kplan's own Kafka client (`share_readers`).
Then the log end offsets (and, for a retention.ms cut, the first offset within the new retention: a ListOffsets by
timestamp) in one call; then, for the partitions a group lags on, the timestamp of the record at its committed
offset, fetched by a consumer that joins no group and commits nothing (one fetch round per distinct offset on a
partition). What cannot be read in time is left out, never guessed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from kplan.errors import KplanError
from kplan.model.consumers import IDLE_STATES, LiveConsumers, LiveGroup, TopicPositions
from kplan.model.desired import freeze
from kplan.transport.acls import cluster_operations
from kplan.transport.group_offsets import Offsets, words
from kplan.transport.group_offsets import committed as committed_offsets
from kplan.transport.groups import assignment_of, check_client, protocol_word, state_name
from kplan.transport.permissions import principal
from kplan.transport.reach import kafka_error_name
from kplan.transport.share_groups import (
    Described,
    Starts,
    describe_all,
    list_share_groups,
    start_offsets_of,
    supported,
    taken,
)
from kplan.transport.wire.client import Client, open_client
from kplan.transport.wire.codec import Refused
from kplan.transport.wire.connection import Unspoken

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

PEEK_GROUP = "kplan-consumer-context"  # the timestamp reader's group.id: assigned partitions only, never joined


def read_consumers(admin, conf: Mapping[str, Any], topics: Mapping[str, int], cuts: Mapping[str, int],
                   timeout_s: float, share: Callable[[Mapping[str, int]], Mapping[str, LiveGroup]] | None = None,
                   offsets: Callable[[list[str], Mapping[str, int]], Mapping[str, Offsets | str] | None] | None = None
                   ) -> LiveConsumers:
    """The groups assigned or with committed offsets on `topics` (name -> partition count), the topics' positions,
    and the timestamps at the groups' positions; KplanError (one line) when the groups cannot be listed or read.
    `share`: the share groups on `topics` (`share_readers`: confluent-kafka lists no share
    group), shown beside the consumer groups. `offsets`: the groups' committed offsets on `topics` in one request per
    coordinator (`group_offsets`); without it, or when it answers None, librdkafka's call asks one group each."""
    check_client()
    deadline = time.monotonic() + timeout_s
    now_ms = int(time.time() * 1000)
    # the share groups are read on a thread of their own meanwhile (their client's import alone takes ~1 s cold)
    shared = _started(share, topics)
    try:
        if not {"DESCRIBE", "ALL"} & cluster_operations(admin, timeout_s):
            who = f" {principal(conf)}" if principal(conf) else ""
            raise KplanError(f"kplan's principal{who} may not DESCRIBE the cluster: Kafka lists it only the consumer "
                             "groups it may describe, so a group reading the topics may be missing")
        listing = admin.list_consumer_groups(request_timeout=timeout_s).result(timeout=_left(deadline))
        ids = sorted(g.group_id for g in listing.valid)
        with_members = {g.group_id for g in listing.valid if state_name(g.state) not in IDLE_STATES}
        committed = _committed(admin, ids, topics, timeout_s, deadline, offsets)
        described = {}
        asked = sorted(set(committed) | with_members)
        if asked:
            for gid, f in admin.describe_consumer_groups(asked, request_timeout=timeout_s).items():
                try:
                    described[gid] = f.result(timeout=_left(deadline))
                except KplanError:
                    raise
                except Exception as e:  # noqa: BLE001
                    if gid in committed or kafka_error_name(e) != "GROUP_ID_NOT_FOUND":
                        raise
                    # listed but gone since, or not a consumer group (a share or streams group): it reads nothing
        end, kept = _positions(admin, topics, cuts, now_ms, timeout_s, deadline)
    except KplanError:
        raise
    except Exception as e:  # noqa: BLE001 - a refused or unanswered request: one line
        raise KplanError(f"the consumer groups could not be read: {_line(e)}") from None
    assigned = {gid: assignment_of(d, topics) for gid, d in described.items()}
    groups = {gid: LiveGroup(gid, state_name(d.state), len(d.members or ()),
                             freeze({t: freeze(p) for t, p in committed.get(gid, {}).items()}),
                             freeze({t: tuple(sorted(p)) for t, p in assigned[gid].items()}),
                             protocol_word(getattr(d, "type", None)))
              for gid, d in described.items() if committed.get(gid) or assigned[gid]}
    if shared is not None:
        try:
            groups.update(shared.result(timeout=_left(deadline)))
        except TimeoutError:
            raise KplanError("the share groups could not be read within cluster.timeout") from None
    stamps = _timestamps(conf, groups, end, deadline)
    return LiveConsumers(
        freeze(groups),
        freeze({t: TopicPositions(freeze(end.get(t, {})), freeze({ms: freeze(k) for ms, k in kept.get(t, {}).items()}),
                                  freeze({p: freeze(o) for p, o in stamps.get(t, {}).items()}))
                for t in topics}),
        now_ms)


def _committed(admin, ids: list[str], topics: Mapping[str, int], timeout_s: float, deadline: float,
               offsets: Callable[[list[str], Mapping[str, int]], Mapping[str, Offsets | str] | None] | None
               ) -> dict[str, Offsets]:
    """group -> its committed offsets on `topics`, for the groups with any: `offsets`' batched read, or
    librdkafka's call, one group each (all in flight at once)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    batched = offsets(ids, topics) if offsets is not None and ids else None
    if batched is not None:
        failed = sorted(g for g, got in batched.items() if isinstance(got, str))
        if failed:
            raise KplanError(f"the consumer groups could not be read: group {failed[0]}: "
                             f"{words(str(batched[failed[0]]))}")
        return {gid: got for gid, got in batched.items() if got and not isinstance(got, str)}
    wanted = [TopicPartition(t, p) for t in sorted(topics) for p in range(topics[t])]
    futures = {}
    for gid in ids:
        futures.update(admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(gid, wanted)], request_timeout=timeout_s))
    committed = {}
    for gid, f in futures.items():
        found = _offsets(f.result(timeout=_left(deadline)).topic_partitions)
        if found:
            committed[gid] = found
    return committed


def _started(share: Callable[[Mapping[str, int]], Mapping[str, LiveGroup]] | None, topics: Mapping[str, int]):
    """`share(topics)` running on a thread of its own (a future), or None."""
    if share is None:
        return None
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="kplan-share-groups")
    try:
        return pool.submit(share, topics)
    finally:
        pool.shutdown(wait=False)  # the thread ends with its read


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise KplanError("the consumer groups could not be read within cluster.timeout")
    return left + 2.0  # a request in flight at the deadline gets 2 s more to answer (docs/architecture.md)


def group_offsets(cluster: "ClusterSpec", secrets: "SecretValues | None", groups: list[str],
                  topics: Mapping[str, int]) -> dict[str, Offsets | str] | None:
    """Every group's committed offsets on `topics`, or the error Kafka answered for it, in one OffsetFetch per
    coordinator (kplan.transport.group_offsets); None when kplan's own Kafka client does not speak the stack's
    cluster.client properties."""
    try:
        client = open_client(cluster, secrets)
    except Unspoken:
        return None
    with client:
        return committed_offsets(client, groups, topics)


def _line(e: BaseException) -> str:
    err = e.args[0] if e.args else None
    return getattr(err, "str", lambda: str(e))() if hasattr(err, "str") else str(e) or type(e).__name__


def _offsets(tps) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = {}
    for tp in tps or ():
        if tp.error is None and tp.offset >= 0:
            out.setdefault(tp.topic, {})[tp.partition] = tp.offset
    return out


def _positions(admin, topics: Mapping[str, int], cuts: Mapping[str, int], now_ms: int, timeout_s: float,
               deadline: float):
    """(end offsets, kept_from) by topic and partition: one ListOffsets for the ends and every cut's boundary (a
    partition with no record inside the new retention keeps nothing: its boundary is its end)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    ask = {TopicPartition(t, p): OffsetSpec.latest() for t in topics for p in range(topics[t])}
    answers = {(tp.topic, tp.partition): f for tp, f in admin.list_offsets(ask, request_timeout=timeout_s).items()}
    end: dict[str, dict[int, int]] = {}
    for (t, p), f in answers.items():
        end.setdefault(t, {})[p] = f.result(timeout=_left(deadline)).offset
    kept: dict[str, dict[int, dict[int, int]]] = {}
    cut_ask = {TopicPartition(t, p): OffsetSpec.for_timestamp(now_ms - ms)
               for t, ms in cuts.items() if t in topics for p in range(topics[t])}
    if cut_ask:
        for tp, f in admin.list_offsets(cut_ask, request_timeout=timeout_s).items():
            offset = f.result(timeout=_left(deadline)).offset
            last = end.get(tp.topic, {}).get(tp.partition, 0)
            kept.setdefault(tp.topic, {}).setdefault(cuts[tp.topic], {})[tp.partition] = (
                offset if offset >= 0 else last)
    return end, kept


def _timestamps(conf: Mapping[str, Any], groups: Mapping[str, LiveGroup], end: Mapping[str, Mapping[int, int]],
                deadline: float) -> dict[str, dict[int, dict[int, int]]]:
    """topic -> partition -> offset -> the timestamp of the record there, for every position a group lags at; what
    the deadline leaves unread is left out (its age is then not shown)."""
    wanted: dict[tuple[str, int], set[int]] = {}
    for g in groups.values():
        for t, parts in g.committed.items():
            for p, o in parts.items():
                if o < end.get(t, {}).get(p, o):
                    wanted.setdefault((t, p), set()).add(o)
    out: dict[str, dict[int, dict[int, int]]] = {}
    if not wanted:
        return out
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**conf, "group.id": PEEK_GROUP, "enable.auto.commit": False,
                         "enable.partition.eof": False, "auto.offset.reset": "error", "fetch.wait.max.ms": 10})
    try:
        queues = {tp: sorted(offsets) for tp, offsets in wanted.items()}
        while queues and time.monotonic() < deadline:
            round_ = {tp: q.pop(0) for tp, q in queues.items()}
            queues = {tp: q for tp, q in queues.items() if q}
            consumer.assign([TopicPartition(t, p, o) for (t, p), o in round_.items()])
            pending = set(round_)
            while pending and time.monotonic() < deadline:
                wait = min(0.05, max(0.01, deadline - time.monotonic()))
                for m in consumer.consume(num_messages=len(pending), timeout=wait):
                    key = (m.topic(), m.partition())
                    if key not in pending:
                        continue  # a partition already read this round: its later records are not needed
                    if m.error() is None:
                        if (m.offset() or 0) < round_[key]:
                            continue  # fetched for an earlier round's position
                        kind, ts = m.timestamp()
                        # the record at the offset, or the first after it (the next ones compacted away); 0 is
                        # TIMESTAMP_NOT_AVAILABLE
                        if kind != 0:
                            out.setdefault(key[0], {}).setdefault(key[1], {})[round_[key]] = ts
                    pending.discard(key)  # read, or an error for it (e.g. its records deleted): left out
            consumer.unassign()
    finally:
        consumer.close()
    return out


def share_readers(cluster: "ClusterSpec", secrets: "SecretValues | None",
                  topics: Mapping[str, int]) -> dict[str, LiveGroup]:
    """The share groups assigned or with start offsets on `topics`, as the consumer context shows groups
    (kplan.model.consumers.LiveGroup, protocol "share": its start offsets as `committed`, the brokers' lag per
    partition as `lags`); none on a cluster without share groups, or when kplan's own Kafka client does not speak the
    stack's cluster.client properties."""
    try:
        client = open_client(cluster, secrets)
    except Unspoken:
        return {}  # a cluster.client property kplan's own client does not speak: none shown (docs/share-groups.md)
    try:
        if supported(client) is not None:
            return {}
        states = list_share_groups(client)
        starts, described = _share_positions(client, states)
        found = (share_reader(gid, taken(starts, gid), taken(described, gid), topics) for gid in sorted(states))
        return {group.group_id: group for group in found if group is not None}
    except Refused as e:
        raise KplanError(f"the share groups could not be read: {e}") from None
    finally:
        client.close()


def _share_positions(client: Client, states: Mapping[str, str]
                     ) -> tuple[dict[str, Starts | Refused], dict[str, Described | Refused]]:
    """Every share group's start offsets and description (a Dead one's without asking), after one FindCoordinator:
    one ShareGroupDescribe per coordinator, one DescribeShareGroupOffsets a group (kplan.transport.share_groups)."""
    ids = sorted(states)
    described: dict[str, Described | Refused] = {g: ("Dead", 0, {}) for g in ids}
    described.update(describe_all(client, [g for g in ids if states[g] != "Dead"]))
    return start_offsets_of(client, ids), described


def share_reader(gid: str, starts: Starts, described: Described, topics: Mapping[str, int]) -> LiveGroup | None:
    """One share group as the consumer context shows it, or None when it has no start offset nor assignment on
    `topics` (`starts`: its start offsets, `described`: its description; both asked of its coordinator, in one
    request for all the groups it coordinates)."""
    offsets = {k: v for k, v in starts.items() if k[0] in topics}
    live_state, members, assigned = described
    assigned = {t: p for t, p in assigned.items() if t in topics}
    if not offsets and not assigned:
        return None
    committed: dict[str, dict[int, int]] = {}
    lags: dict[str, dict[int, int]] = {}
    for (t, p), (o, lag) in offsets.items():
        committed.setdefault(t, {})[p] = o
        if lag >= 0:
            lags.setdefault(t, {})[p] = lag
    return LiveGroup(gid, live_state, members, freeze({t: freeze(p) for t, p in committed.items()}), freeze(assigned),
                     "share", freeze({t: freeze(p) for t, p in lags.items()}))
