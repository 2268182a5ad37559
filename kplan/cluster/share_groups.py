"""Share groups (KIP-932, "queues for Kafka") on the wire, through the kafka-python client: the plan's reads (a
group's state, members and start offsets, the positions a reset resolves to), the consumer context's share readers
of the topics a plan disrupts, and the writes a share-group request makes.

Why kafka-python: confluent-kafka 2.16 has no share-group call (its group listing and describe know consumer groups
only: a share group is described as GROUP_ID_NOT_FOUND). The requests are kafka-python's connection manager's, their
messages made from Kafka's message JSON (kplan.cluster.share_protocol); each goes to the group's coordinator
(FindCoordinator, key type GROUP).

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

from kplan.cluster.dynamic_configs import error_name
from kplan.cluster.kafka_python import KafkaPythonClient, KafkaPythonError, KafkaPythonUnreachable
from kplan.errors import KplanError, WriteError

if TYPE_CHECKING:  # pragma: no cover
    from kplan.cluster.kafka_python import KafkaPythonWriter
    from kplan.model.consumers import LiveGroup
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues

Position = tuple[str, int, int]
WHAT = "share group"
RIGHTS = {"describe": "DESCRIBE on the group and on its topics",
          "move the start offsets of": "READ on the group and on the topics it moves"}


def supported(client: KafkaPythonClient) -> str | None:
    """None when the cluster takes share-group requests; else why not (one clause)."""
    from kplan.cluster.share_protocol import AlterShareGroupOffsetsRequest, DescribeShareGroupOffsetsRequest

    admin = client._open(f"read {WHAT}s")
    versions = admin._manager.broker_version_data
    try:
        for request in (DescribeShareGroupOffsetsRequest, AlterShareGroupOffsetsRequest):
            versions.api_version(request)
    except Exception:  # noqa: BLE001 - IncompatibleBrokerVersion: the broker does not list the request
        return "the cluster has no share groups (KIP-932: Kafka 4.1 or newer, with share.version 1)"
    try:
        feature = admin.describe_features().get("share.version") or {}
    except Exception:  # noqa: BLE001 - a broker that cannot describe features: the API keys said enough
        return None
    if (feature.get("finalized") or (0, 0))[1] < 1:
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


def _send(client: KafkaPythonClient, group: str, request: Any) -> Any:
    """`request` to the group's coordinator."""
    from kafka.errors import KafkaError

    admin = client._open(f"read or change {WHAT}s")
    timeout_ms = client._conf["request_timeout_ms"]

    async def call():
        node = await admin._find_coordinator_id(group)
        return await admin._manager.send(request, node_id=node, request_timeout_ms=timeout_ms)

    try:
        return admin._manager.run(call)
    except KafkaError as e:
        raise KafkaPythonUnreachable(f"{WHAT} request to {client.cluster.bootstrap_servers} got no answer: "
                                     f"{type(e).__name__}") from None


def list_share_groups(client: KafkaPythonClient) -> dict[str, str]:
    """group -> state, for every share group of the cluster (one ListGroups per broker)."""
    admin = client._open(f"list {WHAT}s")
    try:
        found = admin.list_groups(types_filter=["share"])
    except Exception as e:  # noqa: BLE001
        raise KplanError(f"the share groups could not be listed: {type(e).__name__}: {e}") from None
    return {g["group_id"]: g.get("group_state") or "Unknown" for g in found if g.get("group_type") == "share"}


def describe(client: KafkaPythonClient, group: str, who: str | None = None
             ) -> tuple[str, int, dict[str, tuple[int, ...]]]:
    """(state, member count, topic -> the partitions its members are assigned); ("Dead", 0, {}) for no such group."""
    from kplan.cluster.share_protocol import ShareGroupDescribeRequest

    answer = _send(client, group, ShareGroupDescribeRequest(group_ids=[group], include_authorized_operations=False))
    for g in answer.groups:
        if g.error_code:
            name = error_name(g.error_code)
            if name == "GROUP_ID_NOT_FOUND":
                return "Dead", 0, {}
            raise KafkaPythonError(problem(name, "describe", group, g.error_message, who), name)
        assigned: dict[str, set[int]] = {}
        for m in g.members or ():
            for tp in m.assignment.topic_partitions or ():
                assigned.setdefault(tp.topic_name, set()).update(tp.partitions)
        return g.group_state or "Unknown", len(g.members or ()), {t: tuple(sorted(p)) for t, p in assigned.items()}
    return "Dead", 0, {}


