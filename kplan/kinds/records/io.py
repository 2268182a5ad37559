"""The delete-records kind's I/O: the plan's follow-up read of the topics whose declared request is pending
(`follow_up`: kplan.kinds.records.kind.follow_up decides what to ask) and the step's writes (`RecordWrites`, on the
run's admin session).

Facts (confluent-kafka 2.16, Kafka 4.x KRaft, checked on the local stack): `delete_records` moves a partition's log
start offset (its low watermark, ListOffsets `earliest`) to the offset given within its answer; an offset at or
below the low watermark changes nothing and is answered without error (a resumed request is harmless); one above the
high watermark is refused with OFFSET_OUT_OF_RANGE. Consumer groups are listed once and their committed offsets on
every topic asked at once (one OffsetFetch per coordinator); share groups are listed (ListGroups, type `share`) and
their start offsets read (one DescribeShareGroupOffsets per coordinator), both with kplan's own Kafka client.
Without DESCRIBE on the cluster, Kafka lists only the groups the principal may describe and DescribeCluster leaves
its authorized operations out; with it, a group the principal may not describe is listed but its offsets are refused
(GROUP_AUTHORIZATION_FAILED). Either way the plan cannot rule out unread records, and says so (`unseen`)."""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping, Sequence

from kplan.errors import KplanError, WriteError
from kplan.kinds.records import kind
from kplan.kinds.records.model import Cut
from kplan.transport.group_offsets import committed, words
from kplan.transport.interrupts import held
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.log_offsets import resolve
from kplan.transport.permissions import principal
from kplan.transport.sessions import SessionsIO
from kplan.transport.share_groups import list_share_groups, start_offsets_of, supported
from kplan.transport.wire.client import Client, open_client
from kplan.transport.wire.codec import Refused
from kplan.words import plural

DENIED = ("GROUP_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED")


def sees_every_group(admin: Any, timeout_s: float) -> bool:
    """Whether kplan's principal may DESCRIBE the cluster: without it Kafka lists only the groups it may describe
    (and DescribeCluster leaves the principal's operations out, which therefore also says no)."""
    from confluent_kafka.admin import AclOperation

    try:
        ops = admin.describe_cluster(include_authorized_operations=True, request_timeout=timeout_s).result(
            timeout=timeout_s + 2).authorized_operations
    except Exception as e:  # noqa: BLE001
        raise KplanError(f"could not describe the cluster: {describe_kafka_error(e)}") from None
    return AclOperation.DESCRIBE in (ops or ())


def committed_on(admin: Any, client: Client, partitions: Mapping[str, int], timeout_s: float
                 ) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Every consumer group's committed offsets on these topics (topic -> [{group, partition, offset}]: the groups
    listed once, then asked for every topic at once in one request per coordinator), and the groups kplan's
    principal may not describe (listed, but their offsets unread)."""
    try:
        listing = admin.list_consumer_groups(request_timeout=timeout_s).result(timeout=timeout_s + 2)
        answers = committed(client, sorted(g.group_id for g in listing.valid), partitions)
    except Exception as e:  # noqa: BLE001
        raise KplanError(f"could not read the consumer groups' committed offsets on topic(s) "
                         f"{', '.join(sorted(partitions))}: {describe_kafka_error(e)}") from None
    found: dict[str, list[dict[str, Any]]] = {}
    denied = []
    for gid, got in sorted(answers.items()):
        if isinstance(got, str):
            if got not in DENIED:
                raise KplanError(f"could not read the consumer groups' committed offsets on topic(s) "
                                 f"{', '.join(sorted(partitions))}: {got}: {words(got)}")
            denied.append(gid)
            continue
        for topic, offsets in sorted(got.items()):
            for p, o in sorted(offsets.items()):
                found.setdefault(topic, []).append({"group": gid, "partition": p, "offset": o})
    return found, denied


def share_starts_on(client: Client, topics: Iterable[str]) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Every share group's start offsets on these topics (topic -> [{group, partition, offset, share}]: the first
    record it has not acknowledged), and the share groups kplan's principal may not describe; nothing on a cluster
    without share groups."""
    if supported(client) is not None:
        return {}, []
    wanted, denied = set(topics), []
    found: dict[str, list[dict[str, Any]]] = {}
    for group, starts in sorted(start_offsets_of(client, sorted(list_share_groups(client))).items()):
        if isinstance(starts, Refused):
            if starts.code not in DENIED:
                raise KplanError(str(starts)) from None
            denied.append(group)
            continue
        for (t, p), (o, _) in sorted(starts.items()):
            if t in wanted:
                found.setdefault(t, []).append({"group": group, "partition": p, "offset": o, "share": True})
    return found, denied


def unseen(every: bool, denied: Iterable[str], who: str | None) -> str | None:
    """Why the groups read may not be all of them, as the plan says it; None when they are."""
    whom = who or "kplan's principal"
    names = sorted(set(denied))
    if not every:
        return f"{whom} may not DESCRIBE the cluster, so Kafka lists only the groups it may describe"
    if names:
        return (f"{whom} may not DESCRIBE {plural(len(names), 'group')} ({', '.join(names[:5])}"
                f"{', ...' if len(names) > 5 else ''})")
    return None


