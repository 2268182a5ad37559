"""The writes of one run through kplan's own Kafka client (kplan.transport.wire.client, opened when first needed):
client quotas, partition reassignments, broker and group configs (and the share-group kind's io writes through its
`client`). Each is its feature module's (quotas, reassignments, broker_configs, group_configs), asked again and bounded
like Kafka's other writes (Kafka's link and attempts: `kafka`). Implements `kplan.kinds.ports.WireWrites`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from kplan.cluster import broker_configs, group_configs, quotas, reassignments
from kplan.model.results import BatchResults
from kplan.transport.wire.client import Client, open_client

if TYPE_CHECKING:  # pragma: no cover
    from kplan.cluster.kafka_admin import KafkaAdmin
    from kplan.kinds.dynamic_config.model import QuotaEntity

Configs = Sequence[tuple[str, Mapping[str, str | None]]]


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

    def alter_quotas(
        self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]], results: BatchResults | None = None
    ) -> BatchResults:
        return quotas.alter_quotas(self.kafka, self.client, changes, _new(results))

    def alter_broker_configs(self, changes: Configs, results: BatchResults | None = None) -> BatchResults:
        return broker_configs.alter_broker_configs(self.kafka, self.client, changes, _new(results))

    def alter_group_configs(self, changes: Configs, results: BatchResults | None = None) -> BatchResults:
        return group_configs.alter_group_configs(self.kafka, self.client, changes, _new(results))

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