def start_offsets(client: KafkaPythonClient, group: str, who: str | None = None
                  ) -> dict[tuple[str, int], tuple[int, int]]:
    """(topic, partition) -> (start offset, lag) of the group's initialised share-partitions (lag -1: unknown)."""
    from kplan.cluster.share_protocol import DescribeShareGroupOffsetsRequest

    answer = _send(client, group, DescribeShareGroupOffsetsRequest(groups=[(group, None)]))
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for g in answer.groups:
        if g.error_code:
            name = error_name(g.error_code)
            if name == "GROUP_ID_NOT_FOUND":
                return {}
            raise KafkaPythonError(problem(name, "describe", group, g.error_message, who), name)
        for t in g.topics or ():
            for p in t.partitions or ():
                if p.error_code == 0 and p.start_offset >= 0:
                    out[(t.topic_name, p.partition_index)] = (p.start_offset, getattr(p, "lag", -1))
    return out


def positions(client: KafkaPythonClient, group: str, who: str | None = None) -> tuple[Position, ...]:
    """The group's start offsets, sorted (a partition not initialised is left out)."""
    return tuple(sorted((t, p, o) for (t, p), (o, _) in start_offsets(client, group, who).items()))


# -- the plan's read ----------------------------------------------------------------------------------------------


def read_share_groups(admin, cluster: "ClusterSpec", secrets: "SecretValues | None",
                      queries: Mapping[str, Mapping[str, Any]], partitions: Mapping[str, int],
                      who: str | None = None, now_ms: int | None = None) -> tuple[dict[str, dict], str | None]:
    """What the plan shows for each pending share-group request (queries: the kind's `query`): state, members,
    start offsets, and where a named reset moves each partition of its topics (`partitions`: topic -> partition
    count, the batched read's metadata; resolved with `admin`, the reader's confluent-kafka admin client, as a
    consumer group's are: kplan.cluster.groups.resolve); or, on a cluster without share groups, nothing and why."""
    from kplan.cluster.groups import resolve

    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    client = KafkaPythonClient(cluster, secrets)
    try:
        why = supported(client)
        if why is not None:
            return {}, why
        out: dict[str, dict] = {}
        wanted: set[tuple[str, int, Any]] = set()
        plans: dict[str, tuple[Any, list[tuple[str, int]]]] = {}
        for name, q in sorted(queries.items()):
            state, members, _ = describe(client, name, who)
            have = positions(client, name, who)
            topics = list(q.get("topics") or sorted({t for t, _, _ in have}))
            out[name] = {"state": state, "members": members, "committed": [list(x) for x in have], "targets": [],
                         "at_ms": None, "missing_topics": [t for t in q.get("topics") or () if t not in partitions],
                         "partitions": {t: partitions[t] for t in topics if t in partitions}}
            to = q.get("to")
            if to is None:
                continue
            spec: Any = to
            if to in ("timestamp", "ago"):
                spec = int(q["ms"]) if to == "timestamp" else now_ms - int(q["ms"])
                out[name]["at_ms"] = spec
            tps = [(t, p) for t in topics if t in partitions for p in range(partitions[t])]
            plans[name] = (spec, tps)
            wanted.update((t, p, spec) for t, p in tps)
    except KafkaPythonError as e:
        raise KplanError(str(e)) from None
    finally:
        client.close()
    found = resolve(admin, wanted, cluster.timeout_s) if wanted else {}
    for name, (spec, tps) in plans.items():
        out[name]["targets"] = [[t, p, found[(t, p, spec)]] for t, p in tps if (t, p, spec) in found]
    return out, None


# -- the consumer context ---------------------------------------------------------------------------------------


def share_readers(cluster: "ClusterSpec", secrets: "SecretValues | None",
                  topics: Mapping[str, int]) -> dict[str, "LiveGroup"]:
    """The share groups assigned or with start offsets on `topics`, as the consumer context shows groups
    (kplan.model.consumers.LiveGroup, protocol "share": its start offsets as `committed`, the brokers' lag per
    partition as `lags`); none on a cluster without share groups, or when kafka-python cannot take the stack's
    cluster.client properties."""
    from kplan.model.consumers import LiveGroup, frozen
    from kplan.model.desired import freeze

    try:
        client = KafkaPythonClient(cluster, secrets)
    except KplanError:
        return {}  # a cluster.client property kafka-python cannot take: share groups not shown (docs/share-groups.md)
    try:
        if supported(client) is not None:
            return {}
        out = {}
        for gid, state in sorted(list_share_groups(client).items()):
            offsets = {k: v for k, v in start_offsets(client, gid).items() if k[0] in topics}
            live_state, members, assigned = describe(client, gid) if state not in ("Dead",) else ("Dead", 0, {})
            assigned = {t: p for t, p in assigned.items() if t in topics}
            if not offsets and not assigned:
                continue
            committed: dict[str, dict[int, int]] = {}
            lags: dict[str, dict[int, int]] = {}
            for (t, p), (o, lag) in offsets.items():
                committed.setdefault(t, {})[p] = o
                if lag >= 0:
                    lags.setdefault(t, {})[p] = lag
            out[gid] = LiveGroup(gid, live_state, members, freeze({t: frozen(p) for t, p in committed.items()}),
                                 freeze(assigned), "share", freeze({t: frozen(p) for t, p in lags.items()}))
        return out
    except KafkaPythonError as e:
        raise KplanError(f"the share groups could not be read: {e}") from None
    finally:
        client.close()