class RecordsRead:
    """The follow-up read (kplan.kinds.records.live.RecordReads) on the batched reader's admin client, after its read
    (the topics' partition counts: its metadata of every topic), and a Kafka client of kplan's own for the share
    groups (which confluent-kafka does not speak), opened only when a request needs the groups."""

    def __init__(self, reader: Any):
        self.reader = reader

    def delete_records(self, queries: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        admin, timeout_s = self.reader.admin, self.reader.cluster.timeout_s
        counts = {t: meta[0] for t, meta in self.reader.last_metadata.items()}
        now_ms = int(time.time() * 1000)
        out: dict[str, dict[str, Any]] = {}
        wanted: set[tuple[str, int, Any]] = set()
        asked: dict[str, tuple[list[int], Any]] = {}
        for topic, q in sorted(queries.items()):
            n = counts.get(topic, 0)
            out[topic] = {"partitions": n, "at_ms": None}
            if not n:
                continue
            parts = [p for p in q.get("partitions") or range(n) if p < n]
            at = q.get("at_ms") if q.get("at_ms") is not None else (
                now_ms - int(q["ago_ms"]) if q.get("ago_ms") is not None else None)
            out[topic]["at_ms"] = at if q.get("ago_ms") is not None else None
            asked[topic] = (parts, at)
            wanted.update((topic, p, s) for p in parts for s in ("earliest", "latest", *(() if at is None else (at,))))
        found = resolve(admin, wanted, timeout_s) if wanted else {}
        for topic, (parts, at) in asked.items():
            declared = dict((p, o) for p, o in queries[topic].get("cuts") or ())
            out[topic]["marks"] = [
                {"partition": p, "low": found[(topic, p, "earliest")], "high": found[(topic, p, "latest")],
                 "target": found[(topic, p, at)] if at is not None else declared.get(p, found[(topic, p, "earliest")])}
                for p in parts]
        self._groups(out, [t for t in asked if queries[t].get("groups", True)])
        return out

    def _groups(self, out: dict[str, dict[str, Any]], topics: list[str]) -> None:
        """Each topic's consumer and share groups' positions, and why some may be missing (`unseen`)."""
        if not topics:
            return
        r = self.reader
        who, timeout_s = principal(r.cluster.client_properties), r.cluster.timeout_s
        every = sees_every_group(r.admin, timeout_s)
        with open_client(r.cluster, r.secrets) as client:
            shares, share_denied = share_starts_on(client, topics)
            consumers, denied = committed_on(r.admin, client, {t: out[t]["partitions"] for t in topics}, timeout_s)
        for topic in topics:
            out[topic]["groups"] = consumers.get(topic, []) + shares.get(topic, [])
            out[topic]["unseen"] = unseen(every, denied + share_denied, who)


def follow_up(stack: Any, live: Any, reader: Any, destroy: bool) -> Any:
    """The kind's follow-up read over the batched reader's (`RecordsRead`); a reader without a cluster (a live-state
    file's) as it is."""
    return kind.follow_up(stack, live, RecordsRead(reader) if hasattr(reader, "last_metadata") else reader, destroy)


class RecordWrites(SessionsIO):
    """A topic's low watermarks and their move (DeleteRecords), on the run's admin session."""

    def low_watermarks(self, topic: str, partitions: Iterable[int]) -> dict[int, int]:
        found = resolve(self.kafka.admin, [(topic, p, "earliest") for p in partitions], self.kafka.request_timeout())
        return {p: o for (_, p, _), o in found.items()}

    def delete_records(self, topic: str, offsets: Sequence[Cut]) -> None:
        """Delete the records before these offsets in one request, then read the low watermarks back: deleted only
        when the cluster shows each at (or past) its offset. Any partition refused is one error line."""
        from confluent_kafka import TopicPartition

        timeout_s = self.kafka.request_timeout()
        futures = self.kafka.admin.delete_records([TopicPartition(topic, p, o) for p, o in offsets],
                                                  request_timeout=timeout_s, operation_timeout=timeout_s)
        failed = []
        with held():  # Ctrl-C waits for the answers: a rollback must see what the request did
            for tp, f in futures.items():
                try:
                    f.result(timeout=timeout_s + 2)
                except Exception as e:  # noqa: BLE001
                    failed.append(f"{tp.topic}/{tp.partition}: {describe_kafka_error(e)}")
        if failed:
            raise WriteError(f"could not delete the records of topic {topic}: {failed[0]} ({len(failed)} partition(s) "
                             "refused)")
        lows = self.low_watermarks(topic, [p for p, _ in offsets])
        short = [f"{topic}/{p} at {lows.get(p)} (not {o})" for p, o in offsets if lows.get(p, -1) < o]
        if short:
            raise WriteError(f"topic {topic}: the cluster does not show the records deleted: low watermark "
                             f"{', '.join(short[:5])}")
