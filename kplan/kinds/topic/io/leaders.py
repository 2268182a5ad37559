"""Partition leaders: who leads each partition now (what `kplan plan --elect-leaders` compares with the preferred
replica), and the preferred leader election apply makes (ElectLeaders, PREFERRED), waited for in the metadata."""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.retry import ErrorClass, RetriableError, classify_kafka

Leaders = dict[str, tuple[int, ...]]  # topic -> the leader of each partition, by partition id (-1: none)


def read_leaders(admin: Any, names: Iterable[str], timeout_s: float) -> Leaders:
    """The leader of every partition of the named topics the metadata has (one metadata request)."""
    md = admin.list_topics(timeout=timeout_s)
    out: Leaders = {}
    for name in names:
        t = md.topics.get(name)
        if t is not None and t.error is None:
            out[name] = tuple(int(p.leader) for _, p in sorted(t.partitions.items()))
    return out


def elect_preferred(admin: Any, partitions: Mapping[str, Sequence[int]], timeout_s: float,
                    wait_s: float = 30.0) -> None:
    """ElectLeaders (PREFERRED) for `partitions`, then poll the metadata until each is led by its first replica.
    ELECTION_NOT_NEEDED (already led so) is a success; a transient error is retried by the caller."""
    from confluent_kafka import ElectionType, TopicPartition

    wanted = [TopicPartition(t, p) for t, ids in sorted(partitions.items()) for p in ids]
    if not wanted:
        return
    try:
        # no timeout keywords: confluent-kafka 2.16's elect_leaders refuses them (a format error in its C code)
        answers = admin.elect_leaders(ElectionType.PREFERRED, wanted).result(timeout=timeout_s + 5)
    except Exception as e:  # noqa: BLE001 - the request as a whole
        if classify_kafka(e) == ErrorClass.RETRIABLE:
            raise RetriableError(f"electing preferred leaders: {describe_kafka_error(e)}", False) from None
        raise WriteError(f"electing preferred leaders failed: {describe_kafka_error(e)}") from None
    for tp, err in sorted(answers.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
        if err is None:
            continue
        # a KafkaError (its name and text), or an exception carrying one
        text = f"{err.name()}: {err.str()}" if hasattr(err, "name") and hasattr(err, "str") else \
            describe_kafka_error(err)
        if "ELECTION_NOT_NEEDED" in text:
            continue
        if "PREFERRED_LEADER_NOT_AVAILABLE" in text or getattr(err, "retriable", lambda: False)():
            raise RetriableError(f"electing the preferred leader of {tp.topic}-{tp.partition}: {text}", False)
        raise WriteError(f"electing the preferred leader of {tp.topic}-{tp.partition} failed: {text}")
    deadline = time.monotonic() + wait_s
    while True:
        md = admin.list_topics(timeout=timeout_s)
        pending = [f"{t}-{p}" for t, ids in partitions.items() for p in ids
                   if t not in md.topics or p not in md.topics[t].partitions
                   or not md.topics[t].partitions[p].replicas
                   or md.topics[t].partitions[p].leader != md.topics[t].partitions[p].replicas[0]]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise WriteError("verification failed: the preferred replica does not lead " + ", ".join(pending[:10]))
        time.sleep(0.2)