# -- the writes ---------------------------------------------------------------------------------------------------


def _group_error(answer: Any) -> tuple[str, str | None] | None:
    if answer.error_code:
        return error_name(answer.error_code), answer.error_message
    return None


def alter(client: KafkaPythonClient, group: str, offsets: Sequence[Position], who: str | None = None) -> None:
    """Set these start offsets of the group (one AlterShareGroupOffsets request); a refusal is one line."""
    from kplan.cluster.share_protocol import AlterShareGroupOffsetsRequest

    by_topic: dict[str, list[tuple[int, int]]] = {}
    for t, p, o in offsets:
        by_topic.setdefault(t, []).append((p, o))
    answer = _send(client, group, AlterShareGroupOffsetsRequest(
        group_id=group, topics=[(t, sorted(ps)) for t, ps in sorted(by_topic.items())]))
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


def delete(client: KafkaPythonClient, group: str, topics: Sequence[str], who: str | None = None) -> None:
    """Remove the group's start offsets of these topics (one DeleteShareGroupOffsets request)."""
    from kplan.cluster.share_protocol import DeleteShareGroupOffsetsRequest

    answer = _send(client, group, DeleteShareGroupOffsetsRequest(group_id=group, topics=[(t,) for t in topics]))
    refused = _group_error(answer) or next(((error_name(t.error_code), f"{t.topic_name}: {t.error_message}")
                                            for t in answer.responses or () if t.error_code), None)
    if refused is not None and refused[0] != "GROUP_ID_NOT_FOUND":
        name, message = refused
        if name == "NON_EMPTY_GROUP":
            raise WriteError(f"share group {group} has live members: Kafka refused to remove its start offsets "
                             "(NON_EMPTY_GROUP); stop its consumers and run apply again")
        raise WriteError(problem(name, "move the start offsets of", group, message, who))


class ShareGroupWrites:
    """The share-group writes of one run (kplan.kinds.ports.KafkaPythonWrites' share-group part), through the run's
    kafka-python client; each retried while it gets no answer (setting the same offsets twice is harmless) and
    verified by reading the group back."""

    def __init__(self, writer: "KafkaPythonWriter"):
        self.writer = writer

    def _retry(self, what: str, write: Any) -> None:
        from kplan.transport.retry import RetriableError

        kafka = self.writer.kafka
        kafka.link.gate(what)

        def attempt() -> None:
            try:
                write()
            except KafkaPythonUnreachable as e:
                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None
            except KafkaPythonError as e:
                raise WriteError(f"{what}: {e}") from None

        kafka.attempts.retry(attempt, what)

    def members(self, group: str) -> tuple[str, int]:
        state, members, _ = describe(self.writer.client, group, self.writer.kafka.who)
        return state, members

    def offsets(self, group: str) -> tuple[Position, ...]:
        return positions(self.writer.client, group, self.writer.kafka.who)

    def alter(self, group: str, offsets: Sequence[Position]) -> None:
        client, who = self.writer.client, self.writer.kafka.who
        self._retry(f"moving the start offsets of share group {group}", lambda: alter(client, group, offsets, who))
        have = {(t, p): o for t, p, o in positions(client, group, who)}
        wrong = [f"{t}/{p}" for t, p, o in offsets if have.get((t, p)) != o]
        if wrong:
            raise WriteError(f"share group {group}: the cluster does not show the start offsets written for "
                             f"{', '.join(wrong[:5])}")

    def delete(self, group: str, topics: Sequence[str]) -> None:
        client, who = self.writer.client, self.writer.kafka.who
        self._retry(f"removing the start offsets of share group {group}", lambda: delete(client, group, topics, who))
        left = sorted({t for t, _, _ in positions(client, group, who) if t in topics})
        if left:
            raise WriteError(f"share group {group} still shows start offsets on {', '.join(left)}")
