"""The writers apply is given: one per system, each behind its own Protocol (`kplan.cluster.interface`,
`kplan.registry.interface`), composed here, above the packages that implement them (neither `kplan.cluster`
nor `kplan.registry` imports the other). A step handler calls `ctx.writer.<system>.<method>`; the unit tests
compose in-memory fakes the same way (tests/unit/fakes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kplan.cluster.interface import ConnectWrites, KafkaPythonWrites, KafkaWrites, PostgresWrites
from kplan.model.desired import ClusterSpec
from kplan.registry.interface import RegistryWrites
from kplan.secrets import SecretValues


@dataclass
class Writers:
    kafka: KafkaWrites  # topics, configs, ACLs, SCRAM, throttles, snapshot signals
    kafka_python: KafkaPythonWrites  # client quotas, partition reassignments
    connect: ConnectWrites  # connectors, offsets, restarts
    postgres: PostgresWrites  # CDC slots and publications
    open_registry: Callable[[], RegistryWrites]  # the registry's writer, made on first use (a stack may name none)
    _registry: RegistryWrites | None = field(default=None, init=False, repr=False)

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
        for writer in (self._registry, self.kafka_python, self.connect, self.kafka):
            close = getattr(writer, "close", None)
            if close is not None:
                close()
        self._registry = None


def open_writers(cluster: ClusterSpec, secrets: SecretValues | None = None, policy=None,
                 connector_timeout_s: float = 120.0, admin=None) -> Writers:
    """The real writers of a stack's cluster. `admin`: an admin client to use (the session's; not closed here),
    `policy`: the retry policy of Kafka's and Connect's writes (default: the stack's timeout)."""
    from kplan.cluster.connect_writer import ConnectWriter
    from kplan.cluster.kafka_admin import KafkaAdmin
    from kplan.cluster.kafka_python import KafkaPythonWriter
    from kplan.cluster.postgres import PostgresWriter
    from kplan.registry.write import open_registry_writer

    secrets = SecretValues() if secrets is None else secrets
    kafka = KafkaAdmin(cluster, secrets, policy, admin=admin, connector_timeout_s=connector_timeout_s)
    connect = ConnectWriter(cluster, secrets, kafka.link, policy, connector_timeout_s)
    return Writers(kafka, KafkaPythonWriter(kafka), connect, PostgresWriter(cluster.timeout_s),
                   lambda: open_registry_writer(cluster, secrets))
