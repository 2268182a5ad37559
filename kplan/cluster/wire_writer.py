"""The run's own Kafka client (kplan.transport.wire.client, opened when first needed: `client`, which the
dynamic-config and share-group kinds' io write through too), and the partition reassignments written through it
(kplan.cluster.reassignments, the topic kind's), asked again and bounded like Kafka's other writes (Kafka's link and
attempts: `kafka`). Implements `kplan.kinds.ports.WireWrites`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from kplan.cluster import reassignments
from kplan.model.results import BatchResults
from kplan.transport.wire.client import Client, open_client

if TYPE_CHECKING:  # pragma: no cover
    from kplan.cluster.kafka_admin import KafkaAdmin


def _new(results: BatchResults | None) -> BatchResults:
    return BatchResults() if results is None else results


class WireWriter:
    def __init__(self, kafka: KafkaAdmin):
        self.kafka = kafka
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = open_client(self.kafka.cluster, self.kafka.secrets)
        return self._client

    def reassign_replicas(
        self, targets: Mapping[str, Sequence[Sequence[int]]], results: BatchResults | None = None
    ) -> BatchResults:
        return reassignments.reassign(self.kafka, self.client, targets, _new(results))

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        reassignments.wait(self.kafka, self.client, targets, timeout_s)

    def cancel_reassignments(self, topics: Sequence[str]) -> None:
        reassignments.cancel(self.kafka, self.client, topics)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
