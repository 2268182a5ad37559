"""Share groups (KIP-932, "queues for Kafka") through kplan's own Kafka client (kplan.transport.wire.client): the
plan's reads (a group's state, members and start offsets, the positions a reset resolves to), the consumer context's
share readers of the topics a plan disrupts, and the writes a share-group request makes.

Why not librdkafka: confluent-kafka 2.16 has no share-group call (its group listing and describe know consumer groups
only: a share group is described as GROUP_ID_NOT_FOUND). The messages are made from Kafka's message JSON
(kplan.cluster.share_protocol); each goes to the group's coordinator (FindCoordinator, key type GROUP).

What the brokers say (checked on Kafka 4.3.1, share.version 1, which 4.3.1 enables by default):
* ListGroups v5 with the type filter `share` lists every share group with its state (Empty, Stable, Dead).
* ShareGroupDescribe (v1; v0 was 4.0's early access) answers an unknown group with GROUP_ID_NOT_FOUND; a member
  carries its assignment (topic names and partitions).
* DescribeShareGroupOffsets v1 gives each share-partition's start offset (the first record not yet acknowledged:
  -1 while the partition is not initialised) and its lag (KIP-1226; -1 when unknown); an unknown group answers no
  topics.
* AlterShareGroupOffsets refuses a group with members (NON_EMPTY_GROUP, "The group is not empty.", group-level) and
  creates an unknown group; DeleteShareGroupOffsets removes a group's start offsets of whole topics (the partitions
  are then initialised again by the group's `share.auto.offset.reset` when it next reads them).
* A share group's configs (share.auto.offset.reset, share.record.lock.duration.ms, share.session.timeout.ms...) are
  GROUP config resources like a consumer group's (kplan.cluster.group_configs).
* Kafka 3.9 has none of these requests; a 4.x cluster with share.version 0 refuses them.
Rights: describing needs DESCRIBE on the group (and on the topics), altering and deleting offsets READ on the group
and on the topics.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from kplan.errors import KplanError, WriteError
from kplan.transport.wire.client import Client, error_name, open_client
from kplan.transport.wire.codec import Refused
from kplan.transport.wire.connection import Unspoken

if TYPE_CHECKING:  # pragma: no cover
    from kplan.cluster.kafka_admin import KafkaAdmin
    from kplan.model.consumers import LiveGroup
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

Position = tuple[str, int, int]
RIGHTS = {"describe": "DESCRIBE on the group and on its topics",
          "move the start offsets of": "READ on the group and on the topics it moves"}


def supported(client: Client) -> str | None:
    """None when the cluster takes share-group requests; else why not (one clause)."""
    from kplan.cluster.share_protocol import AlterShareGroupOffsetsRequest, DescribeShareGroupOffsetsRequest

    if not (client.serves(DescribeShareGroupOffsetsRequest) and client.serves(AlterShareGroupOffsetsRequest)):
        return "the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with share.version 1)"
    if client.finalized("share.version") < 1:
        return ("share groups are not enabled on the cluster (feature share.version is 0): enable them with "
                "kafka-features.sh upgrade --feature share.version=1")
    return None


def problem(name: str, action: str, group: str, message: str | None = None, who: str | None = None) -> str:
    """One line for a refused share-group request; a denied one names the ACLs kplan's principal needs."""
    if name in ("GROUP_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED"):
        actor = f"kplan's principal {who}" if who else "kplan's principal"
        return (f"{actor} may not {action} share group {group} ({name}): it needs {RIGHTS[action]}; grant them with "
                "ACLs or run kplan as a principal that has them (docs/share-groups.md)")
    return f"could not {action} share group {group}: {name}" + (f" ({message})" if message else "")


def _ask(client: Client, group: str, request: Any, action: str, who: str | None) -> Any:
    """`request` to the group's coordinator; finding it refused is the same line as the request refused."""
    try:
        return client.to_coordinator(group, request)
    except Refused as e:
        raise Refused(problem(e.code, action, group, None, who), e.code) from None


def list_share_groups(client: Client) -> dict[str, str]:
    """group -> state, for every share group of the cluster (one ListGroups v5+ per broker: each lists the groups it
    coordinates)."""
    from kplan.transport.wire.messages import ListGroupsRequest

    out = {}
    for broker in client.brokers():
        answer = client.send(ListGroupsRequest(types_filter=["share"], min_version=5), broker)
        if answer.error_code:
            raise KplanError(f"the share groups could not be listed: {error_name(answer.error_code)}")
        out.update({g.group_id: g.group_state or "Unknown" for g in answer.groups if g.group_type == "share"})
    return out


