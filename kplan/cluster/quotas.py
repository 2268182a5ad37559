"""Client quotas on the wire: the one place kplan uses a second Kafka client library.

Why a second library: confluent-kafka (librdkafka) has no describe/alter client quota calls (checked in 2.16.1:
`AdminClient` has none). kafka-python (3.0.x, Apache-2.0, pure Python, maintained) ships the protocol messages
`DescribeClientQuotasRequest` / `AlterClientQuotasRequest` (`kafka.protocol.admin.client_quotas`) but no admin
method for them; its admin client does send any request through its connection manager (`_manager.send`, run on
its IO thread by `_manager.run`), which is how its own SCRAM-user methods are written. kplan does the same, in
a few lines here, and nowhere else. The client is built from the stack's `cluster.bootstrap_servers` and the
librdkafka properties of `cluster.client` (translated below; one it cannot translate is one error line naming it),
waits at most `cluster.timeout` per request, and is closed by whoever opened it.

Entities: a quota belongs to a user, a client id, or both; `<default>` stands for Kafka's default entity (a null
entity name on the wire). Values are doubles on the wire; a key set to None in `alter` is removed.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from kplan.errors import KplanError
from kplan.model.desired import DEFAULT_ENTITY, ClusterSpec, QuotaEntity
from kplan.secrets import SecretValues

USER, CLIENT_ID = "user", "client-id"
MATCH_ANY = 2  # DescribeClientQuotas component match types: 0 exact, 1 default, 2 any

# librdkafka property -> kafka-python KafkaAdminClient setting (values copied as they are)
_SAME = {
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.mechanisms": "sasl_mechanism",
    "sasl.username": "sasl_plain_username",
    "sasl.password": "sasl_plain_password",
    "ssl.ca.location": "ssl_cafile",
    "ssl.certificate.location": "ssl_certfile",
    "ssl.key.location": "ssl_keyfile",
    "ssl.key.password": "ssl_password",
    "ssl.crl.location": "ssl_crlfile",
    "client.id": "client_id",
}
# librdkafka properties that tune librdkafka alone (nothing to carry over to kafka-python)
_LIBRDKAFKA_ONLY = frozenset({"debug", "log_level", "socket.keepalive.enable", "statistics.interval.ms",
                              "socket.timeout.ms", "socket.connection.setup.timeout.ms", "api.version.request",
                              "broker.address.family", "reconnect.backoff.ms", "reconnect.backoff.max.ms"})


def kafka_python_config(cluster: ClusterSpec, secrets: SecretValues | None = None) -> dict[str, Any]:
    """KafkaAdminClient settings from the stack's cluster section (secret references substituted here, at the
    edge). A property without a kafka-python equivalent raises one KplanError naming it (never its value)."""
    secrets = SecretValues() if secrets is None else secrets
    timeout_ms = max(1000, int(cluster.timeout_s * 1000))
    conf: dict[str, Any] = {"bootstrap_servers": cluster.bootstrap_servers.split(","), "client_id": "kplan",
                            "request_timeout_ms": timeout_ms, "bootstrap_timeout_ms": timeout_ms,
                            "reconnect_backoff_max_ms": 1000}
    for key, raw in sorted(cluster.client_properties.items()):
        value = secrets.substitute(str(raw))
        if key in _SAME:
            conf[_SAME[key]] = value.upper() if key in ("security.protocol", "sasl.mechanism",
                                                        "sasl.mechanisms") else value
        elif key == "ssl.endpoint.identification.algorithm":
            conf["ssl_check_hostname"] = value.lower() == "https"
        elif key not in _LIBRDKAFKA_ONLY:
            raise KplanError(f"cluster.client property {key!r} has no equivalent in kafka-python, the client kplan "
                             "uses for quotas (docs/secured-clusters.md lists the properties it understands); "
                             "remove it or manage quotas another way")
    return conf


def _wire_name(name: str | None) -> str | None:
    return None if name == DEFAULT_ENTITY else name


def _stack_name(name: str | None) -> str:
    return DEFAULT_ENTITY if name is None else name


class QuotaUnreachable(KplanError):
    """The quota request got no answer (connection refused or lost, timed out): worth another try."""


class QuotaError(KplanError):
    """A quota request the broker refused; `code` is Kafka's error name (CLUSTER_AUTHORIZATION_FAILED...)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class QuotaClient:
    """Describe and alter client quotas (one request each); open lazily, close after use."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        self.cluster = cluster
        self._conf = kafka_python_config(cluster, secrets)
        self._admin: Any = None

    @property
    def admin(self):
        if self._admin is None:
            from kafka.admin import KafkaAdminClient
            from kafka.errors import KafkaError

            try:
                self._admin = KafkaAdminClient(**self._conf)
            except KafkaError as e:
                raise QuotaUnreachable(f"cannot reach Kafka at {self.cluster.bootstrap_servers} to read or change "
                                       f"client quotas: {type(e).__name__}") from None
        return self._admin

    def _send(self, request) -> Any:
        from kafka.errors import KafkaError

        admin = self.admin
        timeout_ms = self._conf["request_timeout_ms"]

        async def call():
            return await admin._manager.send(request, request_timeout_ms=timeout_ms)

        try:
            return admin._manager.run(call)
        except KafkaError as e:
            raise QuotaUnreachable(f"client quota request to {self.cluster.bootstrap_servers} got no answer: "
                                   f"{type(e).__name__}") from None

    def describe(self) -> dict[QuotaEntity, dict[str, float]]:
        """Every quota of every user / client-id / user+client-id entity, in one DescribeClientQuotas request (IP
        entities are not kplan's)."""
        from kafka.errors import for_code
        from kafka.protocol.admin import DescribeClientQuotasRequest

        response = self._send(DescribeClientQuotasRequest(components=[], strict=False))
        if response.error_code:
            err = for_code(response.error_code)
            raise QuotaError(f"describing client quotas failed: {err.message}", err.message)
        out: dict[QuotaEntity, dict[str, float]] = {}
        for entry in response.entries or ():
            parts = {e.entity_type: _stack_name(e.entity_name) for e in entry.entity}
            if not parts or set(parts) - {USER, CLIENT_ID}:
                continue
            out[QuotaEntity(parts.get(USER), parts.get(CLIENT_ID))] = {v.key: float(v.value) for v in entry.values}
        return out

    def alter(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]) -> None:
        """Set (a value) or remove (None) quota keys of entities, in one AlterClientQuotas request; the first
        entity the broker refuses raises QuotaError (the others of the request may have been applied)."""
        from kafka.errors import for_code
        from kafka.protocol.admin import AlterClientQuotasRequest

        Entry = AlterClientQuotasRequest.EntryData
        entries = []
        for entity, values in changes:
            parts = [(USER, entity.user), (CLIENT_ID, entity.client_id)]
            entries.append(Entry(
                entity=[Entry.EntityData(entity_type=t, entity_name=_wire_name(n)) for t, n in parts if n is not None],
                ops=[Entry.OpData(key=k, value=0.0 if v is None else float(v), remove=v is None)
                     for k, v in sorted(values.items())]))
        if not entries:
            return
        response = self._send(AlterClientQuotasRequest(entries=entries, validate_only=False))
        for entry in response.entries:
            if entry.error_code:
                err = for_code(entry.error_code)
                who = ",".join(f"{e.entity_type}={_stack_name(e.entity_name)}" for e in entry.entity)
                denied = err.message.endswith("AUTHORIZATION_FAILED")
                detail = f" ({entry.error_message})" if entry.error_message and not denied else ""
                raise QuotaError(f"altering the client quotas of {who} failed: {err.message}{detail}", err.message)

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            finally:
                self._admin = None
