"""A group's committed offsets on a topic deleted with OffsetDelete (the undo of a migration's moved groups): what
Kafka answers, told as one error name or none. Pure logic over a fake client; the real broker's side is
tests/integration/test_topic_migration.py's rollback trials."""

from __future__ import annotations

from types import SimpleNamespace

from kplan.transport.group_offsets import delete_committed

NONE, GROUP_ID_NOT_FOUND, UNKNOWN_TOPIC, SUBSCRIBED = 0, 69, 3, 86


class Client:
    def __init__(self, top: int, partition: int) -> None:
        self.top, self.partition, self.asked = top, partition, []

    def to_coordinator(self, group, request):
        self.asked.append((group, request))
        parts = [SimpleNamespace(partition_index=p.partition_index, error_code=self.partition)
                 for t in request.topics for p in t.partitions]
        return SimpleNamespace(error_code=self.top, topics=[SimpleNamespace(name=request.topics[0].name,
                                                                             partitions=parts)])


def test_the_named_partitions_are_asked_of_the_groups_coordinator():
    client = Client(NONE, NONE)
    assert delete_committed(client, "g", "t.v2", [0, 2]) is None
    ((group, request),) = client.asked
    assert group == "g" and request.group_id == "g"
    assert [(t.name, [p.partition_index for p in t.partitions]) for t in request.topics] == [("t.v2", [0, 2])]


def test_nothing_there_to_delete_is_no_error():
    assert delete_committed(Client(GROUP_ID_NOT_FOUND, NONE), "g", "t", [0]) is None
    assert delete_committed(Client(NONE, UNKNOWN_TOPIC), "g", "t", [0]) is None


def test_a_group_subscribed_to_the_topic_is_told_by_name():
    assert delete_committed(Client(NONE, SUBSCRIBED), "g", "t", [0]) == "GROUP_SUBSCRIBED_TO_TOPIC"
