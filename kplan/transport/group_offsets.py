"""Many consumer groups' committed offsets in one request per coordinator (OffsetFetch v8+, KIP-709: Kafka 3.0 and
newer take a list of groups), through kplan's own Kafka client: confluent-kafka's `list_consumer_group_offsets`
asks one group a call, so a cluster of N groups cost N requests (and N answers to decode) where the groups'
coordinators are the count here (one broker: one FindCoordinator and one OffsetFetch)."""

from __future__ import annotations

from typing import Mapping

from kplan.transport.wire.client import Client, error_name

Offsets = dict[str, dict[int, int]]  # topic -> partition -> committed offset


def committed(client: Client, groups: list[str], partitions: Mapping[str, int]) -> dict[str, Offsets | str]:
    """group -> its committed offsets on `partitions` (topic -> partition count; none committed: {}), or the error
    name Kafka answered for the group (GROUP_AUTHORIZATION_FAILED...), its coordinator's lookup or its fetch."""
    from kplan.transport.wire.messages import OffsetFetchRequest

    group_of = OffsetFetchRequest.OffsetFetchRequestGroup
    topic_of = group_of.OffsetFetchRequestTopics
    topics = [topic_of(name=t, partition_indexes=list(range(n))) for t, n in sorted(partitions.items())]

    def request(batch: list[str]):
        # v10 names topics by id: v8-v9 by name
        return OffsetFetchRequest(groups=[group_of(group_id=g, topics=topics) for g in batch], require_stable=False,
                                  min_version=8, max_version=9)

    answers, out = client.to_coordinators(groups, request) if groups else ([], {})
    found: dict[str, Offsets | str] = dict(out)
    for answer in answers:
        for g in answer.groups:
            if g.error_code:
                found[g.group_id] = error_name(g.error_code)
                continue
            offsets: Offsets = {}
            for t in g.topics or ():
                for p in t.partitions or ():
                    if not p.error_code and p.committed_offset >= 0:
                        offsets.setdefault(t.name, {})[p.partition_index] = p.committed_offset
            found[g.group_id] = offsets
    return found


_NOTHING_THERE = frozenset({"GROUP_ID_NOT_FOUND", "UNKNOWN_TOPIC_OR_PARTITION"})  # what delete_committed passes over


def delete_committed(client: Client, group: str, topic: str, partitions: list[int]) -> str | None:
    """Delete `group`'s committed offsets on `topic`'s `partitions` (OffsetDelete v0: confluent-kafka has no call for
    it; Kafka refuses it with GROUP_SUBSCRIBED_TO_TOPIC while a member of the group is subscribed to the topic). None
    when done or there was nothing to delete (no such group, no such topic), else the error name Kafka answered."""
    from kplan.transport.wire.messages import OffsetDeleteRequest

    topic_of = OffsetDeleteRequest.OffsetDeleteRequestTopic
    partition_of = topic_of.OffsetDeleteRequestPartition
    answer = client.to_coordinator(group, OffsetDeleteRequest(group_id=group, topics=[
        topic_of(name=topic, partitions=[partition_of(partition_index=p) for p in partitions])]))
    codes = [answer.error_code] + [p.error_code for t in answer.topics or () for p in t.partitions or ()]
    errors = [error_name(c) for c in codes if c and error_name(c) not in _NOTHING_THERE]
    return errors[0] if errors else None


def words(name: str) -> str:
    """librdkafka's words for a Kafka error name ("Broker: Group authorization failed"), as kplan shows the errors of
    its confluent-kafka calls; the name itself when librdkafka has none."""
    from confluent_kafka import KafkaError

    code = getattr(KafkaError, name, None)
    return KafkaError(code).str() if isinstance(code, int) else name
