"""Share groups (KIP-932, "queues for Kafka") through kplan's own Kafka client (kplan.transport.wire.client): the
requests both the consumer context (kplan.cluster.consumers: the share readers of the topics a plan disrupts) and the
share-group kind's io (its plan-time read and its writes) make — whether the cluster takes them, the listing, a
group's description and start offsets, and a refusal's line.

Why not librdkafka: confluent-kafka 2.16 has no share-group call (its group listing and describe know consumer groups
only: a share group is described as GROUP_ID_NOT_FOUND). The messages are made from Kafka's message JSON
(kplan.transport.share_protocol); each goes to the group's coordinator (FindCoordinator, key type GROUP).

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
  GROUP config resources like a consumer group's (a group config, docs/group-configs.md).
* Kafka 3.9 has none of these requests; a 4.x cluster with share.version 0 refuses them.
Rights: describing needs DESCRIBE on the group (and on the topics), altering and deleting offsets READ on the group
and on the topics.
"""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

from kplan.errors import KplanError
from kplan.transport.groups import group_denied
from kplan.transport.wire.client import Client, error_name
from kplan.transport.wire.codec import Refused

Position = tuple[str, int, int]
T = TypeVar("T")
RIGHTS = {"describe": "DESCRIBE on the group and on its topics",
          "move the start offsets of": "READ on the group and on the topics it moves"}


def supported(client: Client, declared: bool | None = None) -> str | None:
    """None when the cluster takes share-group requests; else why not (one clause). `declared`: whether the stack's
    `features` turn share.version on (None: not declared), which then stands for the finalized level: the feature's
    step runs first."""
    from kplan.transport.share_protocol import AlterShareGroupOffsetsRequest, DescribeShareGroupOffsetsRequest

    if not (client.serves(DescribeShareGroupOffsetsRequest) and client.serves(AlterShareGroupOffsetsRequest)):
        return "the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with share.version 1)"
    if not (client.finalized("share.version") >= 1 if declared is None else declared):
        return ("share groups are not enabled on the cluster (feature share.version is 0): enable them with "
                "kafka-features.sh upgrade --feature share.version=1, or declare share.version at 1 in the stack's "
                "features (applied before the share groups)")
    return None


def problem(name: str, action: str, group: str, message: str | None = None, who: str | None = None) -> str:
    """One line for a refused share-group request; a denied one names the ACLs kplan's principal needs."""
    denied = group_denied(name, action, f"share group {group}", RIGHTS[action], who, "docs/share-groups.md")
    return denied or f"could not {action} share group {group}: {name}" + (f" ({message})" if message else "")


def ask(client: Client, group: str, request: Any, action: str, who: str | None) -> Any:
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


Described = tuple[str, int, dict[str, tuple[int, ...]]]
Starts = dict[tuple[str, int], tuple[int, int]]


def describe(client: Client, group: str, who: str | None = None) -> Described:
    """(state, member count, topic -> the partitions its members are assigned); ("Dead", 0, {}) for no such group."""
    return taken(describe_all(client, [group], who), group)


def describe_all(client: Client, groups: list[str], who: str | None = None) -> dict[str, Described | Refused]:
    """group -> `describe`'s answer, or its refusal: one ShareGroupDescribe per coordinator."""
    from kplan.transport.share_protocol import ShareGroupDescribeRequest

    def request(batch: list[str]):
        return ShareGroupDescribeRequest(group_ids=batch, include_authorized_operations=False)

    out: dict[str, Described | Refused] = {g: ("Dead", 0, {}) for g in groups}
    for g in _answered(client, groups, request, who, out):
        assigned: dict[str, set[int]] = {}
        for m in g.members or ():
            for tp in m.assignment.topic_partitions or ():
                assigned.setdefault(tp.topic_name, set()).update(tp.partitions)
        out[g.group_id] = (g.group_state or "Unknown", len(g.members or ()),
                           {t: tuple(sorted(p)) for t, p in assigned.items()})
    return out


def start_offsets(client: Client, group: str, who: str | None = None) -> Starts:
    """(topic, partition) -> (start offset, lag) of the group's initialised share-partitions (lag -1: unknown)."""
    return taken(start_offsets_of(client, [group], who), group)


def start_offsets_of(client: Client, groups: list[str], who: str | None = None) -> dict[str, Starts | Refused]:
    """group -> `start_offsets`' answer, or its refusal, after one FindCoordinator: one DescribeShareGroupOffsets a
    group (Kafka 4.3.1 answers one of several groups ~2 s late most times: 15 of 20 requests for 10 groups took
    1.7-2.4 s, each of the 10 groups alone 3-7 ms)."""
    from kplan.transport.share_protocol import DescribeShareGroupOffsetsRequest

    def request(batch: list[str]):
        return DescribeShareGroupOffsetsRequest(groups=[(g, None) for g in batch])

    out: dict[str, Starts | Refused] = {g: {} for g in groups}
    for g in _answered(client, groups, request, who, out, most=1):
        starts: Starts = {}
        for t in g.topics or ():
            for p in t.partitions or ():
                if p.error_code == 0 and p.start_offset >= 0:
                    starts[(t.topic_name, p.partition_index)] = (p.start_offset, getattr(p, "lag", -1))
        out[g.group_id] = starts
    return out


def _answered(client: Client, groups: list[str], request: Any, who: str | None, out: dict[str, Any],
              most: int | None = None) -> list[Any]:
    """The answers of the groups found to `request(batch)`, one request per coordinator (per `most` of its groups); a
    group refused (its coordinator's lookup, or its answer) gets its refusal in `out`."""
    answers, refused = client.to_coordinators(groups, request, most) if groups else ([], {})
    for g, name in refused.items():
        out[g] = Refused(problem(name, "describe", g, None, who), name)
    found = []
    for g in (g for answer in answers for g in answer.groups):
        try:
            if _found(g, g.group_id, who):
                found.append(g)
        except Refused as e:
            out[g.group_id] = e
    return found


def taken(answers: Mapping[str, T | Refused], group: str) -> T:
    """One group's answer of a batch; its refusal raised."""
    answer = answers[group]
    if isinstance(answer, Refused):
        raise answer
    return answer


def _found(answer: Any, group: str, who: str | None) -> bool:
    """Whether a group's answer describes it: False for no such group; a refusal raises."""
    if not answer.error_code:
        return True
    name = error_name(answer.error_code)
    if name == "GROUP_ID_NOT_FOUND":
        return False
    raise Refused(problem(name, "describe", group, answer.error_message, who), name)


def positions(client: Client, group: str, who: str | None = None) -> tuple[Position, ...]:
    """The group's start offsets, sorted (a partition not initialised is left out)."""
    return tuple(sorted((t, p, o) for (t, p), (o, _) in start_offsets(client, group, who).items()))

