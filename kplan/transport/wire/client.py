"""Kafka's protocol for the requests librdkafka lacks (client quotas, partition reassignments, BROKER and GROUP
configs, ListConfigResources, share groups), over kplan's own connections (`connection`): the first bootstrap
server that takes one for what any broker answers, and one per broker for what a broker answers for itself (its own
configs, the groups it coordinates, the controller's requests), each opened when first needed and closed together.
The messages are kafka-python's (`kafka.protocol.*`) or kplan's made from Kafka's JSON with its machinery
(`kplan.transport.share_protocol`): kafka-python is a library of message layouts here, never a client.

Every request is asked again, here and only here, while Kafka answers it with an error it marks retriable, anywhere in
the answer (`kplan.transport.retry.RETRIED_CODES`: a coordinator not available or loading, a coordinator or
controller that moved, a leader not available...): with backoff and jitter (`kplan.transport.retry.retry`), for at
most the client's budget (the stack's timeout; within an apply's write, what its operation has left), looking the
coordinator or the controller up again when the answer says it moved; then `Transient`, naming the last error. The
first answer without one is taken: on the happy path nothing is added, neither a request nor a sleep. A request that
gets no answer raises `NoAnswer` at once and the caller's attempts decide (`kplan.transport.attempts`)."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, TypeVar

from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.secrets import SecretValues
from kplan.transport.retry import RETRIED_CODES, RetriableError, RetryPolicy, retry
from kplan.transport.wire.codec import NoAnswer, Refused, Transient, WireError
from kplan.transport.wire.connection import Connection, Settings, settings_of

T = TypeVar("T")
COORDINATOR_MOVED = frozenset({15, 16})  # COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR: look the coordinator up again
NOT_CONTROLLER = 41  # look the controller up again


def error_name(code: int) -> str:
    """Kafka's name of an error code (GROUP_AUTHORIZATION_FAILED...)."""
    from kplan.transport.wire.messages import for_code

    return for_code(code).message


def retriable_code(answer: Any) -> int | None:
    """The first error code anywhere in a kafka-python answer (top level, a group's, a partition's...) that kplan
    retries (`RETRIED_CODES`); None when there is none."""
    return next((code for code in _codes(answer) if code in RETRIED_CODES), None)


def _codes(message: Any, struct: Any = None) -> Iterator[int]:
    """The error codes in a message (of kafka-python's `struct`: its class's by default), its own and its parts',
    skipping the parts that can hold none (a broker's hundreds of config entries)."""
    struct = type(message)._struct if struct is None else struct
    own, inner = _shape(struct)
    if own and message.error_code:
        yield message.error_code
    for field in inner:
        part = getattr(message, field.name)
        for item in part if isinstance(part, list) else () if part is None else (part,):
            yield from _codes(item, field)


_SHAPES: dict[int, tuple[bool, tuple[Any, ...]]] = {}  # by id: kafka-python's structs live as long as their classes


def _shape(struct: Any) -> tuple[bool, tuple[Any, ...]]:
    """(whether a message of kafka-python's `struct` has an error code of its own, the fields of its parts that can
    hold one, however deep)."""
    if id(struct) not in _SHAPES:
        fields = struct._fields
        inner = tuple(f for f in fields if (f.is_struct() or f.is_struct_array()) and any(_shape(f)))
        _SHAPES[id(struct)] = (any(f.name == "error_code" for f in fields), inner)
    return _SHAPES[id(struct)]


