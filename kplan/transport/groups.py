"""Consumer groups described on the wire (confluent-kafka's admin API), as several kinds ask (a group request's
preflight, a sink connector's offsets change, the consumer guard): their state and members, of both protocols
(docs/consumers.md, "Both group protocols"): the classic one and Kafka 4's consumer protocol (KIP-848,
`group.protocol=consumer`).

The classic DescribeGroups request knows nothing of a consumer-protocol group: the broker answers it as Dead without
members (or GROUP_ID_NOT_FOUND), so a tool that describes groups only that way passes the deletion of a topic a live
group reads, and moves the offsets of a live group. librdkafka's `describe_consumer_groups` asks with
ConsumerGroupDescribe first and falls back to DescribeGroups for a classic group from librdkafka 2.10.0 on
(confluent-kafka 2.10.0, librdkafka PR #4941; its descriptions then carry the group's `type` and a member's
`target_assignment`). Below that version kplan refuses to describe groups rather than see a live group as Dead."""

from __future__ import annotations

from typing import Any, Sequence

from kplan.errors import KplanError
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.reach import kafka_error_name

# The first librdkafka (and confluent-kafka) release whose describe_consumer_groups sees consumer-protocol groups.
FLOOR = (2, 10, 0)


def check_client(libversion: tuple[str, int] | None = None) -> None:
    """KplanError (one line) when the loaded librdkafka describes groups only the classic way."""
    if libversion is None:
        import confluent_kafka

        libversion = confluent_kafka.libversion()
    text, number = libversion
    if (number >> 24 & 0xFF, number >> 16 & 0xFF, number >> 8 & 0xFF) < FLOOR:  # 0xMMmmrrxx: (major, minor, rev.)
        raise KplanError(f"the loaded librdkafka {text} describes consumer groups only the classic way: a live group "
                         "of Kafka 4's consumer protocol (KIP-848) would look Dead without members; install "
                         f"confluent-kafka>={'.'.join(map(str, FLOOR))} (docs/consumers.md)")


def protocol_word(group_type: Any) -> str | None:
    """ConsumerGroupType.CONSUMER -> "consumer", CLASSIC -> "classic"; None when the broker did not say."""
    name = (getattr(group_type, "name", None) or str(group_type or "")).lower()
    return name if name in ("classic", "consumer") else None


def assignment_of(description: Any, topics) -> dict[str, set[int]]:
    """topic -> the partitions of `topics` the group's members are assigned: each member's current assignment and,
    for a consumer-protocol member, its target assignment (what it is being given)."""
    out: dict[str, set[int]] = {}
    for member in getattr(description, "members", None) or ():
        for which in (getattr(member, "assignment", None), getattr(member, "target_assignment", None)):
            for tp in getattr(which, "topic_partitions", None) or ():
                if tp.topic in topics:
                    out.setdefault(tp.topic, set()).add(tp.partition)
    return out


# what kplan asks of a group -> the ACLs it needs
RIGHTS = {
    "describe": "DESCRIBE on the group and DESCRIBE on its topics",
    "move the offsets of": "READ on the group and READ on the topics it moves",
    "delete": "DELETE on the group",
}


# the client's group states as kafka-consumer-groups.sh says them (the client's PREPARING_REBALANCING is Kafka's
# PreparingRebalance)
_STATES = {"STABLE": "Stable", "PREPARING_REBALANCING": "PreparingRebalance",
           "COMPLETING_REBALANCING": "CompletingRebalance", "EMPTY": "Empty", "DEAD": "Dead", "UNKNOWN": "Unknown",
           "ASSIGNING": "Assigning", "RECONCILING": "Reconciling"}


def state_name(state: Any) -> str:
    """ConsumerGroupState.PREPARING_REBALANCING -> "PreparingRebalance" (as kafka-consumer-groups.sh says it)."""
    name = getattr(state, "name", None) or str(state)
    return _STATES.get(name) or "".join(w.capitalize() for w in name.split("_"))


def committed_offsets(admin: Any, group: str, timeout_s: float) -> dict[tuple[str, int], int]:
    """A group's committed offsets, (topic, partition) -> offset (one group per request; a partition without one is
    left out); the client's error as it raised it."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)], request_timeout=timeout_s)[group]
    return {(tp.topic, tp.partition): tp.offset for tp in future.result(timeout=timeout_s + 2).topic_partitions or ()
            if tp.offset >= 0}


def group_problem(e: BaseException, action: str, group: str, who: str | None = None) -> str:
    """One line for a failed group request; a denied one names the ACLs kplan's principal needs."""
    denied = group_denied(kafka_error_name(e), action, f"consumer group {group}", RIGHTS[action], who,
                          "docs/consumer-groups.md")
    return denied or f"could not {action} consumer group {group}: {describe_kafka_error(e)}"


def group_denied(name: str, action: str, group: str, rights: str, who: str | None, doc: str) -> str | None:
    """One line for a group request Kafka denied kplan's principal (`name`: the error's), naming the ACLs it needs
    (`rights`) and where they are documented; None for any other error."""
    if name not in ("GROUP_AUTHORIZATION_FAILED", "TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED"):
        return None
    actor = f"kplan's principal {who}" if who else "kplan's principal"
    return (f"{actor} may not {action} {group} ({name}): it needs {rights}; grant them with ACLs or run kplan as a "
            f"principal that has them ({doc})")


def describe_groups(admin, names: Sequence[str], timeout_s: float,
                    who: str | None = None) -> dict[str, tuple[str, int]]:
    """group -> (state, member count), one request for all; groups of both protocols, classic and Kafka 4's consumer
    protocol (KIP-848), are described as they are (kplan.transport.groups: KplanError with a librdkafka that
    would describe a live consumer-protocol group as Dead)."""
    if not names:
        return {}
    check_client()
    futures = admin.describe_consumer_groups(list(names), request_timeout=timeout_s)
    out = {}
    for name, fut in futures.items():
        try:
            d = fut.result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001
            raise KplanError(group_problem(e, "describe", name, who)) from None
        out[name] = (state_name(d.state), len(d.members or ()))
    return out
