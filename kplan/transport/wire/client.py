"""Kafka's protocol for the requests librdkafka lacks (client quotas, partition reassignments, BROKER and GROUP
configs, ListConfigResources, share groups), over kplan's own connections (`connection`): the first bootstrap
server that takes one for what any broker answers, and one per broker for what a broker answers for itself (its own
configs, the groups it coordinates, the controller's requests), each opened when first needed and closed together.
The messages are kafka-python's (`kafka.protocol.*`) or kplan's made from Kafka's JSON with its machinery
(`kplan.transport.share_protocol`): kafka-python is a library of message layouts here, never a client. A request that
gets no answer raises `NoAnswer` and the caller's attempts decide (`kplan.transport.attempts`); the client itself asks
again only when the broker the metadata named as the controller no longer is."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.secrets import SecretValues
from kplan.transport.wire.codec import NoAnswer, Refused, WireError
from kplan.transport.wire.connection import Connection, Settings, settings_of

T = TypeVar("T")


def error_name(code: int) -> str:
    """Kafka's name of an error code (GROUP_AUTHORIZATION_FAILED...)."""
    from kplan.transport.wire.messages import for_code

    return for_code(code).message


class Client:
    """One cluster over kplan's connections: `send(request, node)` (None: any broker), `to_controller`,
    `to_coordinator`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._connections: dict[int | None, Connection] = {}
        self._where: dict[int, tuple[str, int]] = {}  # node id -> its host and port, as the cluster advertises it
        self._controller: int | None = None
        self._coordinators: dict[str, int] = {}

    def send(self, request: Any, node: int | None = None) -> Any:
        """`request` (a kafka-python message) to broker `node`, or any; its answer. A connection that failed is
        closed, and opened again by the next request."""
        try:
            return self._connection(node).call(request)
        except WireError:
            dropped = self._connections.get(node)
            for key in [k for k, c in self._connections.items() if c is dropped]:
                del self._connections[key]
            if dropped is not None:
                dropped.close()
            raise

    def _connection(self, node: int | None) -> Connection:
        """The connection to broker `node` (None: the bootstrap one, which is also the connection to the broker it
        reached)."""
        if node not in self._connections:
            if node is None:
                self._connections[None] = Connection(self.settings)
                return self._connections[None]
            if node not in self._where:
                self.brokers()
            if node not in self._where:
                raise NoAnswer(f"broker {node} is not in the metadata of Kafka at {self._bootstrap()}")
            host, port = self._where[node]
            bootstrap = self._connections.get(None)
            self._connections[node] = (
                bootstrap
                if bootstrap is not None and bootstrap.where == f"{host}:{port}"
                else Connection(self.settings, (host, port))
            )
        return self._connections[node]

    def brokers(self) -> list[int]:
        """The cluster's brokers (one Metadata request, of no topic)."""
        from kplan.transport.wire.messages import MetadataRequest

        answer = self.send(MetadataRequest(topics=[], allow_auto_topic_creation=False, min_version=1))
        self._where.update({b.node_id: (b.host, b.port) for b in answer.brokers})
        self._controller = answer.controller_id
        return sorted(b.node_id for b in answer.brokers)

    def to_controller(self, request: Any) -> Any:
        """`request` to the broker the metadata names as the controller (with KRaft, any broker forwards it to the
        controller quorum); a NOT_CONTROLLER answer's top-level error is asked again of the next one once."""
        for _ in range(2):
            if self._controller is None or self._controller < 0:
                self.brokers()
            answer = self.send(request, self._controller)
            if getattr(answer, "error_code", 0) != 41:  # NOT_CONTROLLER: the controller moved
                return answer
            self._controller = None
        raise NoAnswer(f"no broker of Kafka at {self._bootstrap()} took the request as the controller")

    def to_coordinator(self, group: str, request: Any) -> Any:
        """`request` to the group's coordinator (FindCoordinator v4+, key type GROUP; remembered per group)."""
        from kplan.transport.wire.messages import FindCoordinatorRequest

        if group not in self._coordinators:
            find = FindCoordinatorRequest(key_type=0, coordinator_keys=[group], min_version=4)
            [found] = self.send(find).coordinators
            if found.error_code:
                name = error_name(found.error_code)
                if name.endswith("AUTHORIZATION_FAILED"):
                    raise Refused(f"finding the coordinator of group {group} failed: {name}", name)
                raise NoAnswer(f"Kafka at {self._bootstrap()} has no coordinator for group {group} yet ({name})")
            self._where[found.node_id] = (found.host, found.port)
            self._coordinators[group] = found.node_id
        return self.send(request, self._coordinators[group])

    def serves(self, request_class: Any) -> bool:
        """Whether any broker serves a version of `request_class` (its ApiVersions, asked at login)."""
        low, high = self._connection(None).versions.get(request_class.API_KEY, (0, -1))
        return low <= min(high, request_class.max_version)

    def finalized(self, feature: str) -> int:
        """The cluster-wide finalized version of a feature (share.version...), 0 when not finalized (ApiVersions
        v3+, KIP-584)."""
        import kplan
        from kplan.transport.wire.messages import ApiVersionsRequest

        answer = self.send(
            ApiVersionsRequest(client_software_name="kplan", client_software_version=kplan.__version__, min_version=3)
        )
        return max((f.max_version_level for f in answer.finalized_features or () if f.name == feature), default=0)

    def _bootstrap(self) -> str:
        return ",".join(f"{h}:{p}" for h, p in self.settings.servers)

    def close(self) -> None:
        for connection in set(self._connections.values()):
            connection.close()
        self._connections.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_client(cluster: ClusterSpec, secrets: SecretValues | None = None) -> Client:
    """A client of the stack's cluster, from the same settings as its librdkafka clients (no connection yet);
    Unspoken (one line naming it) for a client setting this client does not speak."""
    from kplan.transport.kafka import client_config

    return Client(settings_of(client_config(cluster, secrets), cluster.timeout_s))


class WireSession:
    """The run's own Kafka client (`client`, opened when first needed, `kplan.transport.sessions.Writers.wire`), which
    the topic kind's reassignments and the dynamic-config and share-group kinds' io write through; `kafka`: Kafka's
    admin session of the run (its cluster and secrets)."""

    def __init__(self, kafka: Any):
        self.kafka = kafka
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = open_client(self.kafka.cluster, self.kafka.secrets)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def read_with(
    cluster: ClusterSpec, secrets: SecretValues | None, read: Callable[[Client], T]
) -> tuple[T | dict, Problem | None]:
    """A plan's read with a client opened for it and closed after it: its answer, or ({}, NOT_AUTHORIZED) when
    kplan's principal may not make it."""
    with open_client(cluster, secrets) as client:
        try:
            return read(client), None
        except Refused as e:
            if e.code.endswith("AUTHORIZATION_FAILED"):
                return {}, Problem.NOT_AUTHORIZED
            raise
