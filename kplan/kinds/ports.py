"""The ports a kind's step handlers write through: one small Protocol per system (the methods the handlers call, and
nothing else), the per-item results of a batched write, and `Writers`, one writer per system as a run is given
them (composed by `kplan.apply.writers.open_writers`). The I/O packages implement the Protocols; the kinds, below
them, see only these.

- `KafkaWrites`: the admin client's writes (confluent-kafka) not yet in their kinds' io: topics, configs,
  partitions, the replication throttle, consumer groups' offsets and deletion, and Debezium's snapshot signal (a
  record on a Kafka topic). (The acl, streams_app and user kinds' handlers call their own io: `StepContext.io`.)
  `kplan.cluster.kafka_admin.KafkaAdmin` implements it.
- `WireWrites`: what librdkafka lacks, through kplan's own Kafka client: client quotas, partition reassignments,
  dynamic broker configs (librdkafka refuses the cluster-wide default, a BROKER resource with an empty name), group
  configs and share groups' start offsets. `kplan.cluster.wire_writer.WireWriter`.
- `ConnectWrites`: connectors, their offsets and restarts. `kplan.cluster.connect_writer.ConnectWriter`.
- `PostgresWrites`: a destroyed CDC source's slot and publication. `kplan.cluster.postgres.PostgresWriter`.
- `RegistryWrites`: schema registry subjects. `kplan.registry.write.RegistryWriter`.

A batch method (one request for many items) returns per-item results (`kplan.model.results.BatchResults`;
`kplan.transport.results` classifies errors), and fills the `results` it is given as the answers arrive. The unit
tests' fake writer (tests/unit/fakes.py) implements every Protocol in memory; tests/unit/apply/test_executor.py
checks both against them (method names and signatures), and that apply calls exactly the methods they name.

(The read side planning uses is `kplan.model.live.LiveStateReader`.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol, Sequence, TypeVar, cast, runtime_checkable

from kplan.model.desired import ConnectorState, TopicSpec
from kplan.model.results import BatchResults

if TYPE_CHECKING:  # the kinds' own types, in signatures only: the toolkit imports no kind (.importlinter)
    from kplan.kinds.subject.model import SchemaReference

T = TypeVar("T")
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

    def set_replication_throttle(self, topics: Sequence[str], rate: int, brokers: Sequence[int] | None = None
                                 ) -> None:
        """Limit the replication of `topics` to `rate` bytes/s on `brokers` (None: every broker), during a
        reassignment."""
        ...

    def clear_replication_throttle(self, topics: Sequence[str], brokers: Sequence[int] | None = None) -> None:
        """Take that limit away."""
        ...

    def elect_preferred_leaders(self, partitions: Mapping[str, Sequence[int]]) -> None:
        """Make each partition's preferred (first) replica its leader (ElectLeaders, PREFERRED), then wait until
        the metadata shows it; a partition already led so is a success."""
        ...

    def send_snapshot_signal(self, connector: str, tables: Sequence[str], topic: str, key: str,
                             table_topic: str | None = None, signal_id: str | None = None,
                             timeout_s: float | None = None) -> None:
        """Ask a Debezium connector for an incremental snapshot of `tables` (once: a signal with `signal_id` is
        never sent twice) and wait for its evidence that the snapshot started."""
        ...

    def group_members(self, group: str) -> tuple[str, int]:
        """A consumer group's (state, member count); ("Dead", 0) when it does not exist."""
        ...

    def group_offsets(self, group: str) -> tuple[tuple[str, int, int], ...]:
        """A consumer group's committed offsets: (topic, partition, offset), sorted."""
        ...

    def alter_group_offsets(self, group: str, offsets: Sequence[tuple[str, int, int]]) -> None:
        """Set these committed offsets of the group (others are left alone); verified by reading them back."""
        ...

    def delete_consumer_group(self, group: str) -> None:
        """Delete the group and its committed offsets (Kafka refuses while it has members); verified."""
        ...


