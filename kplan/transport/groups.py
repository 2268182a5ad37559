"""Reading consumer groups of both protocols (docs/consumers.md, "Both group protocols"): the classic one and Kafka
4's consumer protocol (KIP-848, `group.protocol=consumer`).

The classic DescribeGroups request knows nothing of a consumer-protocol group: the broker answers it as Dead without
members (or GROUP_ID_NOT_FOUND), so a tool that describes groups only that way passes the deletion of a topic a live
group reads, and moves the offsets of a live group. librdkafka's `describe_consumer_groups` asks with
ConsumerGroupDescribe first and falls back to DescribeGroups for a classic group from librdkafka 2.10.0 on
(confluent-kafka 2.10.0, librdkafka PR #4941; its descriptions then carry the group's `type` and a member's
`target_assignment`). Below that version kplan refuses to describe groups rather than see a live group as Dead."""

from __future__ import annotations

from typing import Any

from kplan.errors import KplanError

# The first librdkafka (and confluent-kafka) release whose describe_consumer_groups sees consumer-protocol groups.
FLOOR = (2, 10, 0)
FLOOR_TEXT = ".".join(str(n) for n in FLOOR)


def version_of(number: int) -> tuple[int, int, int]:
    """librdkafka's version number (0xMMmmrrxx) as (major, minor, revision)."""
    return (number >> 24) & 0xFF, (number >> 16) & 0xFF, (number >> 8) & 0xFF


def check_client(libversion: tuple[str, int] | None = None) -> None:
    """KplanError (one line) when the loaded librdkafka describes groups only the classic way."""
    if libversion is None:
        import confluent_kafka

        libversion = confluent_kafka.libversion()
    text, number = libversion
    if version_of(number) < FLOOR:
        raise KplanError(f"the loaded librdkafka {text} describes consumer groups only the classic way: a live group "
                         "of Kafka 4's consumer protocol (KIP-848) would look Dead without members; install "
                         f"confluent-kafka>={FLOOR_TEXT} (docs/consumers.md)")


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