def describe(client: Client, group: str, who: str | None = None
             ) -> tuple[str, int, dict[str, tuple[int, ...]]]:
    """(state, member count, topic -> the partitions its members are assigned); ("Dead", 0, {}) for no such group."""
    from kplan.cluster.share_protocol import ShareGroupDescribeRequest

    answer = _ask(client, group, ShareGroupDescribeRequest(group_ids=[group], include_authorized_operations=False),
                  "describe", who)
    for g in answer.groups:
        if g.error_code:
            name = error_name(g.error_code)
            if name == "GROUP_ID_NOT_FOUND":
                return "Dead", 0, {}
            raise Refused(problem(name, "describe", group, g.error_message, who), name)
        assigned: dict[str, set[int]] = {}
        for m in g.members or ():
            for tp in m.assignment.topic_partitions or ():
                assigned.setdefault(tp.topic_name, set()).update(tp.partitions)
        return g.group_state or "Unknown", len(g.members or ()), {t: tuple(sorted(p)) for t, p in assigned.items()}
    return "Dead", 0, {}


def start_offsets(client: Client, group: str, who: str | None = None
                  ) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) -> (start offset, lag) of the group's initialised share-partitions (lag -1: unknown)."""
    from kplan.cluster.share_protocol import DescribeShareGroupOffsetsRequest

    answer = _ask(client, group, DescribeShareGroupOffsetsRequest(groups=[(group, None)]), "describe", who)
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for g in answer.groups:
        if g.error_code:
            name = error_name(g.error_code)
            if name == "GROUP_ID_NOT_FOUND":
                return {}
            raise Refused(problem(name, "describe", group, g.error_message, who), name)
        for t in g.topics or ():
            for p in t.partitions or ():
                if p.error_code == 0 and p.start_offset >= 0:
                    out[(t.topic_name, p.partition_index)] = (p.start_offset, getattr(p, "lag", -1))
    return out


def positions(client: Client, group: str, who: str | None = None) -> tuple[Position, ...]:
    """The group's start offsets, sorted (a partition not initialised is left out)."""
    return tuple(sorted((t, p, o) for (t, p), (o, _) in start_offsets(client, group, who).items()))


# -- the plan's read ----------------------------------------------------------------------------------------------


def read_share_groups(admin, cluster: "ClusterSpec", secrets: "SecretValues | None",
                      queries: Mapping[str, Mapping[str, Any]], partitions: Mapping[str, int],
                      who: str | None = None, now_ms: int | None = None) -> tuple[dict[str, dict], str | None]:
    """What the plan shows for each pending share-group request (queries: kplan.kinds.group_request.model.query):
    its state, members and start offsets (as its `committed`), then `targets` as a consumer group's
    (kplan.cluster.groups.targets, resolved with `admin`, the reader's confluent-kafka admin client); or, on a cluster
    without share groups, nothing and why."""
    from kplan.cluster.groups import targets

    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    client = open_client(cluster, secrets)
    try:
        why = supported(client)
        if why is not None:
            return {}, why
        found = {n: (*describe(client, n, who)[:2], positions(client, n, who)) for n in sorted(queries)}
    finally:
        client.close()
    return targets(admin, queries, found, partitions, cluster.timeout_s, now_ms), None


# -- the consumer context ---------------------------------------------------------------------------------------


def share_readers(cluster: "ClusterSpec", secrets: "SecretValues | None",
                  topics: Mapping[str, int]) -> dict[str, "LiveGroup"]:
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
        found = (share_reader(client, gid, state, topics) for gid, state in sorted(list_share_groups(client).items()))
        return {group.group_id: group for group in found if group is not None}
    except Refused as e:
        raise KplanError(f"the share groups could not be read: {e}") from None
    finally:
        client.close()


