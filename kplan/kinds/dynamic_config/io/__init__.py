"""The dynamic-config family's I/O (kplan.kinds.dynamic_config), through kplan's own Kafka client
(kplan.transport.wire.client): each kind's read and plan-time validation (`broker.py`, `group.py`, `quota.py`, with
what the broker and group configs share in `configs.py`), and the family's writes (`DynamicConfigWrites`), on the
run's wire session's client, asked again and bounded like Kafka's other writes (the admin session's link and
attempts)."""

from __future__ import annotations

from kplan.kinds.dynamic_config.io import broker, group, quota
from kplan.transport.sessions import SessionsIO


class DynamicConfigWrites(SessionsIO):
    """Broker configs, group configs and client quotas (each module's `alter_*`), each entity written then read back
    until the brokers show it."""

    alter_broker_configs = broker.alter_broker_configs
    alter_group_configs = group.alter_group_configs
    alter_quotas = quota.alter_quotas
