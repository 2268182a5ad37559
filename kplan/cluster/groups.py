"""Consumer groups on the wire (confluent-kafka's admin API): their state and members, committed offsets, the
positions a reset resolves to, and the writes. The plan reads only the groups whose declared request is pending
(kplan.kinds.group_request.kind.GroupRequestKind.follow_up); `KafkaAdmin` writes through these functions.

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
from typing import Any, Iterable, Mapping, Sequence

from kplan.errors import KplanError, WriteError
from kplan.transport.groups import describe_groups, group_problem
from kplan.transport.interrupts import held
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.reach import kafka_error_name

Position = tuple[str, int, int]

def committed(admin, group: str, timeout_s: float, who: str | None = None) -> tuple[Position, ...]:
    """The group's committed offsets, sorted (a partition without one is left out)."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                            request_timeout=timeout_s)[group]
    try:
        answer = fut.result(timeout=timeout_s + 2)
    except Exception as e:  # noqa: BLE001
        raise KplanError(group_problem(e, "describe", group, who)) from None
    return tuple(sorted((tp.topic, tp.partition, tp.offset) for tp in answer.topic_partitions or () if tp.offset >= 0))


def resolve(admin, wanted: Iterable[tuple[str, int, Any]], timeout_s: float) -> dict[tuple[str, int, Any], int]:
    """(topic, partition, spec) -> the offset the spec ("earliest", "latest" or a timestamp in ms) means now. Keyed
    by the spec too: two groups on one partition may ask for different positions, and each gets its own. One
    list_offsets request per distinct spec of a partition (a request asks one spec per partition), and one more
    for the partitions without a record after their timestamp: their end."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    def ask(specs: Mapping[tuple[str, int], Any]) -> dict[tuple[str, int], int]:
        if not specs:
            return {}
        request = {TopicPartition(t, p): (OffsetSpec.earliest() if s == "earliest" else OffsetSpec.latest()
                                          if s == "latest" else OffsetSpec.for_timestamp(int(s)))
                   for (t, p), s in specs.items()}
        out = {}
        for tp, fut in admin.list_offsets(request, request_timeout=timeout_s).items():
            try:
                out[(tp.topic, tp.partition)] = int(fut.result(timeout=timeout_s + 2).offset)
            except Exception as e:  # noqa: BLE001
                raise KplanError(f"could not read the offsets of {tp.topic}/{tp.partition}: "
                                 f"{describe_kafka_error(e)}") from None
        return out

    found: dict[tuple[str, int, Any], int] = {}
    for batch in spec_batches(wanted):
        found.update({(t, p, batch[(t, p)]): o for (t, p), o in ask(batch).items()})
    ends = ask({(t, p): "latest" for (t, p, _), o in found.items() if o < 0})
    return {k: ends.get((k[0], k[1]), o) if o < 0 else o for k, o in found.items()}


def spec_batches(wanted: Iterable[tuple[str, int, Any]]) -> list[dict[tuple[str, int], Any]]:
    """The distinct (topic, partition, spec) asked, as list_offsets requests: each holds a partition at most once
    (the n-th request holds each partition's n-th distinct spec), so as many requests as the most specs one
    partition is asked for."""
    per: dict[tuple[str, int], list[Any]] = {}
    for t, p, s in wanted:
        if s not in per.setdefault((t, p), []):
            per[(t, p)].append(s)
    return [{tp: specs[i] for tp, specs in sorted(per.items()) if len(specs) > i}
            for i in range(max((len(v) for v in per.values()), default=0))]


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


def alter_offsets(admin, group: str, offsets: Iterable[Position], timeout_s: float, who: str | None = None) -> None:
    """Set the group's committed offsets in one request; any partition refused is one error line (a group with
    members answers UNKNOWN_MEMBER_ID for each)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    tps = [TopicPartition(t, p, o) for t, p, o in offsets]
    fut = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, tps)],
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


def delete_group(admin, group: str, timeout_s: float, who: str | None = None) -> bool:
    """Delete the group; False when it did not exist (GROUP_ID_NOT_FOUND)."""
    fut = admin.delete_consumer_groups([group], request_timeout=timeout_s)[group]
    try:
        with held():  # (as in alter_offsets)
            fut.result(timeout=timeout_s + 2)
    except Exception as e:  # noqa: BLE001
        name = kafka_error_name(e)
        if name == "GROUP_ID_NOT_FOUND":
            return False
        if name == "NON_EMPTY_GROUP":
            raise WriteError(f"consumer group {group} has live members: Kafka refused to delete it (NON_EMPTY_GROUP);"
                             " stop its consumers and run apply again") from None
        raise WriteError(group_problem(e, "delete", group, who)) from None
    return True