@runtime_checkable
class WireWrites(Protocol):
    def alter_quotas(self, changes: Sequence[tuple[Any, Mapping[str, float | None]]],
                     results: BatchResults | None = None) -> BatchResults:
        """Per entity (a client quota's: its user and client id), quota key -> value to set (None: remove the key);
        one request (results by entity name)."""
        ...

    def alter_broker_configs(self, changes: Sequence[tuple[str, Mapping[str, str | None]]],
                             results: BatchResults | None = None) -> BatchResults:
        """Per broker entity ("<default>": the cluster-wide dynamic default, or a broker id), config key -> value
        to set (None: delete the dynamic value); one IncrementalAlterConfigs request per entity, verified by
        reading the entity back (results by entity)."""
        ...

    def alter_group_configs(self, changes: Sequence[tuple[str, Mapping[str, str | None]]],
                            results: BatchResults | None = None) -> BatchResults:
        """Per group, config key -> value to set (None: delete the group's dynamic value); one
        IncrementalAlterConfigs request per group, verified by reading the group back (results by group)."""
        ...

    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]],
                          results: BatchResults | None = None) -> BatchResults:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list (results by
        `topic-partition`)."""
        ...

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Until no partition of `targets` moves and each shows its replica list."""
        ...

    def cancel_reassignments(self, topics: Sequence[str]) -> None:
        """Cancel the reassignments of `topics`' partitions still under way (each reverts to its replicas before)."""
        ...

    def share_group_members(self, group: str) -> tuple[str, int]:
        """A share group's (state, member count); ("Dead", 0) when it does not exist."""
        ...

    def share_group_offsets(self, group: str) -> tuple[tuple[str, int, int], ...]:
        """A share group's start offsets: (topic, partition, offset), sorted (a partition not initialised is left
        out)."""
        ...

    def alter_share_group_offsets(self, group: str, offsets: Sequence[tuple[str, int, int]]) -> None:
        """Set these start offsets of the share group (others are left alone); verified by reading them back."""
        ...

    def delete_share_group_offsets(self, group: str, topics: Sequence[str]) -> None:
        """Remove the share group's start offsets of these topics (Kafka removes them by whole topics); verified."""
        ...


@runtime_checkable
class ConnectWrites(Protocol):
    def get_connector(self, name: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
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

    def wait_plugin_version(self, name: str, pin: str, timeout_s: float | None = None) -> None:
        """Until the running connector and every task report a plugin version that satisfies `pin` (its
        connector.plugin.version, KIP-891); at once when the connector reports no version."""
        ...

    def connector_offsets(self, name: str) -> list[dict[str, Any]]:
        """The connector's offsets (Connect's offsets API): [{"partition": {...}, "offset": {...}}, ...]."""
        ...

    def reset_connector_offsets(self, name: str) -> None:
        """Delete the offsets of a STOPPED connector (it starts from scratch when it runs again); verified."""
        ...

    def alter_connector_offsets(self, name: str, offsets: Sequence[Mapping[str, Any]]) -> None:
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

    def check_cdc_drop(self, host: str, port: int, user: str, database: str, password: str, slot: str | None,
                       publication: str | None) -> None:
        """Raise unless the drop could be done now: the login works and the user may drop both. Reads only."""
        ...


@runtime_checkable
class RegistryWrites(Protocol):
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

    def all_versions(self, subject: str) -> list[int]:
        """The subject's versions, soft-deleted ones included; [] when it has none or does not exist."""
        ...

    def delete_schema_version(self, subject: str, version: int, permanent: bool = False) -> None:
        """Soft-delete one version, then until the subject's versions no longer list it; `permanent`: then
        hard-delete it, until the versions with deleted ones no longer list it."""
        ...

    def subject_listed(self, subject: str) -> bool:
        """Whether the registry knows the subject at all (a soft-deleted one included)."""
        ...

    def own_level_answer(self, subject: str) -> str | None:
        """The raw answer of `GET /config/<subject>`: None when the registry has no such subject."""
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


# -- the writers a run is given: one per system (composed by kplan.apply.writers.open_writers) ------------------

@dataclass
class Writers:
    kafka: KafkaWrites  # topics, configs, ACLs, SCRAM, throttles, snapshot signals
    wire: WireWrites  # client quotas, partition reassignments, broker and group configs, share groups
    connect: ConnectWrites  # connectors, offsets, restarts
    postgres: PostgresWrites  # CDC slots and publications
    open_registry: Callable[[], RegistryWrites]  # the registry's writer, made on first use (a stack may name none)
    _registry: RegistryWrites | None = field(default=None, init=False, repr=False)
    _ios: dict[Callable[[Writers], Any], Any] = field(default_factory=dict, init=False, repr=False)

    def io(self, make: Callable[[Writers], T]) -> T:
        """A kind's io over these writers (`make(writers)`: its class), made on first use and kept for the run."""
        if make not in self._ios:
            self._ios[make] = make(self)
        return cast(T, self._ios[make])

    # What kplan.session.run uses directly: Kafka's admin client (the journal store, the lock and kplan's records
    # share it) and Kafka's link (KafkaAdmin's; None for a fake).
    @property
    def admin(self) -> Any:
        return getattr(self.kafka, "admin", None)

    @property
    def link(self) -> Any:
        return getattr(self.kafka, "link", None)

    @property
    def registry(self) -> RegistryWrites:
        if self._registry is None:
            self._registry = self.open_registry()
        return self._registry

    def close(self) -> None:
        """Close what each writer opened (the registry's only if it was made), Kafka's admin client last."""
        for writer in (self._registry, self.wire, self.connect, self.kafka):
            close = getattr(writer, "close", None)
            if close is not None:
                close()
        self._registry = None
