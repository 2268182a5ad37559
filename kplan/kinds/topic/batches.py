"""The records a topic change makes the Kafka controller write, by which the topic steps are cut into requests within
its per-request limit (kplan.rules.batching). Pure.

A create past the limit is refused whole (past 10,000 partitions already "Excessively large number of partitions per
request", `ReplicationControlManager.MAX_PARTITIONS_PER_BATCH`), and so is a config change; of a delete or a
partition increase, the items past the limit fail (an unknown broker error) while the others are done.

Measured on Kafka 4.3.1 (validate-only requests answer the same):
- a created topic: one TopicRecord, one PartitionRecord per partition, one ConfigRecord per override, and one more
  when it sets `min.insync.replicas` (the controller clears the partitions' eligible leader replicas): a topic of
  10,000 partitions is refused by any request;
- a topic's config change: one record per key set or deleted, and one more when `min.insync.replicas` is one of
  them;
- a deleted topic: one (RemoveTopicRecord); added partitions: one per partition; a reassignment: one per partition.
"""

from __future__ import annotations

from typing import Iterable

_ELR_KEY = "min.insync.replicas"  # changing it adds a record (ClearElrRecord) to the topic's own


def create_records(partitions: int, config: Iterable[str]) -> int:
    """The records creating a topic makes."""
    return 1 + int(partitions) + config_records(config)


def config_records(keys: Iterable[str]) -> int:
    """The records a topic's config change makes (the keys it sets and deletes)."""
    keys = set(keys)
    return len(keys) + (_ELR_KEY in keys)