def share_reader(client: Client, gid: str, state: str, topics: Mapping[str, int]) -> "LiveGroup | None":
    """One share group as the consumer context shows it, or None when it has no start offset nor assignment on
    `topics` (its start offsets and, unless Dead, its description: two requests to its coordinator)."""
    from kplan.model.consumers import LiveGroup, frozen
    from kplan.model.desired import freeze

    offsets = {k: v for k, v in start_offsets(client, gid).items() if k[0] in topics}
    live_state, members, assigned = describe(client, gid) if state != "Dead" else ("Dead", 0, {})
    assigned = {t: p for t, p in assigned.items() if t in topics}
    if not offsets and not assigned:
        return None
    committed: dict[str, dict[int, int]] = {}
    lags: dict[str, dict[int, int]] = {}
    for (t, p), (o, lag) in offsets.items():
        committed.setdefault(t, {})[p] = o
        if lag >= 0:
            lags.setdefault(t, {})[p] = lag
    return LiveGroup(gid, live_state, members, freeze({t: frozen(p) for t, p in committed.items()}), freeze(assigned),
                     "share", freeze({t: frozen(p) for t, p in lags.items()}))


# -- the writes ---------------------------------------------------------------------------------------------------


def _group_error(answer: Any) -> tuple[str, str | None] | None:
    if answer.error_code:
        return error_name(answer.error_code), answer.error_message
    return None


def alter(client: Client, group: str, offsets: Sequence[Position], who: str | None = None) -> None:
    """Set these start offsets of the group (one AlterShareGroupOffsets request); a refusal is one line."""
    from kplan.cluster.share_protocol import AlterShareGroupOffsetsRequest

    by_topic: dict[str, list[tuple[int, int]]] = {}
    for t, p, o in offsets:
        by_topic.setdefault(t, []).append((p, o))
    request = AlterShareGroupOffsetsRequest(group_id=group,
                                            topics=[(t, sorted(ps)) for t, ps in sorted(by_topic.items())])
    answer = _ask(client, group, request, "move the start offsets of", who)
    refused = _group_error(answer)
    if refused is None:
        failed = [(t.topic_name, p.partition_index, error_name(p.error_code), p.error_message)
                  for t in answer.responses or () for p in t.partitions or () if p.error_code]
        if failed:
            t, p, name, message = failed[0]
            refused = (name, f"{t}/{p}: {message or name}; {len(failed)} partition(s) refused")
    if refused is not None:
        name, message = refused
        if name == "NON_EMPTY_GROUP":
            raise WriteError(f"share group {group} has live members: Kafka refused to move its start offsets "
                             "(NON_EMPTY_GROUP); stop its consumers and run apply again")
        raise WriteError(problem(name, "move the start offsets of", group, message, who))


def delete(client: Client, group: str, topics: Sequence[str], who: str | None = None) -> None:
    """Remove the group's start offsets of these topics (one DeleteShareGroupOffsets request)."""
    from kplan.cluster.share_protocol import DeleteShareGroupOffsetsRequest

    answer = _ask(client, group, DeleteShareGroupOffsetsRequest(group_id=group, topics=[(t,) for t in topics]),
                  "move the start offsets of", who)
    refused = _group_error(answer) or next(((error_name(t.error_code), f"{t.topic_name}: {t.error_message}")
                                            for t in answer.responses or () if t.error_code), None)
    if refused is not None and refused[0] != "GROUP_ID_NOT_FOUND":
        name, message = refused
        if name == "NON_EMPTY_GROUP":
            raise WriteError(f"share group {group} has live members: Kafka refused to remove its start offsets "
                             "(NON_EMPTY_GROUP); stop its consumers and run apply again")
        raise WriteError(problem(name, "move the start offsets of", group, message, who))


def alter_verified(kafka: "KafkaAdmin", client: Client, group: str, offsets: Sequence[Position]) -> None:
    """Apply's write of a group's start offsets: asked again while it gets no answer (setting the same offsets twice is
    harmless), then read back."""
    who = kafka.who
    kafka.attempts.wire(f"moving the start offsets of share group {group}", lambda: alter(client, group, offsets, who))
    have = {(t, p): o for t, p, o in positions(client, group, who)}
    wrong = [f"{t}/{p}" for t, p, o in offsets if have.get((t, p)) != o]
    if wrong:
        raise WriteError(f"share group {group}: the cluster does not show the start offsets written for "
                         f"{', '.join(wrong[:5])}")


def delete_verified(kafka: "KafkaAdmin", client: Client, group: str, topics: Sequence[str]) -> None:
    """Apply's removal of a group's start offsets on whole topics: asked again while it gets no answer, then read
    back."""
    who = kafka.who
    kafka.attempts.wire(f"removing the start offsets of share group {group}",
                        lambda: delete(client, group, topics, who))
    left = sorted({t for t, _, _ in positions(client, group, who) if t in topics})
    if left:
        raise WriteError(f"share group {group} still shows start offsets on {', '.join(left)}")
