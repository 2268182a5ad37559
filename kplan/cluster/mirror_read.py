"""What plan reads of a mirror's source (`mirrors:`, kplan.model.mirror): the source cluster's topics the mirror
replicates, with their end offsets, and the end offsets of their replicas on the target (this cluster), so that the
plan can say which topics a change adds or drops and `status` how far each replica is behind. One metadata request
and one ListOffsets request per cluster; a source that cannot be read is said so, never guessed."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.model.mirror import MirrorRead, MirrorSpec
from kplan.secrets import SecretValues
from kplan.transport.kafka import admin_client, dispose


def _ends(admin: Any, partitions: Mapping[str, int], timeout_s: float) -> dict[str, int]:
    """topic -> its end offsets summed over its partitions (ListOffsets, latest)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    if not partitions:
        return {}
    request = {TopicPartition(t, p): OffsetSpec.latest() for t, n in partitions.items() for p in range(n)}
    out = {t: 0 for t in partitions}
    for tp, future in admin.list_offsets(request, request_timeout=timeout_s).items():
        out[tp.topic] += future.result(timeout=timeout_s + 1).offset
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
            out[mirror.name] = MirrorRead(tuple(sorted(source)), _ends(admin, topics, timeout_s),
                                          _ends(target_admin, replicas, timeout_s))
        except Exception as e:  # noqa: BLE001 - unreachable, refused, timed out: all mean "not read"
            out[mirror.name] = MirrorRead(problem=f"source {mirror.source_alias} "
                                                  f"({mirror.source.bootstrap_servers}) could not be read: {e}")
        finally:
            dispose(admin)
    return out
