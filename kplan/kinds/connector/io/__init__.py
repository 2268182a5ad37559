"""The connector kind's I/O: its reads (`read`: every Connect cluster in the batched read; the mirrors' follow-up read,
`mirrors`), its plan-time validation by Connect and by the CDC sources' databases (`validation`, `preflight`), `kplan
status`'s health read at a CDC source's database (`health`), and its writes: Connect's (`ConnectWrites`, the kit's,
which the offsets kind writes through too) and what else a connector's steps write (`ConnectorWrites`)."""

from __future__ import annotations

from typing import Any

from kplan.kinds.connector.io import postgres, signals
from kplan.transport.connect import ConnectWrites as ConnectWrites


class ConnectorWrites:
    """What a connector's steps write beyond Connect: the topics a connector waits for (Kafka's metadata), Debezium's
    snapshot signal (a record on a Kafka topic, kplan.kinds.connector.io.signals) and a destroyed PostgreSQL
    source's slot and publication (kplan.kinds.connector.io.postgres)."""

    def __init__(self, writers: Any):
        self.kafka, self.timeout_s = writers.kafka, writers.cluster.timeout_s
        self.connector_timeout_s = writers.connector_timeout_s  # how long a snapshot signal's evidence is waited for

    def topic_names(self) -> set[str]:
        """Every topic the cluster lists (a connector is created only once its topics exist)."""
        return self.kafka.topic_names()

    send_snapshot_signal = signals.send_snapshot_signal
    drop_cdc_database_objects = postgres.drop_objects

    def check_cdc_drop(self, host: str, port: int, user: str, database: str, password: str, slot: str | None,
                       publication: str | None) -> None:
        """Raise unless the drop could be done now: the login works and the user may drop both. Reads only."""
        postgres.check_drop(host, port, user, database, password, slot, publication, self.timeout_s)
