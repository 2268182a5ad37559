"""The dynamic-config family's I/O (kplan.kinds.dynamic_config), through kplan's own Kafka client
(kplan.transport.wire.client): each kind's read and plan-time validation (`broker.py`, `group.py`, `quota.py`, with
what the broker and group configs share in `configs.py`), and the family's writes (`DynamicConfigWrites`), on the
run's wire session's client, asked again and bounded like Kafka's other writes (the admin session's link and
attempts)."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.kinds.dynamic_config.io import broker, group, quota
from kplan.kinds.dynamic_config.model import QuotaEntity
from kplan.model.results import BatchResults

Configs = Sequence[tuple[str, Mapping[str, str | None]]]


class DynamicConfigWrites:
    """Broker configs, group configs and client quotas, each entity written then read back until the brokers show
    it."""

    def __init__(self, writers: Any):
        self.kafka, self.wire = writers.kafka, writers.wire

    def alter_broker_configs(self, changes: Configs) -> BatchResults:
        """Per broker entity ("<default>": the cluster-wide dynamic default, or a broker id), config key -> value
        to set (None: delete the dynamic value); one IncrementalAlterConfigs request per entity (results by
        entity)."""
        return broker.alter_broker_configs(self.kafka, self.wire.client, changes, BatchResults())

    def alter_group_configs(self, changes: Configs) -> BatchResults:
        """Per group, config key -> value to set (None: delete the group's dynamic value); one
        IncrementalAlterConfigs request per group (results by group)."""
        return group.alter_group_configs(self.kafka, self.wire.client, changes, BatchResults())

    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]) -> BatchResults:
        """Per entity (its user and client id), quota key -> value to set (None: remove the key); one request
        (results by entity name)."""
        return quota.alter_quotas(self.kafka, self.wire.client, changes, BatchResults())