class Client:
    """One cluster over kplan's connections: `send(request, node)` (None: any broker), `to_controller`,
    `to_coordinator`, each asked again while Kafka answers a retriable error, for at most `budget()` seconds."""

    def __init__(self, settings: Settings, budget: Callable[[], float] | None = None):
        self.settings = settings
        self.budget = budget or (lambda: settings.timeout_s)
        self.sleep = time.sleep  # between two tries (a unit test's fake clock replaces it)
        self._connections: dict[int | None, Connection] = {}
        self._where: dict[int, tuple[str, int]] = {}  # node id -> its host and port, as the cluster advertises it
        self._controller: int | None = None
        self._coordinators: dict[str, int] = {}

    def send(self, request: Any, node: int | None = None) -> Any:
        """`request` (a kafka-python message) to broker `node`, or any; its answer."""
        return self._asked(request, lambda: node)

    def _asked(self, request: Any, node: Callable[[], int | None]) -> Any:
        """`request` to the broker `node()` names, asked again while the answer holds a retriable error (the
        coordinators or the controller it names forgotten first: `node()` looks them up again)."""
        name = type(request).__name__.removesuffix("Request")

        def attempt() -> Any:
            to = node()
            answer = self._send(request, to)
            code = retriable_code(answer)
            if code is None:
                return answer
            if code in COORDINATOR_MOVED:
                self._coordinators.clear()
            elif code == NOT_CONTROLLER:
                self._controller = None
            where = "%s:%s" % self._where[to] if to in self._where else self._bootstrap()
            raise RetriableError(f"Kafka at {where} answered {error_name(code)}")

        return retry(attempt, RetryPolicy(deadline_s=self.budget()), f"kplan's {name} request", sleep=self.sleep,
                     gave_up=Transient)

    def _send(self, request: Any, node: int | None) -> Any:
        """One `request` to broker `node`, or any, and its answer. A connection that failed is closed, and opened
        again by the next request."""
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
        controller quorum); looked up again after a NOT_CONTROLLER answer."""
        return self._asked(request, self._controller_node)

    def _controller_node(self) -> int | None:
        if self._controller is None or self._controller < 0:
            self.brokers()
        return self._controller

    def to_coordinator(self, group: str, request: Any) -> Any:
        """`request` to the group's coordinator (FindCoordinator v4+, key type GROUP; remembered per group, looked up
        again after an answer saying it moved)."""
        return self._asked(request, lambda: self._coordinator(group))

    def _coordinator(self, group: str) -> int:
        """The group's coordinator; RetriableError while Kafka has none yet (COORDINATOR_NOT_AVAILABLE while the
        cluster's first group lookup makes `__consumer_offsets`, COORDINATOR_LOAD_IN_PROGRESS while the partition is
        loaded), Refused when it refuses to say."""
        refused = self._find_coordinators([group])
        if group in refused:
            raise Refused(f"finding the coordinator of group {group} failed: {refused[group]}", refused[group])
        return self._coordinators[group]

    def to_coordinators(self, groups: list[str], request_of: Callable[[list[str]], Any], most: int | None = None
                        ) -> tuple[list[Any], dict[str, str]]:
        """`request_of(some groups)` to each coordinator of `groups`, one request per coordinator (or per `most` of
        its groups), after one FindCoordinator (v4+, every group not known yet as one of its keys): (the answers,
        group -> the error name of each group whose coordinator Kafka refused to name, e.g.
        GROUP_AUTHORIZATION_FAILED). Asked again, every batch, while an answer holds a retriable error (the
        coordinators looked up again when one moved)."""
        refused: dict[str, str] = {}

        def attempt() -> list[Any]:
            refused.update(self._find_coordinators([g for g in groups if g not in refused]))
            batches: dict[int, list[str]] = {}
            for g in groups:
                if g not in refused:
                    batches.setdefault(self._coordinators[g], []).append(g)
            answers = []
            step = most or len(groups)
            for node, batch in [(n, b[i:i + step]) for n, b in sorted(batches.items()) for i in range(0, len(b), step)]:
                answer = self._send(request_of(batch), node)
                code = retriable_code(answer)
                if code is not None:
                    if code in COORDINATOR_MOVED:
                        self._coordinators.clear()
                    raise RetriableError("Kafka at %s:%s answered %s" % (*self._where[node], error_name(code)))
                answers.append(answer)
            return answers

        name = type(request_of(groups[:1])).__name__.removesuffix("Request")
        answers = retry(attempt, RetryPolicy(deadline_s=self.budget()), f"kplan's {name} request", sleep=self.sleep,
                        gave_up=Transient)
        return answers, refused

    def _find_coordinators(self, groups: list[str]) -> dict[str, str]:
        """Looks up the coordinators of the groups not known yet, in one FindCoordinator: group -> the error name of
        each Kafka refused to name; RetriableError while one has none yet."""
        from kplan.transport.wire.messages import FindCoordinatorRequest

        unknown = [g for g in groups if g not in self._coordinators]
        if not unknown:
            return {}
        answer = self._send(FindCoordinatorRequest(key_type=0, coordinator_keys=unknown, min_version=4), None)
        refused = {}
        for found in answer.coordinators:
            if found.error_code in RETRIED_CODES:
                raise RetriableError(f"Kafka at {self._bootstrap()} has no coordinator for group {found.key} yet "
                                     f"({error_name(found.error_code)})")
            if found.error_code:
                refused[found.key] = error_name(found.error_code)
                continue
            self._where[found.node_id] = (found.host, found.port)
            self._coordinators[found.key] = found.node_id
        return refused

    def serves(self, request_class: Any) -> bool:
        """Whether any broker serves a version of `request_class` (its ApiVersions, asked at login)."""
        low, high = self._connection(None).versions.get(request_class.API_KEY, (0, -1))
        return low <= min(high, request_class.max_version)

    def finalized(self, feature: str) -> int:
        """The cluster-wide finalized version of a feature (share.version...), 0 when not finalized."""
        return self.finalized_levels().get(feature, 0)

    def finalized_levels(self) -> dict[str, int]:
        """feature -> its finalized level, as the broker answering knows them (ApiVersions v3+, KIP-584: one request;
        a feature at 0 is not listed)."""
        import kplan
        from kplan.transport.wire.messages import ApiVersionsRequest

        answer = self.send(
            ApiVersionsRequest(client_software_name="kplan", client_software_version=kplan.__version__, min_version=3)
        )
        return {f.name: f.max_version_level for f in answer.finalized_features or ()}

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
    admin session of the run (its cluster and secrets, and the deadlines its requests keep: a retriable answer is
    asked again for at most what the operation under way has left, `AdminSession.request_timeout`)."""

    def __init__(self, kafka: Any):
        self.kafka = kafka
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = open_client(self.kafka.cluster, self.kafka.secrets)
            self._client.budget = self.kafka.request_timeout
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
