"""What plan reads for a mirror (`mirrors:`, kplan.model.mirror): on the source cluster, its topics, the end offsets
of those the mirror replicates and the committed offsets of the groups it translates; on the target (this cluster),
the replicas' end offsets and the checkpoints MirrorMaker wrote (`<source alias>.checkpoints.internal`: where each
group resumes on the replicas). So the plan can say which topics a change adds or drops, `status` how far each
replica is behind and how old the checkpoints are, and a failover drill where a group would resume. One metadata
and one ListOffsets request per cluster, one offsets read per group, one pass over the checkpoints topic. The target
is read first: a source that cannot be read (a failover: it is gone) is said so, never guessed, and the target's
part stays.

Whether the principals a mirror's connectors log in as have the rights MirrorMaker needs (kplan.model.mirror.needs,
docs/replication-facts.md (e)), asked of each cluster AS that principal: the mirror's `source.cluster.*` and
`target.cluster.*` logins are the clusters' own client settings, which kplan reads with, so kplan's clients there
are MirrorMaker's principals. The brokers answer with the operations the principal may perform (Kafka's
`include_authorized_operations`: super users and allow.everyone.if.no.acl.found included, which describe_acls
cannot show); a topic MirrorMaker creates is asked with a validate-only CreateTopics. A broker without an
authorizer answers no operations: nothing is then missing."""

from __future__ import annotations

import struct
import time
from functools import partial
from typing import Any, Callable, Mapping, Sequence

from kplan.model.desired import ClusterSpec, MirrorSpec
from kplan.model.mirror import TP, Checkpoint, MirrorRead, Need, needs
from kplan.secrets import SecretValues
from kplan.transport.acls import cluster_operations
from kplan.transport.groups import committed_offsets
from kplan.transport.kafka import admin_client, client_config, dispose, read_to_end
from kplan.transport.permissions import DENIED
from kplan.transport.reach import kafka_error_name


def _partition_ends(admin: Any, partitions: Mapping[str, int], timeout_s: float) -> dict[TP, int]:
    """(topic, partition) -> its end offset (ListOffsets, latest)."""
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import OffsetSpec

    if not partitions:
        return {}
    request = {TopicPartition(t, p): OffsetSpec.latest() for t, n in partitions.items() for p in range(n)}
    return {(tp.topic, tp.partition): future.result(timeout=timeout_s + 1).offset
            for tp, future in admin.list_offsets(request, request_timeout=timeout_s).items()}


def _source_groups(mirror: MirrorSpec, admin: Any, source_ends: Mapping[TP, int], timeout_s: float
                   ) -> tuple[dict[str, dict[TP, int]], list[str]]:
    """The committed offsets on the source of each group the mirror translates, over the replicated partitions, and
    every such group the source lists. A group whose offsets are refused to the principal (it may list every group,
    as DESCRIBE on the cluster allows, but not describe this one) has none: its missing right is asked with the
    others (`needs`), an error like them, not a source that could not be read."""
    if not mirror.groups:
        return {}, []
    listed = admin.list_consumer_groups(request_timeout=timeout_s).result(timeout=timeout_s + 2)
    groups = sorted(g.group_id for g in listed.valid if mirror.follows(g.group_id))
    out = {}
    for group in groups:
        try:
            committed = committed_offsets(admin, group, timeout_s)
        except Exception as e:
            if not refused(e):
                raise
            continue
        offsets = {tp: o for tp, o in committed.items() if tp in source_ends}
        if offsets:
            out[group] = offsets
    return out, groups


def _string(data: bytes, at: int) -> tuple[str, int]:
    (n,) = struct.unpack_from(">h", data, at)
    return data[at + 2:at + 2 + n].decode(), at + 2 + n


def decode_checkpoint(key: bytes, value: bytes, at_ms: int) -> Checkpoint | None:
    """A record of a checkpoints topic (MirrorMaker's `Checkpoint`: key group, topic (STRING: int16 length and UTF-8),
    partition (INT32); value a version (INT16, 0) then upstream offset, downstream offset (INT64) and metadata).
    None: not one (another version, or cut short)."""
    try:
        group, at = _string(key, 0)
        topic, at = _string(key, at)
        (partition,) = struct.unpack_from(">i", key, at)
        version, upstream, downstream = struct.unpack_from(">hqq", value, 0)
    except (struct.error, UnicodeDecodeError):
        return None
    return Checkpoint(group, topic, partition, upstream, downstream, at_ms) if version == 0 else None


