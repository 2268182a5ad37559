"""The writers apply is given: one per system, each behind its own Protocol (`kplan.kinds.ports`,
`kplan.kinds.ports`), composed here, above the packages that implement them (neither `kplan.cluster`
nor `kplan.registry` imports the other). A step handler calls `ctx.writer.<system>.<method>`; the unit tests
compose in-memory fakes the same way (tests/unit/fakes.py)."""

from __future__ import annotations

from kplan.kinds.ports import Writers
from kplan.model.desired import DEFAULT_CONNECT, ClusterSpec
from kplan.secrets import SecretValues


def open_writers(cluster: ClusterSpec, secrets: SecretValues | None = None, policy=None,
                 connector_timeout_s: float = 120.0, admin=None) -> Writers:
    """The real writers of a stack's cluster. `admin`: an admin client to use (the session's; not closed here),
    `policy`: the retry policy of Kafka's and Connect's writes (default: the stack's timeout)."""
    from kplan.cluster.connect_writer import ConnectWriter
    from kplan.cluster.kafka_admin import KafkaAdmin
    from kplan.cluster.postgres import PostgresWriter
    from kplan.cluster.wire_writer import WireWriter
    from kplan.registry.write import open_registry_writer

    secrets = SecretValues() if secrets is None else secrets
    kafka = KafkaAdmin(cluster, secrets, policy, admin=admin, connector_timeout_s=connector_timeout_s)
    connect = ConnectWriter(cluster, secrets, kafka.link, policy, connector_timeout_s, kafka.group_members)
    if cluster.connects:  # several Connect clusters: one writer each (kplan.cluster.connect_router)
        from kplan.cluster.connect_router import ConnectRouter

        writers = {name: ConnectWriter(cluster.for_connect(name), secrets, kafka.link, policy, connector_timeout_s,
                                       kafka.group_members) for name in cluster.connects}
        if cluster.connect_url:
            writers[DEFAULT_CONNECT] = connect
        connect = ConnectRouter(writers)  # type: ignore[assignment]
    return Writers(kafka, WireWriter(kafka), connect, PostgresWriter(cluster.timeout_s),
                   lambda: open_registry_writer(cluster, secrets))
