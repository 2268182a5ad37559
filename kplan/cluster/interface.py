"""The write side of Kafka and Kafka Connect as apply uses it, one small Protocol per system: the methods the
executor's step handlers call, and nothing else. (The schema registry's is `kplan.registry.interface`; apply
composes them all in `kplan.apply.writers.Writers`.)

- `KafkaWrites`: the admin client's writes (confluent-kafka): topics, configs, partitions, ACLs, SCRAM
  credentials, the replication throttle, and Debezium's snapshot signal (a record on a Kafka topic).
  `kplan.cluster.kafka_admin.KafkaAdmin` implements it.
- `KafkaPythonWrites`: what only kafka-python can do: client quotas and partition reassignments.
  `kplan.cluster.kafka_python.KafkaPythonWriter`.
- `ConnectWrites`: connectors, their offsets and restarts. `kplan.cluster.connect_writer.ConnectWriter`.
- `PostgresWrites`: a destroyed CDC source's slot and publication. `kplan.cluster.postgres.PostgresWriter`.

A batch method (one request for many items) returns per-item results (`kplan.cluster.results`), and fills the
`results` it is given as the answers arrive. The unit tests' fake writer (tests/unit/fakes.py) implements every
Protocol in memory; tests/unit/test_executor.py checks both against them (method names and signatures), and that
apply calls exactly the methods they name.

(The read side planning uses is `kplan.model.live.LiveStateReader`.)
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Protocol, Sequence, runtime_checkable

from kplan.cluster.results import BatchResults
from kplan.model.desired import AclBinding, ConnectorState, QuotaEntity, TopicSpec

# topic -> (partitions, replication factor, configs); None: not checked; a config value None: no override
TopicExpectation = tuple[int | None, int | None, Mapping[str, str | None]]


@runtime_checkable
class KafkaWrites(Protocol):
    def create_topics(self, specs: list[TopicSpec], results: BatchResults | None = None) -> BatchResults:
        """Create the topics in one request. Per topic, filled into `results` as the answers arrive: no reason
        (the controller confirmed it), ALREADY (it existed before: not ours), LANDED (an earlier attempt of ours
        created it)."""
        ...

    def delete_topics(self, names: list[str], results: BatchResults | None = None) -> BatchResults:
        ...

    def alter_topic_configs(self, changes: Mapping[str, tuple[Mapping[str, str], Iterable[str]]],
                            results: BatchResults | None = None) -> BatchResults:
        """topic -> (keys to set with values, keys whose override to delete); one request."""
        ...

    def create_partitions(self, counts: Mapping[str, int], results: BatchResults | None = None) -> BatchResults:
        ...

    def topic_names(self) -> set[str]:
        ...

    def topic_partitions(self, name: str) -> int | None:
        ...

    def wait_topics(self, expected: Mapping[str, TopicExpectation], timeout_s: float | None = None) -> None:
        """Until every topic shows what is expected (metadata propagates asynchronously)."""
        ...

    def wait_topics_gone(self, names: Iterable[str], timeout_s: float | None = None) -> None:
        ...

    def set_replication_throttle(self, topics: Sequence[str], rate: int) -> None:
        """Limit the brokers' replication of `topics` to `rate` bytes/s (during a reassignment)."""
        ...

    def clear_replication_throttle(self, topics: Sequence[str]) -> None:
        """Take that limit away."""
        ...

    def create_acls(self, acls: Sequence[tuple[str, AclBinding]],
                    results: BatchResults | None = None) -> BatchResults:
        """Create (principal, binding) pairs in one request (creating an existing binding is a success)."""
        ...

    def delete_acls(self, acls: Sequence[tuple[str, AclBinding]],
                    results: BatchResults | None = None) -> BatchResults:
        """Delete exactly these (principal, binding) pairs in one request (an absent one is a success)."""
        ...

    def alter_scram_credentials(self, upserts: Sequence[tuple[str, str, int, str]],
                                removals: Sequence[tuple[str, str]],
                                results: BatchResults | None = None) -> BatchResults:
        """Upsert (user, mechanism, iterations, password) and delete (user, mechanism) credentials in one request,
        then confirm the cluster shows them (deleting an absent credential is a success: ALREADY). Never prints a
        password."""
        ...

    def scram_credentials(self, users: Sequence[str]) -> dict[str, dict[str, int]]:
        """user -> mechanism -> iterations, for those of `users` that have credentials."""
        ...

    def send_snapshot_signal(self, connector: str, tables: Sequence[str], topic: str, key: str,
                             table_topic: str | None = None, signal_id: str | None = None,
                             timeout_s: float | None = None) -> None:
        """Ask a Debezium connector for an incremental snapshot of `tables` (once: a signal with `signal_id` is
        never sent twice) and wait for its evidence that the snapshot started."""
        ...


@runtime_checkable
class KafkaPythonWrites(Protocol):
    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]],
                     results: BatchResults | None = None) -> BatchResults:
        """Per entity, quota key -> value to set (None: remove the key); one request (results by entity name)."""
        ...

    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]],
                          results: BatchResults | None = None) -> BatchResults:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list (results by
        `topic-partition`)."""
        ...

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Until no partition of `targets` moves and each shows its replica list."""
        ...


@runtime_checkable
class ConnectWrites(Protocol):
    def get_connector(self, name: str) -> tuple[dict | None, dict | None]:
        """(config, status), (None, None) when the connector does not exist."""
        ...

    def create_connector(self, name: str, config: Mapping[str, str], state: ConnectorState) -> None:
        ...

    def put_connector_config(self, name: str, config: Mapping[str, str]) -> None:
        ...

    def delete_connector(self, name: str) -> None:
        ...

    def set_connector_state(self, name: str, state: ConnectorState) -> None:
        ...

    def restart_connector(self, name: str) -> None:
        ...

    def wait_connector_gone(self, name: str, timeout_s: float | None = None) -> None:
        ...

    def restart_failed(self, name: str, timeout_s: float | None = None) -> None:
        """Restart only the connector's FAILED instances, then until it and every task are RUNNING (at most
        cluster.timeout); one that fails again fails at once, with its error."""
        ...

    def wait_connector(self, name: str, state: ConnectorState, timeout_s: float | None = None) -> None:
        """Until the connector and every task reach `state`; a FAILED one fails at once."""
        ...

    def connector_offsets(self, name: str) -> list[dict]:
        """The connector's offsets (Connect's offsets API): [{"partition": {...}, "offset": {...}}, ...]."""
        ...

    def reset_connector_offsets(self, name: str) -> None:
        """Delete the offsets of a STOPPED connector (it starts from scratch when it runs again); verified."""
        ...

    def alter_connector_offsets(self, name: str, offsets: Sequence[Mapping]) -> None:
        """Write offsets of a STOPPED connector back; verified."""
        ...


@runtime_checkable
class PostgresWrites(Protocol):
    def drop_cdc_database_objects(self, host: str, port: int, user: str, database: str, password: str,
                                  slot: str | None, publication: str | None,
                                  before_drop: Callable[[], None] | None = None) -> None:
        """Drop a PostgreSQL source's replication slot (once inactive) and publication, and check they are gone;
        `before_drop()` is called right before the first drop."""
        ...
