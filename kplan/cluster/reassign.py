"""Partition reassignment (a replication-factor change): kafka-python's AlterPartitionReassignments and
ListPartitionReassignments — librdkafka, and so confluent-kafka, has neither. The client is built like the quota
client's (kplan.cluster.quotas.kafka_python_config: the same security settings), opened lazily, closed after use.

Kafka copies a partition's data to its new replicas, waits for them to join the in-sync set, then drops the
replicas no longer listed; `ongoing` says which partitions are still moving. The replica order given is kept (the
first is the preferred leader).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.cluster.quotas import kafka_python_config
from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec
from kplan.secrets import SecretValues


class ReassignError(KplanError):
    """The broker refused a reassignment; `code` is Kafka's error name."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class ReassignUnreachable(KplanError):
    """The request got no answer."""


class ReassignClient:
    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        self.cluster = cluster
        self._conf = kafka_python_config(cluster, secrets)
        self._admin: Any = None

    @property
    def admin(self):
        if self._admin is None:
            from kafka.admin import KafkaAdminClient
            from kafka.errors import KafkaError

            try:
                self._admin = KafkaAdminClient(**self._conf)
            except KafkaError as e:
                raise ReassignUnreachable(f"cannot reach Kafka at {self.cluster.bootstrap_servers} to reassign "
                                          f"partitions: {type(e).__name__}") from None
        return self._admin

    def alter(self, targets: Mapping[str, Sequence[Sequence[int]]]) -> None:
        """Ask for every partition of `targets` (topic -> replica list per partition) to move to its list, in one
        request; the first partition the broker refuses raises ReassignError."""
        from kafka import TopicPartition
        from kafka.errors import KafkaError

        request = {TopicPartition(topic, p): list(replicas)
                   for topic, assignment in targets.items() for p, replicas in enumerate(assignment)}
        if not request:
            return
        try:
            result = self.admin.alter_partition_reassignments(request, timeout_ms=self._conf["request_timeout_ms"])
        except KafkaError as e:
            raise ReassignUnreachable(f"the reassignment request to {self.cluster.bootstrap_servers} got no answer: "
                                      f"{type(e).__name__}") from None
        for tp, error in sorted(result.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            if error is not None:
                name = getattr(error, "__name__", str(error))
                raise ReassignError(f"reassigning partition {tp.partition} of topic {tp.topic} failed: {name}", name)

    def ongoing(self, topics: Sequence[str]) -> set[tuple[str, int]]:
        """The (topic, partition)s of `topics` whose reassignment is still under way."""
        from kafka.errors import KafkaError

        try:
            found = self.admin.list_partition_reassignments(timeout_ms=self._conf["request_timeout_ms"])
        except KafkaError as e:
            raise ReassignUnreachable(f"listing reassignments at {self.cluster.bootstrap_servers} got no answer: "
                                      f"{type(e).__name__}") from None
        wanted = set(topics)
        return {(tp.topic, tp.partition) for tp in found if tp.topic in wanted}

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            finally:
                self._admin = None