def read_checkpoints(conf: Mapping[str, Any], topic: str, partitions: int, timeout_s: float) -> tuple[Checkpoint, ...]:
    """The latest checkpoint per (group, partition) in a checkpoints topic, read from its beginning to its end as of
    now (a compacted topic of a few records per group and partition)."""
    latest: dict[tuple[str, str, int], Checkpoint] = {}

    def take(msg: Any) -> None:
        key, value = msg.key(), msg.value()
        c = decode_checkpoint(key, value, msg.timestamp()[1]) if key is not None and value is not None else None
        if c is not None:
            latest[(c.group, c.topic, c.partition)] = c

    read_to_end(conf, topic, partitions, timeout_s, take, f"reading {topic}")
    return tuple(latest[k] for k in sorted(latest))


def _partitions(admin: Any, timeout_s: float) -> dict[str, int]:
    md = admin.list_topics(timeout=timeout_s)
    return {name: len(t.partitions) for name, t in md.topics.items() if t.error is None}


def _target_part(mirror: MirrorSpec, target: Mapping[str, int], conf: Mapping[str, Any], timeout_s: float
                 ) -> tuple[tuple[Checkpoint, ...], str | None]:
    """The mirror's checkpoints on the target (none before its checkpoint connector wrote one), or why not read: those
    of its groups on its replicas (every mirror from the same source alias writes to the same topic)."""
    topic = mirror.checkpoints_topic()
    if not mirror.groups or topic not in target:
        return (), None
    try:
        return tuple(c for c in read_checkpoints(conf, topic, target[topic], timeout_s)
                     if mirror.follows(c.group) and mirror.is_replica(c.topic)), None
    except Exception as e:  # noqa: BLE001 - refused, timed out: the checkpoints are then not known
        return (), f"its checkpoints ({topic} on the target) could not be read: {e}"


def _lacking(source_admin: Any, target_admin: Any, wanted: Sequence[Need], timeout_s: float
             ) -> tuple[tuple[Need, ...], str | None]:
    """The rights each side's principal lacks, or why they could not be asked."""
    try:
        return (missing_rights(source_admin, [n for n in wanted if n.side == "source"], timeout_s)
                + missing_rights(target_admin, [n for n in wanted if n.side == "target"], timeout_s)), None
    except Exception as e:  # noqa: BLE001 - timed out, cut off: the rights are then not known
        return (), f"MirrorMaker's rights could not be checked: {e}"


def read_mirrors(mirrors: Sequence[MirrorSpec], target_admin: Any, secrets: SecretValues, timeout_s: float,
                 target: ClusterSpec) -> dict[str, MirrorRead]:
    """Each mirror's read (by name): the target's part first (its replicas' end offsets, its checkpoints), then its
    source's (topics, end offsets, the translated groups' offsets)."""
    out: dict[str, MirrorRead] = {}
    try:
        topics = _partitions(target_admin, timeout_s)
    except Exception as e:  # noqa: BLE001 - the target was just read; a failure now is said per mirror
        return {m.name: MirrorRead(problem=f"the target's topics could not be listed: {e}") for m in mirrors}
    conf = client_config(target, secrets)
    for mirror in mirrors:
        if mirror.source is None:
            continue
        read_ms = int(time.time() * 1000)
        checkpoints, checkpoint_problem = _target_part(mirror, topics, conf, timeout_s)
        replicas = {t: n for t, n in topics.items() if mirror.is_replica(t)}
        try:
            target_ends = _partition_ends(target_admin, replicas, timeout_s)
        except Exception as e:  # noqa: BLE001
            out[mirror.name] = MirrorRead(problem=f"the replicas' end offsets could not be read: {e}")
            continue
        admin = admin_client(mirror.source, secrets)
        try:
            source = _partitions(admin, timeout_s)
            source_ends = _partition_ends(admin, {t: n for t, n in source.items() if mirror.replicates(t)}, timeout_s)
            groups, listed = _source_groups(mirror, admin, source_ends, timeout_s)
            wanted = needs(mirror, sorted(source), sorted(topics), sorted({*listed, *mirror.literal_groups()}))
            lacking, rights_problem = _lacking(admin, target_admin, wanted, timeout_s)
            out[mirror.name] = MirrorRead(tuple(sorted(source)), source_ends, target_ends, groups, checkpoints, read_ms,
                                          checkpoint_problem=checkpoint_problem, missing=lacking,
                                          rights_problem=rights_problem,
                                          principals={"source": principal_of(mirror.source),
                                                      "target": principal_of(target)})
        except Exception as e:  # noqa: BLE001 - unreachable, refused, timed out: all mean "not read"
            out[mirror.name] = MirrorRead(target_ends=target_ends, checkpoints=checkpoints, read_ms=read_ms,
                                          problem=f"source {mirror.source_alias} ({mirror.source.bootstrap_servers}) "
                                                  f"could not be read: {e}", checkpoint_problem=checkpoint_problem)
        finally:
            dispose(admin)
    return out


