"""What plan reads of a mirror's source (`mirrors:`, kplan.model.mirror): the source cluster's topics the mirror
replicates, with their end offsets, and the end offsets of their replicas on the target (this cluster), so that the
plan can say which topics a change adds or drops and `status` how far each replica is behind. One metadata request
and one ListOffsets request per cluster; a source that cannot be read is said so, never guessed."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.model.mirror import MirrorRead, MirrorSpec
from kplan.secrets import SecretValues
from kplan.transport.kafka import admin_client, dispose


def _partition_ends(admin: Any, partitions: Mapping[str, int], timeout_s: float) -> dict[tuple[str, int], int]:
    """(topic, partition) -> its end offset (ListOffsets, latest)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    if not partitions:
        return {}
    request = {TopicPartition(t, p): OffsetSpec.latest() for t, n in partitions.items() for p in range(n)}
    return {(tp.topic, tp.partition): future.result(timeout=timeout_s + 1).offset
            for tp, future in admin.list_offsets(request, request_timeout=timeout_s).items()}


def _summed(ends: Mapping[tuple[str, int], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (topic, _), end in ends.items():
        out[topic] = out.get(topic, 0) + end
    return out


def _committed(admin: Any, group: str, timeout_s: float) -> dict[tuple[str, int], int]:
    """A group's committed offsets (one group per request; [] for none)."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=timeout_s)[group]
    return {(tp.topic, tp.partition): tp.offset for tp in future.result(timeout=timeout_s + 2).topic_partitions or ()
            if tp.offset >= 0}


def _groups(mirror: MirrorSpec, source_admin: Any, target_admin: Any, source_ends: Mapping[tuple[str, int], int],
            target_ends: Mapping[tuple[str, int], int], timeout_s: float) -> dict[str, tuple[int, int | None]]:
    """Each of the mirror's groups on the source: the records it has left to read there, and from its translated
    offsets on the target (None: none yet), over the replicated topics' partitions it has committed on the source."""
    if not mirror.groups:
        return {}
    listed = source_admin.list_consumer_groups(request_timeout=timeout_s).result(timeout=timeout_s + 2)
    names = sorted(g.group_id for g in listed.valid if mirror.follows(g.group_id))
    out: dict[str, tuple[int, int | None]] = {}
    for group in names:
        on_source = {tp: o for tp, o in _committed(source_admin, group, timeout_s).items() if tp in source_ends}
        if not on_source:
            continue
        on_target = _committed(target_admin, group, timeout_s)
        left = sum(max(0, source_ends[tp] - o) for tp, o in on_source.items())
        replicas = [(mirror.target_name(t), p) for t, p in on_source]
        translated = [tp for tp in replicas if tp in on_target and tp in target_ends]
        out[group] = (left, sum(max(0, target_ends[tp] - on_target[tp]) for tp in translated)
                      if len(translated) == len(replicas) else None)
    return out


def _partitions(admin: Any, timeout_s: float) -> dict[str, int]:
    md = admin.list_topics(timeout=timeout_s)
    return {name: len(t.partitions) for name, t in md.topics.items() if t.error is None}


def read_mirrors(mirrors: Sequence[MirrorSpec], target_admin: Any, secrets: SecretValues, timeout_s: float
                 ) -> dict[str, MirrorRead]:
    """Each mirror's read (by name): its source's replicated topics and their replicas on the target."""
    out: dict[str, MirrorRead] = {}
    try:
        target = _partitions(target_admin, timeout_s)
    except Exception as e:  # noqa: BLE001 - the target was just read; a failure now is said per mirror
        return {m.name: MirrorRead(problem=f"the target's topics could not be listed: {e}") for m in mirrors}
    for mirror in mirrors:
        if mirror.source is None:
            continue
        admin = admin_client(mirror.source, secrets)
        try:
            source = _partitions(admin, timeout_s)
            topics = {t: n for t, n in source.items() if mirror.replicates(t)}
            replicas = {mirror.target_name(t): target[mirror.target_name(t)] for t in topics
                        if mirror.target_name(t) in target}
            source_ends = _partition_ends(admin, topics, timeout_s)
            target_ends = _partition_ends(target_admin, replicas, timeout_s)
            out[mirror.name] = MirrorRead(tuple(sorted(source)), _summed(source_ends), _summed(target_ends),
                                          _groups(mirror, admin, target_admin, source_ends, target_ends, timeout_s))
        except Exception as e:  # noqa: BLE001 - unreachable, refused, timed out: all mean "not read"
            out[mirror.name] = MirrorRead(problem=f"source {mirror.source_alias} "
                                                  f"({mirror.source.bootstrap_servers}) could not be read: {e}")
        finally:
            dispose(admin)
    return out
