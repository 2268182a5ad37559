"""The one kafka-python client, and the writes made through it: client quotas and partition reassignments.

Why a second Kafka client library: confluent-kafka (librdkafka) has no describe/alter client quota calls and no
partition reassignment calls (checked in 2.16.1: `AdminClient` has none). kafka-python (3.0.x, Apache-2.0, pure
Python, maintained) ships the protocol messages `DescribeClientQuotasRequest` / `AlterClientQuotasRequest`
(`kafka.protocol.admin.client_quotas`) but no admin method for them; its admin client does send any request
through its connection manager (`_manager.send`, run on its IO thread by `_manager.run`), which is how its own
SCRAM-user methods are written. It does have AlterPartitionReassignments and ListPartitionReassignments. kplan uses
it here and nowhere else. The client is built from the stack's `cluster.bootstrap_servers` and the librdkafka
properties of `cluster.client` (translated below; one it cannot translate is one error line naming it), waits at
most `cluster.timeout` per request, is opened when first needed and closed by whoever opened it.

Quota entities: a quota belongs to a user, a client id, or both; `<default>` stands for Kafka's default entity
(a null entity name on the wire). Values are doubles on the wire; a key set to None is removed.

Reassignment: Kafka copies a partition's data to its new replicas, waits for them to join the in-sync set, then
drops the replicas no longer listed; `ongoing_reassignments` says which partitions are still moving. The replica
order given is kept (the first is the preferred leader).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from kplan.errors import KplanError, WriteError
from kplan.kinds.quota.model import DEFAULT_ENTITY, QuotaEntity
from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.secrets import SecretValues

if TYPE_CHECKING:  # the writes' types: the reads (the plan's) load none of them
    from kplan.cluster.kafka_admin import KafkaAdmin
    from kplan.kinds.ports import BatchResults

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
        elif key in _OIDC:
            continue  # read by _oidc_provider below
        elif key not in _LIBRDKAFKA_ONLY:
            raise KplanError(f"cluster.client property {key!r} has no equivalent in kafka-python, the client kplan "
                             "uses for quotas (docs/secured-clusters.md lists the properties it understands); "
                             "remove it or manage quotas another way")
    if cluster.aws_msk_iam is not None:
        from kplan.transport.kafka import token_source
        from kplan.transport.oauth import msk_source

        conf.setdefault("security_protocol", "SASL_SSL")
        conf["sasl_mechanism"] = "OAUTHBEARER"
        conf["sasl_oauth_token_provider"] = token_source(cluster.aws_msk_iam, msk_source).kafka_python_provider()
    elif conf.get("sasl_mechanism") == "OAUTHBEARER":
        conf["sasl_oauth_token_provider"] = _oidc_provider(cluster, secrets, timeout_ms / 1000)
    return conf


# librdkafka's OIDC settings, which kafka-python gets as a token provider of kplan's (kplan.transport.oauth)
_OIDC = frozenset({"sasl.oauthbearer.method", "sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret",
                   "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.scope", "https.ca.location"})


def _oidc_provider(cluster: ClusterSpec, secrets: SecretValues, timeout_s: float):
    """kafka-python's token provider for `sasl.oauthbearer.method: oidc`: client credentials from the same token
    endpoint librdkafka uses. Any other OAUTHBEARER setup (librdkafka's unsecured `default` method) is one line."""
    from kplan.transport.kafka import token_source
    from kplan.transport.oauth import ClientCredentials

    props = {k: secrets.substitute(str(v)) for k, v in cluster.client_properties.items()}
    if props.get("sasl.oauthbearer.method", "default").lower() != "oidc":
        raise KplanError("sasl.mechanisms OAUTHBEARER: kplan's quota and reassignment client (kafka-python) can only "
                         "fetch its tokens with sasl.oauthbearer.method oidc (client credentials) or "
                         "cluster.client.aws_msk_iam; set one, or manage quotas another way")
    missing = [k for k in ("sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret",
                           "sasl.oauthbearer.token.endpoint.url") if not props.get(k)]
    if missing:
        raise KplanError(f"sasl.oauthbearer.method oidc needs {', '.join(missing)} in cluster.client")
    settings = {"url": props["sasl.oauthbearer.token.endpoint.url"], "id": props["sasl.oauthbearer.client.id"],
                "secret": props["sasl.oauthbearer.client.secret"], "scope": props.get("sasl.oauthbearer.scope", ""),
                "ca": props.get("https.ca.location", ""), "timeout": str(timeout_s)}

    def make(s):
        return ClientCredentials(s["url"], s["id"], s["secret"], s["scope"] or None, float(s["timeout"]),
                                 s["ca"] or None)

    make.__name__ = "oidc"
    return token_source(settings, make).kafka_python_provider()


def _wire_name(name: str | None) -> str | None:
    return None if name == DEFAULT_ENTITY else name


def _stack_name(name: str | None) -> str:
    return DEFAULT_ENTITY if name is None else name


class _AuthFailures:
    """While open (a `with` block), notes the SASL failure kafka-python logs (kafka.net.connection) during its
    bootstrap: it retries until its timeout and then reports only that the bootstrap timed out."""

    def __init__(self):
        import logging

        self.seen: str | None = None
        self._handler = logging.Handler(logging.WARNING)
        self._handler.emit = self._note  # type: ignore[method-assign]
        self._logger = logging.getLogger("kafka.net")

    def _note(self, record) -> None:
        from kplan.secrets import scrub

        message = record.getMessage()
        if "SaslAuthenticationFailedError: " in message:
            self.seen = scrub(message.rsplit("SaslAuthenticationFailedError: ", 1)[-1])[:200]

    def __enter__(self):
        self._logger.addHandler(self._handler)
        return self

    def __exit__(self, *exc):
        self._logger.removeHandler(self._handler)


class KafkaPythonUnreachable(KplanError):
    """A request got no answer (connection refused or lost, timed out): worth another try."""


class KafkaPythonError(KplanError):
    """A request the broker refused; `code` is Kafka's error name (CLUSTER_AUTHORIZATION_FAILED...)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


# The reader makes its quota and broker-config reads in two threads at once: kafka-python imported by both at the
# same time fails in one of them ("cannot import name 'KafkaAdminClient' from 'kafka.admin'", a partly initialised
# package). A client imports every kafka-python module kplan uses first, one thread at a time.
_FIRST_IMPORT = threading.Lock()


def _import_kafka_python() -> None:
    with _FIRST_IMPORT:
        import kafka.admin  # noqa: F401
        import kafka.errors  # noqa: F401
        import kafka.protocol.admin  # noqa: F401


class KafkaPythonClient:
    """Describe and alter client quotas, alter and list partition reassignments (one request each); the admin
    client is opened lazily and closed after use."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None):
        _import_kafka_python()
        self.cluster = cluster
        self._conf = kafka_python_config(cluster, secrets)
        self._admin: Any = None

    def _open(self, purpose: str):
        """The admin client, made on first use; `purpose` words the error when Kafka cannot be reached."""
        if self._admin is None:
            from kafka.admin import KafkaAdminClient
            from kafka.errors import KafkaError

            from kplan.transport.kafka import accepts_connections

            provider = self._conf.get("sasl_oauth_token_provider")
            if provider is not None:
                provider.token()  # here, not on kafka-python's IO thread: a refused client is kplan's one line
            refused = _AuthFailures()
            try:
                with refused:
                    self._admin = KafkaAdminClient(**self._conf)
            except KafkaError as e:
                bearer = self._conf.get("sasl_mechanism") == "OAUTHBEARER"
                if refused.seen or (bearer and accepts_connections(self.cluster.bootstrap_servers, 2.0)):
                    # a refused login is not worth another try, and is what to report (the broker may close the
                    # connection before kafka-python reads its answer: then only the OAUTHBEARER setting tells)
                    why = f" ({refused.seen})" if refused.seen else ""
                    raise KplanError(f"Kafka at {self.cluster.bootstrap_servers} did not accept kplan's "
                                     f"{'OAUTHBEARER ' if bearer else ''}login{why}: check the stack's cluster.client "
                                     "credentials" + (" (is the token endpoint the identity provider the broker "
                                                      "trusts, with its issuer and audience?)" if bearer else ""))\
                        from None
                raise KafkaPythonUnreachable(f"cannot reach Kafka at {self.cluster.bootstrap_servers} to {purpose}: "
                                             f"{type(e).__name__}") from None
        return self._admin

    def _send(self, request, node_id: int | None = None, what: str = "client quota") -> Any:
        """One request (to broker `node_id`, or any); `what` words the error when it gets no answer."""
        from kafka.errors import KafkaError

        admin = self._open(f"read or change {what}s")
        timeout_ms = self._conf["request_timeout_ms"]

        async def call():
            if node_id is not None:
                return await admin._manager.send(request, node_id=node_id, request_timeout_ms=timeout_ms)
            return await admin._manager.send(request, request_timeout_ms=timeout_ms)

        try:
            return admin._manager.run(call)
        except KafkaError as e:
            raise KafkaPythonUnreachable(f"{what} request to {self.cluster.bootstrap_servers} got no answer: "
                                         f"{type(e).__name__}") from None

    def broker_ids(self) -> list[int]:
        """The brokers of the cluster, from the client's metadata."""
        admin = self._open("read broker configs")
        return sorted(b.node_id for b in admin._manager.cluster.brokers())

    # -- client quotas -------------------------------------------------------------------------------------------

    def describe_quotas(self) -> dict[QuotaEntity, dict[str, float]]:
        """Every quota of every user / client-id / user+client-id entity, in one DescribeClientQuotas request (IP
        entities are not kplan's)."""
        from kafka.errors import for_code
        from kafka.protocol.admin import DescribeClientQuotasRequest

        response = self._send(DescribeClientQuotasRequest(components=[], strict=False))
        if response.error_code:
            err = for_code(response.error_code)
            raise KafkaPythonError(f"describing client quotas failed: {err.message}", err.message)
        out: dict[QuotaEntity, dict[str, float]] = {}
        for entry in response.entries or ():
            parts = {e.entity_type: _stack_name(e.entity_name) for e in entry.entity}
            if not parts or set(parts) - {USER, CLIENT_ID}:
                continue
            out[QuotaEntity(parts.get(USER), parts.get(CLIENT_ID))] = {v.key: float(v.value) for v in entry.values}
        return out

    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]],
                     results: BatchResults | None = None) -> BatchResults:
        """Set (a value) or remove (None) quota keys of entities, in one AlterClientQuotas request; each entity's
        result is recorded, and the first entity the broker refused raises KafkaPythonError (the others of the
        request may have been applied)."""
        from kafka.errors import for_code
        from kafka.protocol.admin import AlterClientQuotasRequest

        from kplan.kinds.ports import BatchResults
        results = BatchResults() if results is None else results
        Entry = AlterClientQuotasRequest.EntryData
        entries = []
        for entity, values in changes:
            parts = [(USER, entity.user), (CLIENT_ID, entity.client_id)]
            entries.append(Entry(
                entity=[Entry.EntityData(entity_type=t, entity_name=_wire_name(n)) for t, n in parts if n is not None],
                ops=[Entry.OpData(key=k, value=0.0 if v is None else float(v), remove=v is None)
                     for k, v in sorted(values.items())]))
        if not entries:
            return results
        response = self._send(AlterClientQuotasRequest(entries=entries, validate_only=False))
        refused: KafkaPythonError | None = None
        for entry in response.entries:
            names = {e.entity_type: _stack_name(e.entity_name) for e in entry.entity}
            key = QuotaEntity(names.get(USER), names.get(CLIENT_ID)).name
            if not entry.error_code:
                results.record(key)
                continue
            err = for_code(entry.error_code)
            from kplan.cluster.results import reason_of_name

            results.record(key, reason_of_name(err.message), err.message)
            if refused is None:
                who = ",".join(f"{e.entity_type}={_stack_name(e.entity_name)}" for e in entry.entity)
                denied = err.message.endswith("AUTHORIZATION_FAILED")
                detail = f" ({entry.error_message})" if entry.error_message and not denied else ""
                refused = KafkaPythonError(f"altering the client quotas of {who} failed: {err.message}{detail}",
                                           err.message)
        if refused is not None:
            raise refused
        return results

    # -- partition reassignment ----------------------------------------------------------------------------------

    def alter_reassignments(self, targets: Mapping[str, Sequence[Sequence[int]]],
                            results: BatchResults | None = None) -> BatchResults:
        """Ask for every partition of `targets` (topic -> replica list per partition) to move to its list, in one
        request; each partition's result is recorded (`topic-partition`), and the first partition the broker
        refused raises KafkaPythonError."""
        from kafka import TopicPartition
        from kafka.errors import KafkaError

        from kplan.kinds.ports import BatchResults
        results = BatchResults() if results is None else results
        request = {TopicPartition(topic, p): list(replicas)
                   for topic, assignment in targets.items() for p, replicas in enumerate(assignment)}
        if not request:
            return results
        try:
            result = self._open("reassign partitions").alter_partition_reassignments(
                request, timeout_ms=self._conf["request_timeout_ms"])
        except KafkaError as e:
            raise KafkaPythonUnreachable(f"the reassignment request to {self.cluster.bootstrap_servers} got no "
                                         f"answer: {type(e).__name__}") from None
        refused: KafkaPythonError | None = None
        for tp, error in sorted(result.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            key = f"{tp.topic}-{tp.partition}"
            if error is None:
                results.record(key)
                continue
            name = getattr(error, "__name__", str(error))
            from kplan.cluster.results import reason_of_name

            results.record(key, reason_of_name(name), name)
            if refused is None:
                refused = KafkaPythonError(f"reassigning partition {tp.partition} of topic {tp.topic} failed: "
                                           f"{name}", name)
        if refused is not None:
            raise refused
        return results

    def cancel_reassignments(self, partitions: Sequence[tuple[str, int]]) -> None:
        """Cancel the reassignments of `partitions` (one request): the controller reverts each to the replicas it
        had before (a partition with none under way is a success)."""
        from kafka import TopicPartition
        from kafka.errors import KafkaError

        if not partitions:
            return
        try:
            result = self._open("reassign partitions").alter_partition_reassignments(
                {TopicPartition(t, p): None for t, p in partitions}, timeout_ms=self._conf["request_timeout_ms"])
        except KafkaError as e:
            raise KafkaPythonUnreachable(f"the reassignment cancel to {self.cluster.bootstrap_servers} got no "
                                         f"answer: {type(e).__name__}") from None
        for tp, error in sorted(result.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            name = getattr(error, "__name__", str(error)) if error is not None else None
            if name is not None and name != "NoReassignmentInProgressError":
                raise KafkaPythonError(f"cancelling the reassignment of partition {tp.partition} of topic {tp.topic} "
                                       f"failed: {name}", name)

    def ongoing_reassignments(self, topics: Sequence[str]) -> set[tuple[str, int]]:
        """The (topic, partition)s of `topics` whose reassignment is still under way."""
        from kafka.errors import KafkaError

        try:
            found = self._open("reassign partitions").list_partition_reassignments(
                timeout_ms=self._conf["request_timeout_ms"])
        except KafkaError as e:
            raise KafkaPythonUnreachable(f"listing reassignments at {self.cluster.bootstrap_servers} got no answer: "
                                         f"{type(e).__name__}") from None
        wanted = set(topics)
        return {(tp.topic, tp.partition) for tp in found if tp.topic in wanted}

    def close(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            finally:
                self._admin = None


def read_quotas(cluster: ClusterSpec, secrets: SecretValues | None
                ) -> tuple[dict[QuotaEntity, dict[str, float]], Problem | None]:
    """Every user / client-id quota entity (one DescribeClientQuotas), or why they cannot be read; a client is
    opened for this read and closed after it."""
    client = KafkaPythonClient(cluster, secrets)
    try:
        return client.describe_quotas(), None
    except KafkaPythonError as e:
        if e.code == "CLUSTER_AUTHORIZATION_FAILED":
            return {}, Problem.NOT_AUTHORIZED
        raise
    finally:
        client.close()


class KafkaPythonWriter:
    """The quota and reassignment writes of one run, through one kafka-python client (opened when first needed),
    retried and bounded like Kafka's other writes (Kafka's link and attempts: `kafka`). Implements
    `kplan.kinds.ports.KafkaPythonWrites`."""

    def __init__(self, kafka: KafkaAdmin):
        self.kafka = kafka
        self._client: KafkaPythonClient | None = None

    @property
    def client(self) -> KafkaPythonClient:
        if self._client is None:
            self._client = KafkaPythonClient(self.kafka.cluster, self.kafka.secrets)
        return self._client

    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]],
                     results: BatchResults | None = None) -> BatchResults:
        """One AlterClientQuotas request, retried while it gets no answer (setting a value twice is harmless); a
        refusal is one line (a missing right names it)."""
        from kplan.transport.permissions import denied_name

        what = "altering client quotas"
        from kplan.kinds.ports import BatchResults
        results = BatchResults() if results is None else results
        self.kafka.link.gate(what)

        def attempt():
            try:
                self.client.alter_quotas(changes, results)
            except KafkaPythonError as e:
                names = ", ".join(sorted({entity.name for entity, _ in changes}))
                problem = denied_name(e.code, "alter client quotas on", f"client quotas of {names}", self.kafka.who,
                                      operation="ALTER_CONFIGS")
                raise WriteError(f"{what}: {problem or e}") from None
            except KafkaPythonUnreachable as e:
                from kplan.transport.retry import RetriableError

                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None

        self.kafka.attempts.retry(attempt, what)
        self.wait_quotas(changes)
        return results

    def wait_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]) -> None:
        """Until the broker shows every changed key, None as no value (`kafka_admin.until_shown`): DescribeClientQuotas
        is answered from the state the broker throttles by."""
        from kplan.cluster.kafka_admin import until_shown

        def problem() -> str | None:
            try:
                live = self.client.describe_quotas()
            except KafkaPythonUnreachable:
                return "altering client quotas: the cluster did not answer the read-back"
            except KafkaPythonError as e:
                raise WriteError(f"altering client quotas: reading them back failed: {e}") from None
            wrong = sorted(entity.name for entity, values in changes
                           if any(live.get(entity, {}).get(k) != (None if v is None else float(v))
                                  for k, v in values.items()))
            return f"altering client quotas: the cluster does not show the quotas as written for {', '.join(wrong)}" \
                if wrong else None

        until_shown(problem, self.kafka.timeout_s)

    def alter_broker_configs(self, changes: Sequence[tuple[str, Mapping[str, str | None]]],
                             results: BatchResults | None = None) -> BatchResults:
        """Per entity, one IncrementalAlterConfigs request, verified (kplan.cluster.broker_configs.alter)."""
        from kplan.cluster.broker_configs import alter_broker_configs

        return alter_broker_configs(self, changes, results)

    def alter_group_configs(self, changes: Sequence[tuple[str, Mapping[str, str | None]]],
                            results: BatchResults | None = None) -> BatchResults:
        """Per group, one IncrementalAlterConfigs request, verified (kplan.cluster.group_configs.alter)."""
        from kplan.cluster.group_configs import alter_group_configs

        return alter_group_configs(self, changes, results)

    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]],
                          results: BatchResults | None = None) -> BatchResults:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list, in one
        request; asking for the same lists again is harmless, so it is retried while it gets no answer."""
        from kplan.transport.permissions import denied_name

        what = "reassigning partitions"
        from kplan.kinds.ports import BatchResults
        results = BatchResults() if results is None else results
        self.kafka.link.gate(what)

        def attempt():
            try:
                self.client.alter_reassignments(targets, results)
            except KafkaPythonError as e:
                problem = denied_name(e.code, "alter", f"the partitions of {', '.join(sorted(targets))}",
                                      self.kafka.who)
                raise WriteError(f"{what}: {problem or e}") from None
            except KafkaPythonUnreachable as e:
                from kplan.transport.retry import RetriableError

                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None

        self.kafka.attempts.retry(attempt, what)
        return results

    def cancel_reassignments(self, topics: Sequence[str]) -> None:
        """Cancel every reassignment of `topics` still under way (the undo of a move cut short: reassigning such a
        partition to its old list instead can leave it waiting for a replica that is both added and removed)."""
        from kplan.transport.permissions import denied_name

        what = "cancelling reassignments"
        self.kafka.link.gate(what)

        def attempt():
            try:
                self.client.cancel_reassignments(sorted(self.client.ongoing_reassignments(list(topics))))
            except KafkaPythonError as e:
                problem = denied_name(e.code, "alter", f"the partitions of {', '.join(sorted(topics))}",
                                      self.kafka.who)
                raise WriteError(f"{what}: {problem or e}") from None
            except KafkaPythonUnreachable as e:
                from kplan.transport.retry import RetriableError

                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None

        self.kafka.attempts.retry(attempt, what)

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Poll until no partition of `targets` is still moving and the metadata shows exactly its replica list.
        Copying data takes as long as the data: the deadline is ten times the stack's timeout, at least 2 minutes."""
        want = {n: tuple(tuple(r) for r in a) for n, a in targets.items()}
        deadline = time.monotonic() + (timeout_s or max(120.0, self.kafka.timeout_s * 10))
        delay = 0.1
        from kplan.cluster.reassign_progress import MoveProgress

        progress = MoveProgress(want)
        while True:
            try:
                moving = self.client.ongoing_reassignments(list(want))
            except KafkaPythonUnreachable:
                moving = {("?", -1)}
            progress.tick(moving)
            assignment = self.kafka.topic_assignment
            pending = sorted(n for n, a in assignment(want).items() if a != want[n]) if not moving else []
            if not moving and not pending and set(assignment(want)) == set(want):
                return
            if time.monotonic() > deadline:
                still = sorted({t for t, _ in moving} | set(pending))
                raise WriteError("verification failed: the replicas of " + ", ".join(still[:10]) +
                                 " did not reach their new brokers in time (the reassignment goes on in the cluster)")
            time.sleep(delay)
            delay = min(2.0, delay * 1.5)

    # -- share groups (KIP-932: kplan.cluster.share_groups) --------------------------------------------------------

    def share_group_members(self, group: str) -> tuple[str, int]:
        from kplan.cluster.share_groups import ShareGroupWrites

        return ShareGroupWrites(self).members(group)

    def share_group_offsets(self, group: str) -> tuple[tuple[str, int, int], ...]:
        from kplan.cluster.share_groups import ShareGroupWrites

        return ShareGroupWrites(self).offsets(group)

    def alter_share_group_offsets(self, group: str, offsets: Sequence[tuple[str, int, int]]) -> None:
        from kplan.cluster.share_groups import ShareGroupWrites

        ShareGroupWrites(self).alter(group, offsets)

    def delete_share_group_offsets(self, group: str, topics: Sequence[str]) -> None:
        from kplan.cluster.share_groups import ShareGroupWrites

        ShareGroupWrites(self).delete(group, topics)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
