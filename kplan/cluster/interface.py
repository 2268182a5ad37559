"""The write side of the cluster, as apply uses it: the methods the executor's step handlers call, and nothing
else. `kplan.cluster.writer.KafkaWriter` implements it against Kafka and Kafka Connect; the unit tests' fake
writer implements it in memory. tests/unit/test_executor.py checks both against this Protocol (method names and
signatures), and that apply calls exactly the writer methods it names.

(The read side planning uses is `kplan.model.live.LiveStateReader`.)
"""

from __future__ import annotations

from typing import Iterable, Mapping, Protocol, Sequence, runtime_checkable

from kplan.model.desired import AclBinding, ConnectorState, QuotaEntity, SchemaReference, TopicSpec

# topic -> (partitions, replication factor, configs); None: not checked; a config value None: no override
TopicExpectation = tuple[int | None, int | None, Mapping[str, str | None]]


@runtime_checkable
class ClusterWriter(Protocol):
    # -- topics ------------------------------------------------------------------------------------------------

    def create_topics(self, specs: list[TopicSpec], found: set[str] | None = None,
                      created: set[str] | None = None) -> list[str]:
        """Create the topics in one request; returns the names this call created. Fills `found` with those that
        already existed (not ours) and `created` with those the controller confirmed, as results arrive."""
        ...

    def delete_topics(self, names: list[str]) -> None:
        ...

    def alter_topic_configs(self, changes: Mapping[str, tuple[Mapping[str, str], Iterable[str]]]) -> None:
        """topic -> (keys to set with values, keys whose override to delete); one request."""
        ...

    def create_partitions(self, counts: Mapping[str, int]) -> None:
        ...

    def topic_names(self) -> set[str]:
        ...

    def topic_partitions(self, name: str) -> int | None:
        ...

    def wait_topics(self, expected: Mapping[str, TopicExpectation], timeout_s: float | None = None) -> None:
        """Until every topic shows what is expected (metadata propagates asynchronously)."""
        ...

    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]]) -> None:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list."""

    def set_replication_throttle(self, topics: Sequence[str], rate: int) -> None:
        """Limit the brokers' replication of `topics` to `rate` bytes/s (during a reassignment)."""

    def clear_replication_throttle(self, topics: Sequence[str]) -> None:
        """Take that limit away."""

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Until no partition of `targets` moves and each shows its replica list."""

    def wait_topics_gone(self, names: Iterable[str], timeout_s: float | None = None) -> None:
        ...

    # -- ACLs ----------------------------------------------------------------------------------------------------

    def create_acls(self, acls: Sequence[tuple[str, AclBinding]]) -> None:
        """Create (principal, binding) pairs in one request (creating an existing binding is a success)."""
        ...

    def delete_acls(self, acls: Sequence[tuple[str, AclBinding]]) -> None:
        """Delete exactly these (principal, binding) pairs in one request (an absent one is a success)."""
        ...

    # -- SCRAM users ---------------------------------------------------------------------------------------------

    def alter_scram_credentials(self, upserts: Sequence[tuple[str, str, int, str]],
                                removals: Sequence[tuple[str, str]]) -> None:
        """Upsert (user, mechanism, iterations, password) and delete (user, mechanism) credentials in one request,
        then confirm the cluster shows them (deleting an absent credential is a success). Never prints a password."""
        ...

    def scram_credentials(self, users: Sequence[str]) -> dict[str, dict[str, int]]:
        """user -> mechanism -> iterations, for those of `users` that have credentials."""
        ...

    # -- client quotas -------------------------------------------------------------------------------------------

    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]) -> None:
        """Per entity, quota key -> value to set (None: remove the key); one request."""
        ...

    # -- schema registry subjects (kplan.registry) --------------------------------------------------------------

    def register_schema(self, subject: str, schema: str, schema_type: str,
                        references: Sequence[SchemaReference]) -> int:
        """Register `schema` under `subject` (a reference with version None is resolved to its subject's latest
        version first); returns the version the registry shows it under (verified with a lookup). A schema the
        subject already has is not registered again: its version is returned."""
        ...

    def schema_version(self, subject: str, schema: str, schema_type: str,
                       references: Sequence[SchemaReference]) -> int | None:
        """The live version of `subject` that holds this schema (the registry's lookup), or None."""
        ...

    def subject_versions(self, subject: str) -> list[int]:
        """The subject's live (not soft-deleted) versions; [] when it does not exist."""
        ...

    def delete_schema_version(self, subject: str, version: int) -> None:
        """Soft-delete one version, then until the subject's versions no longer list it."""
        ...

    def subject_level(self, subject: str) -> str | None:
        """The subject's own compatibility level; None when it has none (it inherits the global level)."""
        ...

    def set_subject_level(self, subject: str, level: str | None) -> None:
        """Set the subject's own level (None: remove it, so it inherits the global one), then check it shows."""
        ...

    def delete_subjects(self, names: Sequence[str], permanent: bool) -> None:
        """Soft-delete the subjects (then hard-delete them when `permanent`), then until the registry no longer
        lists them (an absent subject is a success)."""
        ...

    # -- connectors --------------------------------------------------------------------------------------------

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

    # -- CDC databases ------------------------------------------------------------------------------------------

    def drop_cdc_database_objects(self, host: str, port: int, user: str, database: str, password: str,
                                  slot: str | None, publication: str | None, before_drop=None) -> None:
        """Drop a PostgreSQL source's replication slot (once inactive) and publication, and check they are gone;
        `before_drop()` is called right before the first drop."""
        ...

    # -- CDC signals -------------------------------------------------------------------------------------------

    def send_snapshot_signal(self, connector: str, tables: Sequence[str], topic: str, key: str,
                             table_topic: str | None = None, signal_id: str | None = None,
                             timeout_s: float | None = None) -> None:
        """Ask a Debezium connector for an incremental snapshot of `tables` (once: a signal with `signal_id` is
        never sent twice) and wait for its evidence that the snapshot started."""
        ...