def principal_of(cluster: ClusterSpec) -> str:
    """The principal a cluster's client settings log in as (for messages): User:<sasl.username>, or User:ANONYMOUS
    without SASL nor a client certificate."""
    props = cluster.client_properties
    if props.get("sasl.username"):
        return f"User:{props['sasl.username']}"
    if cluster.aws_msk_iam is not None or props.get("sasl.mechanisms") or props.get("sasl.mechanism"):
        return "its SASL principal"
    if props.get("ssl.certificate.location") or props.get("ssl.keystore.location"):
        return "its TLS certificate's principal"
    return "User:ANONYMOUS"


def refused(error: BaseException) -> bool:
    """Whether a client's exception is the broker refusing the principal a right (an authorisation failure)."""
    return kafka_error_name(error) in DENIED


def _operations(future: Any, timeout_s: float) -> frozenset[str] | None:
    ops = future.result(timeout=timeout_s + 2).authorized_operations
    return None if ops is None else frozenset(o.name for o in ops)


def _created(future: Any, timeout_s: float) -> frozenset[str]:
    future.result(timeout=timeout_s + 2)  # raises unless the topic would be created
    return frozenset({"CREATE"})


def missing_rights(admin: Any, wanted: Sequence[Need], timeout_s: float) -> tuple[Need, ...]:
    """Of one side's needs, those its principal (the admin client's) lacks: one describe per resource kind, one
    validate-only create for the topics not there yet."""
    from confluent_kafka import TopicCollection
    from confluent_kafka.admin import NewTopic

    granted: dict[tuple[str, str], frozenset[str] | None] = {}

    def answer(key: tuple[str, str], ask: Callable[[], frozenset[str] | None]) -> None:
        try:
            granted[key] = ask()
        except Exception as e:  # noqa: BLE001 - refused: no right on it at all; anything else (a create's policy,
            granted[key] = frozenset() if refused(e) else None  # the factor) is not about rights: not known

    def operations(resource: str, futures: Mapping[str, Any]) -> None:
        for name, future in futures.items():
            answer((resource, name), partial(_operations, future, timeout_s))

    topics = sorted({n.name for n in wanted if n.resource == "topic" and not n.create})
    if topics:
        operations("topic", admin.describe_topics(TopicCollection(topics), include_authorized_operations=True,
                                                  request_timeout=timeout_s))
    groups = sorted({n.name for n in wanted if n.resource == "group"})
    if groups:
        operations("group", admin.describe_consumer_groups(groups, include_authorized_operations=True,
                                                           request_timeout=timeout_s))
    if any(n.resource == "cluster" for n in wanted):
        answer(("cluster", "kafka-cluster"), lambda: cluster_operations(admin, timeout_s))
    created = sorted({n.name for n in wanted if n.create})
    if created:
        asked = [NewTopic(t, num_partitions=1, replication_factor=-1) for t in created]
        for name, future in admin.create_topics(asked, validate_only=True, request_timeout=timeout_s).items():
            answer(("create", name), partial(_created, future, timeout_s))
    lacking = [(n, granted.get(("create", n.name) if n.create else (n.resource, n.name))) for n in wanted]
    return tuple(sorted(n for n, ops in lacking if ops is not None and n.operation not in ops and "ALL" not in ops))
