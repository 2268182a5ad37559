"""The writer: every change apply makes to Kafka and Connect goes through here (the reader never writes).

Each write is batched where the API allows (one create request for many topics, one incremental-alter request
for many), classified (expected / retriable / fatal, see kplan.cluster.retry), retried with backoff and a deadline, and
verified: metadata and configs propagate asynchronously, so we poll until the cluster shows what we wrote.
"""

from __future__ import annotations

import json
import time
from typing import Iterable, Mapping, Sequence

from kplan.cluster.clients import (
    ConnectUnavailable,
    admin_client,
    connect_client,
    connect_error_message,
    connect_path,
    describe_kafka_error,
    describe_topic_entries,
    dispose,
    is_connect_json,
)
from kplan.cluster.permissions import denied, principal
from kplan.cluster.reach import GuardedAdmin, Link, connect_probe, kafka_probe, no_answer
from kplan.cluster.retry import (
    AMBIGUOUS_KAFKA,
    RETRIABLE_KAFKA,
    ErrorClass,
    RetriableError,
    RetryPolicy,
    classify_connect,
    classify_kafka,
    kafka_error_name,
    retry,
)
from kplan.errors import KplanError
from kplan.model.desired import AclBinding, ClusterSpec, ConnectorState, QuotaEntity, SchemaReference, TopicSpec
from kplan.secrets import SecretValues

TERMINAL_TASK_FAILURE = "FAILED"
_ACTIONS = {"creating topics": "create", "deleting topics": "delete", "changing topic configs": "change the configs of",
            "adding partitions": "add partitions to"}
TASKLESS_SETTLE_S = 5.0
# Connect's answer to an offsets change while the connector's stop has not reached every worker yet
_NOT_STOPPED_YET = "must be in the STOPPED state"
# Delivery failures after which the record may still have been written (or may be written on a retry).
_UNCERTAIN_DELIVERY = RETRIABLE_KAFKA | {"_MSG_TIMED_OUT", "_PURGE_INFLIGHT", "_PURGE_QUEUE"}
_STATE_NAMES = {ConnectorState.RUNNING: "RUNNING", ConnectorState.PAUSED: "PAUSED", ConnectorState.STOPPED: "STOPPED"}


class WriteError(KplanError):
    """A write the cluster refused (fatal) or that never succeeded before its deadline."""


def first_lines(trace: str, n: int = 6) -> str:
    return "\n".join((trace or "").strip().splitlines()[:n])


class KafkaWriter:
    """Implements `kplan.cluster.interface.ClusterWriter` (what apply calls), plus what `kplan.session.run` uses
    directly (`admin`, `close`)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None,
                 policy: RetryPolicy | None = None, connector_timeout_s: float = 120.0, admin=None):
        self.cluster = cluster
        self.secrets = SecretValues() if secrets is None else secrets
        raw_admin = admin if admin is not None else admin_client(cluster, self.secrets)
        self._own_admin = None if admin is not None else raw_admin  # disposed of by close(); a lent one is not
        # Deadlines are the stack's (kplan.cluster.reach): a request waits at most cluster.timeout, an operation
        # retries for at most cluster.timeout, and once Kafka (or Connect) has let one spend that without an
        # answer, the rest of the run does not wait for it again. Kafka's link goes with the admin client to the
        # journal store, the lock and kplan's records.
        self.link = Link("Kafka", cluster.bootstrap_servers, cluster.timeout_s,
                         kafka_probe(raw_admin, cluster.bootstrap_servers))
        self.admin = GuardedAdmin(raw_admin, self.link)
        self.connect = connect_client(cluster, self.secrets)
        self.connect_link = Link("Kafka Connect", self.connect.shown_url if self.connect else "(none)",
                                 cluster.timeout_s, connect_probe(self.connect) if self.connect else None,
                                 depends_on=self.link)
        self.policy = policy or RetryPolicy(deadline_s=cluster.timeout_s)
        self.connector_timeout_s = connector_timeout_s
        self.timeout_s = cluster.timeout_s
        self.who = principal(cluster.client_properties)  # kplan's principal, named when a request is denied
        self._reassign = None  # kafka-python, for partition reassignment (opened when first needed)
        self._deadline: float | None = None  # of the operation under way (see _retry)
        self._quotas = None  # the client-quota client (kafka-python, kplan.cluster.quotas), opened when needed
        self._registry = None  # the schema registry's writer (kplan.registry.write), opened when needed

    def _retry(self, attempt, what: str, link: Link, before_retry=None):
        """`retry` with the writer's policy through `link`; the requests of its attempts wait at most until the
        operation's deadline (see `_request_timeout`)."""
        outer = self._deadline
        deadline_s = min(self.policy.deadline_s, link.budget()) if link.short else self.policy.deadline_s
        self._deadline = time.monotonic() + deadline_s
        try:
            return retry(attempt, self.policy, what, before_retry=before_retry, link=link)
        finally:
            self._deadline = outer

    def _request_timeout(self, link: Link | None = None) -> float:
        """How long one request may wait for its answer: the stack's timeout (the link's short budget while a
        system it depends on is down), and no longer than the operation under way has left (at least a second)."""
        timeout = (link or self.link).budget()
        if self._deadline is not None:
            timeout = max(min(1.0, timeout), min(timeout, self._deadline - time.monotonic()))
        return timeout

    # ------------------------------------------------------------------------------------------ topics

    def _run_batch(self, submit, keys: list[str], what: str, on_expected=None, recheck=None, on_done=None) -> None:
        """Submit a batched admin request for `keys`; retry only the keys that failed transiently."""
        action = _ACTIONS.get(what)  # for a denied request: what kplan may not do (kplan.cluster.permissions)
        remaining = list(keys)
        attempts = 0

        def attempt():
            nonlocal remaining, attempts
            attempts += 1
            futures = submit(remaining)
            failed_transient, ambiguous, fatal, unanswered = [], False, [], True
            for key, fut in futures.items():
                name = key if isinstance(key, str) else getattr(key, "name", None) or getattr(key, "topic", str(key))
                try:
                    fut.result(timeout=self._request_timeout() + 2)
                    if on_done is not None:
                        on_done(name)
                except Exception as e:  # noqa: BLE001
                    cls = classify_kafka(e)
                    if cls == ErrorClass.EXPECTED and on_expected is not None:
                        on_expected(name, e, attempts)
                    elif cls == ErrorClass.RETRIABLE:
                        failed_transient.append(name)
                        ambiguous = ambiguous or kafka_error_name(e) in AMBIGUOUS_KAFKA
                        unanswered = unanswered and no_answer(e)
                    else:
                        fatal.append((denied(e, action, f"topic {name}", self.who) if action else None)
                                     or f"{name}: {describe_kafka_error(e)}")
            if fatal:
                raise WriteError(f"{what} refused: " + "; ".join(fatal))
            if failed_transient:
                remaining = failed_transient
                raise RetriableError(f"{what}: transient failure for {', '.join(failed_transient)}", ambiguous,
                                     no_answer=unanswered)

        def reread() -> bool:
            if recheck is None:
                return False
            nonlocal remaining
            remaining = [k for k in remaining if not recheck(k)]
            return not remaining

        self._retry(attempt, what, self.link, before_retry=reread)

    def create_topics(self, specs: list[TopicSpec], found: set[str] | None = None,
                      created: set[str] | None = None) -> list[str]:
        """Create the topics (one request, retried for transient failures); returns the names this call created.
        A topic that already exists with the declared spec is done, but not ours to delete on rollback — unless
        it appeared on a retry, after an ambiguous failure of our own request."""
        from confluent_kafka.admin import NewTopic

        by_name = {t.name: t for t in specs}
        # Filled as results arrive, so a caller still knows which topics were not ours when this raises.
        found = set() if found is None else found

        def submit(names):
            return self.admin.create_topics(
                [NewTopic(n, by_name[n].partitions, by_name[n].replication_factor, config=dict(by_name[n].config))
                 for n in names], request_timeout=self._request_timeout())

        def already_exists(name, exc, attempt):
            # Expected only when what exists is what we declared; otherwise someone else's topic is in the way.
            if attempt == 1:
                found.add(name)
            if not self.topic_matches(by_name[name]):
                raise WriteError(f"topic {name!r} already exists with a different spec (created outside this run)")

        created = set() if created is None else created  # confirmed by the controller, as results arrive
        self._run_batch(submit, list(by_name), "creating topics", already_exists,
                        recheck=lambda n: n in self.topic_names(), on_done=created.add)
        return [n for n in by_name if n not in found]

    def delete_topics(self, names: list[str]) -> None:
        def submit(ns):
            return self.admin.delete_topics(list(ns), request_timeout=self._request_timeout())

        def gone(name, exc, attempt):
            pass

        # UNKNOWN_TOPIC_OR_PART right after a delete means "already gone": recheck removes it from the retry set.
        self._run_batch(submit, list(names), "deleting topics", gone,
                        recheck=lambda n: n not in self.topic_names())

    def alter_topic_configs(self, changes: Mapping[str, tuple[Mapping[str, str], Iterable[str]]]) -> None:
        """changes: topic -> (keys to SET with values, keys to DELETE). One request for all topics."""
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

        def submit(names):
            resources = []
            for n in names:
                sets, deletes = changes[n]
                entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in sets.items()]
                entries += [ConfigEntry(k, None, incremental_operation=AlterConfigOpType.DELETE) for k in deletes]
                resources.append(ConfigResource(ConfigResource.Type.TOPIC, n, incremental_configs=entries))
            return self.admin.incremental_alter_configs(resources, request_timeout=self._request_timeout())

        names = [n for n, (s, d) in changes.items() if s or list(d)]
        if names:
            self._run_batch(submit, names, "changing topic configs")

    def create_partitions(self, counts: Mapping[str, int]) -> None:
        from confluent_kafka.admin import NewPartitions

        def submit(names):
            return self.admin.create_partitions([NewPartitions(n, counts[n]) for n in names],
                                                request_timeout=self._request_timeout())

        self._run_batch(submit, list(counts), "adding partitions",
                        recheck=lambda n: self.topic_partitions(n) == counts[n])

    # -------------------------------------------------------------------------------------- topic reads

    def topic_names(self) -> set[str]:
        return set(self._metadata())

    def _metadata(self) -> dict[str, tuple[int, int]]:
        md = self.admin.list_topics(timeout=self._request_timeout())
        return {n: (len(t.partitions), max((len(p.replicas) for p in t.partitions.values()), default=0))
                for n, t in md.topics.items() if t.error is None}

    def topic_partitions(self, name: str) -> int | None:
        return self._metadata().get(name, (None, None))[0]

    def topic_overrides(self, names: list[str]) -> dict[str, dict[str, str]]:
        """name -> the topic's own overrides, for topics that are visible (chunked, concurrent reads)."""
        from confluent_kafka.admin import ConfigSource

        dynamic_topic = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        def overrides(entries) -> dict[str, str]:
            return {k: e.value for k, e in entries.items() if e.source == dynamic_topic and e.value is not None}

        return describe_topic_entries(self.admin, names, self.timeout_s, who=self.who,
                                      convert=overrides) if names else {}

    def topic_matches(self, spec: TopicSpec) -> bool:
        md = self._metadata().get(spec.name)
        if md != (spec.partitions, spec.replication_factor):
            return False
        from kplan.rules.compare import topic_values_equal

        live = self.topic_overrides([spec.name]).get(spec.name, {})
        return all(topic_values_equal(k, live.get(k), v) for k, v in spec.config.items())

    def wait_topics(self, expected: Mapping[str, tuple[int | None, int | None, Mapping[str, str | None]]],
                    timeout_s: float | None = None) -> None:
        """Poll until every topic shows its partitions, replication factor (None: not checked) and configs
        (a None value: no override). Metadata propagates asynchronously: poll, never sleep blindly. The cheap
        metadata request is polled first; configs are read once a topic is visible, and read again only for
        topics that did not match yet."""
        from kplan.rules.compare import topic_values_equal

        deadline = time.monotonic() + (timeout_s or max(30.0, self.timeout_s * 2))
        pending = dict(expected)
        delay = 0.05
        while pending:
            md = self._metadata()
            visible = []
            for name, (parts, rf, config) in list(pending.items()):
                if name not in md:
                    continue
                live_parts, live_rf = md[name]
                if (parts is not None and live_parts != parts) or (rf is not None and live_rf != rf):
                    continue
                if config:
                    visible.append(name)
                else:
                    del pending[name]
            overrides = self.topic_overrides(visible) if visible else {}
            for name in visible:
                live = overrides.get(name)
                if live is not None and all(
                        (v is None and k not in live) or (v is not None and topic_values_equal(k, live.get(k), v))
                        for k, v in pending[name][2].items()):
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise WriteError("verification failed: the cluster does not show the declared state of "
                                 + ", ".join(sorted(pending)[:10]) + (" ..." if len(pending) > 10 else ""))
            time.sleep(delay)
            delay = min(1.0, delay * 2)

    def wait_topics_gone(self, names: Iterable[str], timeout_s: float | None = None) -> None:
        deadline = time.monotonic() + (timeout_s or max(30.0, self.timeout_s * 2))
        names = set(names)
        delay = 0.05
        while names & self.topic_names():
            if time.monotonic() > deadline:
                raise WriteError(f"topics still listed after deletion: {', '.join(sorted(names & self.topic_names()))}")
            time.sleep(delay)
            delay = min(0.5, delay * 1.5)

    # ------------------------------------------------------------------------------------------- ACLs

    def _acl_call(self, call: str, items: list, submit, what: str) -> None:
        """One batched ACL request for `items`, retried for transient failures (both calls are idempotent); a
        refusal kplan's principal can act on is one line naming the right it lacks."""
        from kplan.cluster.access import access_problem

        def attempt():
            futures = submit(items)
            transient, fatal = [], []
            for fut in futures.values():
                try:
                    fut.result(timeout=self._request_timeout() + 2)
                except Exception as e:  # noqa: BLE001
                    problem = access_problem(call, e)
                    if problem is not None:
                        raise WriteError(f"{what}: {problem}") from None
                    if classify_kafka(e) == ErrorClass.RETRIABLE:
                        transient.append(e)
                    else:
                        fatal.append(describe_kafka_error(e))
            if fatal:
                raise WriteError(f"{what} refused: " + "; ".join(sorted(set(fatal))))
            if transient:
                raise RetriableError(f"{what}: transient failure ({describe_kafka_error(transient[0])})",
                                     any(kafka_error_name(e) in AMBIGUOUS_KAFKA for e in transient),
                                     no_answer=all(no_answer(e) for e in transient))

        self._retry(attempt, what, self.link)

    def create_acls(self, acls: Sequence[tuple[str, AclBinding]]) -> None:
        from kplan.cluster.access import to_kafka

        bindings = [to_kafka(p, b) for p, b in acls]
        self._acl_call("create_acls", bindings, lambda items: self.admin.create_acls(
            items, request_timeout=self._request_timeout()), "creating ACL bindings")

    def delete_acls(self, acls: Sequence[tuple[str, AclBinding]]) -> None:
        from kplan.cluster.access import to_filter

        filters = [to_filter(p, b) for p, b in acls]
        self._acl_call("delete_acls", filters, lambda items: self.admin.delete_acls(
            items, request_timeout=self._request_timeout()), "deleting ACL bindings")

    # ------------------------------------------------------------------------------------- SCRAM users

    def alter_scram_credentials(self, upserts: Sequence[tuple[str, str, int, str]],
                                removals: Sequence[tuple[str, str]]) -> None:
        """Upsert and delete SCRAM credentials (in rounds: a request may alter a user once), retried for transient
        failures (both are idempotent), then confirmed by reading them back. Errors never carry a password."""
        from kplan.cluster.access import access_problem
        from kplan.cluster.scram import rounds

        what = "writing SCRAM credentials of " + ", ".join(sorted({u for u, *_ in upserts} | {u for u, _ in removals}))
        for batch in rounds(upserts, removals):
            def attempt(batch=batch):
                futures = self.admin.alter_user_scram_credentials(batch, request_timeout=self._request_timeout())
                transient, fatal = [], []
                for user, fut in futures.items():
                    try:
                        fut.result(timeout=self._request_timeout() + 2)
                    except Exception as e:  # noqa: BLE001
                        problem = access_problem("alter_user_scram_credentials", e)
                        if problem is not None:
                            raise WriteError(f"{what}: {problem}") from None
                        name = kafka_error_name(e)
                        if name == "RESOURCE_NOT_FOUND":  # deleting a credential that is already gone
                            continue
                        if classify_kafka(e) == ErrorClass.RETRIABLE:
                            transient.append(e)
                        else:
                            fatal.append(f"{user}: {describe_kafka_error(e)}")
                if fatal:
                    raise WriteError(f"{what} refused: " + "; ".join(sorted(set(fatal))))
                if transient:
                    raise RetriableError(f"{what}: transient failure ({describe_kafka_error(transient[0])})",
                                         any(kafka_error_name(e) in AMBIGUOUS_KAFKA for e in transient),
                                         no_answer=all(no_answer(e) for e in transient))

            self._retry(attempt, what, self.link)
        # The broker applies the controller's record asynchronously: a read right after the write may not show it
        # yet. Poll (bounded like the topic checks) until it does, and only then call it written.
        users = sorted({u for u, *_ in upserts} | {u for u, _ in removals})
        deadline = time.monotonic() + max(30.0, self.timeout_s * 2)
        delay = 0.05
        while True:
            live = self.scram_credentials(users)
            wrong = sorted({u for u, m, i, _ in upserts if live.get(u, {}).get(m) != i}
                           | {u for u, m in removals if m in live.get(u, {})})
            if not wrong:
                return
            if time.monotonic() > deadline:
                raise WriteError(f"{what}: the cluster does not show the credentials as written for "
                                 f"{', '.join(wrong)}")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def scram_credentials(self, users: Sequence[str]) -> dict[str, dict[str, int]]:
        from kplan.cluster.scram import credentials_of

        if not users:
            return {}

        def attempt():
            futures = self.admin.describe_user_scram_credentials(list(users), request_timeout=self._request_timeout())
            out: dict[str, dict[str, int]] = {}
            for user, fut in futures.items():
                try:
                    out[user] = credentials_of(fut.result(timeout=self._request_timeout() + 2))
                except Exception as e:  # noqa: BLE001
                    if kafka_error_name(e) == "RESOURCE_NOT_FOUND":
                        continue
                    if classify_kafka(e) == ErrorClass.RETRIABLE:
                        raise RetriableError(f"reading SCRAM credentials: {describe_kafka_error(e)}", False,
                                             no_answer=no_answer(e)) from None
                    raise WriteError(f"reading SCRAM credentials of {user}: {describe_kafka_error(e)}") from None
            return out

        return self._retry(attempt, "reading SCRAM credentials", self.link)
    # ------------------------------------------------------------------------------------- client quotas

    def alter_quotas(self, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]]) -> None:
        """One AlterClientQuotas request (kafka-python: librdkafka cannot), retried while it gets no answer
        (setting a value twice is harmless); a refusal is one line (a missing right names it)."""
        from kplan.cluster.permissions import denied_name
        from kplan.cluster.quotas import QuotaClient, QuotaError, QuotaUnreachable

        what = "altering client quotas"
        self.link.gate(what)

        def attempt():
            try:
                if self._quotas is None:
                    self._quotas = QuotaClient(self.cluster, self.secrets)
                self._quotas.alter(changes)
            except QuotaError as e:
                names = ", ".join(sorted({entity.name for entity, _ in changes}))
                problem = denied_name(e.code, "alter client quotas on", f"client quotas of {names}", self.who)
                raise WriteError(f"{what}: {problem or e}") from None
            except QuotaUnreachable as e:
                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None

        self._retry(attempt, what, self.link)

    # ----------------------------------------------------------------------------- partition reassignment

    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]]) -> None:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list, in one
        request (kafka-python: librdkafka cannot); asking for the same lists again is harmless, so it is retried
        while it gets no answer."""
        from kplan.cluster.permissions import denied_name
        from kplan.cluster.reassign import ReassignClient, ReassignError, ReassignUnreachable

        what = "reassigning partitions"
        self.link.gate(what)

        def attempt():
            try:
                if self._reassign is None:
                    self._reassign = ReassignClient(self.cluster, self.secrets)
                self._reassign.alter(targets)
            except ReassignError as e:
                problem = denied_name(e.code, "alter", f"the partitions of {', '.join(sorted(targets))}", self.who)
                raise WriteError(f"{what}: {problem or e}") from None
            except ReassignUnreachable as e:
                raise RetriableError(f"{what}: {e}", ambiguous=True, no_answer=True) from None

        self._retry(attempt, what, self.link)

    _BROKER_RATES = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
    _TOPIC_THROTTLED = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")

    def set_replication_throttle(self, topics: Sequence[str], rate: int) -> None:
        """Limit every broker's replication to `rate` bytes/s for the replicas of `topics` (all of them: `*`)."""
        self._throttle(topics, {k: str(rate) for k in self._BROKER_RATES}, {k: "*" for k in self._TOPIC_THROTTLED})

    def clear_replication_throttle(self, topics: Sequence[str]) -> None:
        self._throttle(topics, dict.fromkeys(self._BROKER_RATES), dict.fromkeys(self._TOPIC_THROTTLED))

    def _throttle(self, topics: Sequence[str], broker: Mapping[str, str | None],
                  topic: Mapping[str, str | None]) -> None:
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

        def entries(values):
            return [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET if v is not None
                                else AlterConfigOpType.DELETE) for k, v in values.items()]

        brokers = [str(b) for b in self.admin.list_topics(timeout=self._request_timeout()).brokers]
        # librdkafka sends a broker's configs to that broker: one broker resource per request
        requests = [[ConfigResource(ConfigResource.Type.BROKER, b, incremental_configs=entries(broker))]
                    for b in brokers]
        requests.append([ConfigResource(ConfigResource.Type.TOPIC, t, incremental_configs=entries(topic))
                         for t in topics])

        def attempt():
            pending = [self.admin.incremental_alter_configs(r, request_timeout=self._request_timeout())
                       for r in requests]
            for futures in pending:
                for res, fut in futures.items():
                    try:
                        fut.result(timeout=self._request_timeout() + 5)
                    except Exception as e:  # noqa: BLE001 - one line naming the resource
                        raise WriteError(f"setting the replication throttle on {res.restype.name.lower()} "
                                         f"{res.name} failed: {describe_kafka_error(e)}") from None

        self._retry(attempt, "setting the replication throttle", self.link)

    def topic_assignment(self, names: Iterable[str]) -> dict[str, tuple[tuple[int, ...], ...]]:
        """topic -> its replica list per partition, for the listed `names` the metadata has."""
        md = self.admin.list_topics(timeout=self._request_timeout())
        return {n: tuple(tuple(p.replicas) for _, p in sorted(md.topics[n].partitions.items()))
                for n in names if n in md.topics and md.topics[n].error is None}

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Poll until no partition of `targets` is still moving and the metadata shows exactly its replica list.
        Copying data takes as long as the data: the deadline is ten times the stack's timeout, at least 2 minutes."""
        from kplan.cluster.reassign import ReassignClient, ReassignUnreachable

        want = {n: tuple(tuple(r) for r in a) for n, a in targets.items()}
        deadline = time.monotonic() + (timeout_s or max(120.0, self.timeout_s * 10))
        delay = 0.1
        while True:
            try:
                if self._reassign is None:
                    self._reassign = ReassignClient(self.cluster, self.secrets)
                moving = self._reassign.ongoing(list(want))
            except ReassignUnreachable:
                moving = {("?", -1)}
            pending = sorted(n for n, a in self.topic_assignment(want).items() if a != want[n]) if not moving else []
            if not moving and not pending and set(self.topic_assignment(want)) == set(want):
                return
            if time.monotonic() > deadline:
                still = sorted({t for t, _ in moving} | set(pending))
                raise WriteError("verification failed: the replicas of " + ", ".join(still[:10]) +
                                 " did not reach their new brokers in time (the reassignment goes on in the cluster)")
            time.sleep(delay)
            delay = min(2.0, delay * 1.5)

    # ------------------------------------------------------------------------------- schema registry

    @property
    def registry(self):
        """The schema registry's writer (kplan.registry.write), made on first use; a clear error for a stack that
        names no registry."""
        if self._registry is None:
            from kplan.registry.client import registry_client
            from kplan.registry.write import RegistryWriter

            http = registry_client(self.cluster, self.secrets)
            if http is None:
                raise WriteError("the stack declares schema registry subjects but names no registry: set "
                                 "cluster.schema_registry.url")
            self._registry = RegistryWriter(http, self.timeout_s)
        return self._registry

    def register_schema(self, subject: str, schema: str, schema_type: str,
                        references: Sequence[SchemaReference]) -> int:
        return self.registry.register_schema(subject, schema, schema_type, references)

    def schema_version(self, subject: str, schema: str, schema_type: str,
                       references: Sequence[SchemaReference]) -> int | None:
        return self.registry.schema_version(subject, schema, schema_type, references)

    def subject_versions(self, subject: str) -> list[int]:
        return self.registry.subject_versions(subject)

    def delete_schema_version(self, subject: str, version: int) -> None:
        self.registry.delete_schema_version(subject, version)

    def subject_level(self, subject: str) -> str | None:
        return self.registry.subject_level(subject)

    def set_subject_level(self, subject: str, level: str | None) -> None:
        self.registry.set_subject_level(subject, level)

    def delete_subjects(self, names: Sequence[str], permanent: bool) -> None:
        self.registry.delete_subjects(names, permanent)

    # -------------------------------------------------------------------------------------- connectors

    def _connect_call(self, method: str, path: str, what: str, ok: tuple[int, ...], json=None,
                      expected: tuple[int, ...] = (), transient_400: str = ""):
        """One Connect request, retried with the writer's backoff and deadline while the failure is transient:
        no answer (refused, reset, timed out: a restarting worker), a worker still starting (a 404 that is not
        Connect's own), 409 rebalance, 5xx. Every write here is idempotent or checked by its caller (a create
        that had landed answers 409 "already exists"), so a retried write is safe."""
        if self.connect is None:
            raise WriteError(f"{what}: the stack has no cluster.connect_url")
        connect = self.connect

        def attempt():
            try:
                r = connect.request(method, path, json=json, timeout=self._request_timeout(self.connect_link))
            except ConnectUnavailable as e:  # no answer at all: "status 0"
                if classify_connect(0, str(e)) == ErrorClass.RETRIABLE:
                    raise RetriableError(str(e), ambiguous=e.sent, no_answer=True) from e
                raise
            status = r.status_code
            json_body = status < 400 or is_connect_json(r)
            if (status in ok or status in expected) and (json_body or status != 404):
                return r
            msg = connect_error_message(r)
            cls = classify_connect(status, msg, json_body=json_body)
            if status == 400 and transient_400 and transient_400 in msg:  # e.g. a stop not yet seen everywhere
                cls = ErrorClass.RETRIABLE
            if cls == ErrorClass.RETRIABLE:
                raise RetriableError(f"HTTP {status}: {msg}", ambiguous=status >= 500)
            if cls == ErrorClass.EXPECTED:  # e.g. 409 "already exists": the caller decides what it means
                return r
            raise WriteError(f"{what}: Kafka Connect answered {status}: {msg}")

        return self._retry(attempt, what, self.connect_link)

    def connector_names(self) -> set[str]:
        """Every connector Connect lists. What decides whether a connector exists after a deletion: the list
        holds names, not paths, so no name can make it answer for another connector."""
        return set(self._connect_call("GET", connect_path("connectors"), "listing connectors", (200,)).json())

    def get_connector(self, name: str) -> tuple[dict | None, dict | None]:
        """(config, status) of one connector, (None, None) when it does not exist."""
        r = self._connect_call("GET", connect_path("connectors", name, "config"), f"reading connector {name}",
                               (200,), expected=(404,))
        if r.status_code == 404:
            return None, None
        s = self._connect_call("GET", connect_path("connectors", name, "status"), f"reading connector {name}",
                               (200,), expected=(404,))
        return r.json(), (s.json() if s.status_code == 200 else None)

    def create_connector(self, name: str, config: Mapping[str, str], state: ConnectorState) -> None:
        body = {"name": name, "config": dict(config), "initial_state": _STATE_NAMES[state]}
        r = self._connect_call("POST", connect_path("connectors"), f"creating connector {name}", (201,), json=body)
        if r.status_code == 409:
            # "already exists": ours if a retried request had landed (same config), else someone else's
            existing, _ = self.get_connector(name)
            if existing is None or {k: v for k, v in existing.items() if k != "name"} != dict(config):
                raise WriteError(f"connector {name} was created by someone else meanwhile (with another config); "
                                 "run `kplan plan` again")

    def put_connector_config(self, name: str, config: Mapping[str, str]) -> None:
        self._connect_call("PUT", connect_path("connectors", name, "config"), f"writing connector {name}'s config",
                           (200, 201), json=dict(config))

    def delete_connector(self, name: str) -> None:
        self._connect_call("DELETE", connect_path("connectors", name), f"deleting connector {name}", (204, 200),
                           expected=(404,))

    def set_connector_state(self, name: str, state: ConnectorState) -> None:
        verb = {ConnectorState.RUNNING: "resume", ConnectorState.PAUSED: "pause",
                ConnectorState.STOPPED: "stop"}[state]
        self._connect_call("PUT", connect_path("connectors", name, verb), f"{verb} connector {name}",
                           (202, 204, 200))

    def restart_connector(self, name: str) -> None:
        self._connect_call("POST", connect_path("connectors", name, "restart",
                                                query={"includeTasks": "true", "onlyFailed": "false"}),
                           f"restarting connector {name}", (202, 204, 200))

    def drop_cdc_database_objects(self, host: str, port: int, user: str, database: str, password: str,
                                  slot: str | None, publication: str | None, before_drop=None) -> None:
        """Drop a PostgreSQL source's replication slot and publication; verified (kplan.cluster.postgres)."""
        from kplan.cluster.postgres import drop_objects

        drop_objects(host, port, user, database, password, slot, publication, self.timeout_s,
                     before_drop or (lambda: None))

    def restart_failed(self, name: str, timeout_s: float | None = None) -> None:
        """Restart only the connector's FAILED instances and wait until all are RUNNING (kplan.cluster.restart)."""
        from kplan.cluster.restart import restart_failed

        restart_failed(self._connect_call, name, timeout_s or self.timeout_s, WriteError)

    def connector_offsets(self, name: str) -> list[dict]:
        """The connector's offsets as Connect's offsets API (KIP-875, Kafka 3.6+) gives them:
        [{"partition": {...}, "offset": {...}}, ...]."""
        r = self._connect_call("GET", connect_path("connectors", name, "offsets"),
                               f"reading connector {name}'s offsets", (200,))
        return [dict(o) for o in (r.json() or {}).get("offsets") or []]

    def reset_connector_offsets(self, name: str) -> None:
        """Delete every offset of a STOPPED connector, so that it starts from scratch when it runs again (a
        Debezium source takes a new snapshot); verified by reading them back."""
        self._connect_call("DELETE", connect_path("connectors", name, "offsets"),
                           f"resetting connector {name}'s offsets", (200,), transient_400=_NOT_STOPPED_YET)
        self._wait_offsets(name, [], f"connector {name}'s offsets were not reset")

    def alter_connector_offsets(self, name: str, offsets: Sequence[Mapping]) -> None:
        """Write offsets of a STOPPED connector back (each partition's offset as given); verified by reading
        them back."""
        body = {"offsets": [dict(o) for o in offsets]}
        self._connect_call("PATCH", connect_path("connectors", name, "offsets"),
                           f"restoring connector {name}'s offsets", (200,), json=body, transient_400=_NOT_STOPPED_YET)
        self._wait_offsets(name, offsets, f"connector {name}'s offsets were not restored")

    def _wait_offsets(self, name: str, want: Sequence[Mapping], failure: str) -> None:
        def key(o: Mapping) -> str:
            return json.dumps(o, sort_keys=True)

        want_keys = sorted(key(o) for o in want)
        deadline = time.monotonic() + max(10.0, self.timeout_s)
        while True:
            have = self.connector_offsets(name)
            have_keys = sorted(key(o) for o in have)
            if (have_keys == want_keys) if not want else set(want_keys) <= set(have_keys):
                return
            if time.monotonic() > deadline:
                raise WriteError(f"{failure} (Connect shows {len(have)} partition offset(s))")
            time.sleep(0.2)

    def wait_connector_gone(self, name: str, timeout_s: float | None = None) -> None:
        """Until Connect no longer lists the connector (its list of names: see `connector_names`)."""
        deadline = time.monotonic() + (timeout_s or self.connector_timeout_s)
        while name in self.connector_names():
            if time.monotonic() > deadline:
                raise WriteError(f"connector {name} is still listed after its deletion")
            time.sleep(0.2)

    def wait_connector(self, name: str, state: ConnectorState, timeout_s: float | None = None) -> None:
        """Wait until the connector and every task reach `state`; a FAILED connector or task fails at once,
        with the first lines of its trace. A worker that restarts meanwhile is waited for (transient failures
        are retried like any Connect call)."""
        want = _STATE_NAMES[state]
        deadline = time.monotonic() + (timeout_s or self.connector_timeout_s)
        taskless_since = None
        last = "no status yet"
        while time.monotonic() < deadline:
            r = self._connect_call("GET", connect_path("connectors", name, "status"), f"reading connector {name}",
                                   (200,), expected=(404,))
            if r.status_code == 200:
                st = r.json()
                conn = st.get("connector") or {}
                tasks = st.get("tasks") or []
                # stopping a FAILED connector is how it is deleted or its offsets changed: not a failure then
                failing = state != ConnectorState.STOPPED
                if failing and conn.get("state") == TERMINAL_TASK_FAILURE:
                    raise WriteError(f"connector {name} FAILED: {first_lines(conn.get('trace', ''))}")
                for t in tasks:
                    if failing and t.get("state") == TERMINAL_TASK_FAILURE:
                        raise WriteError(f"connector {name} task {t.get('id')} FAILED: "
                                         f"{first_lines(t.get('trace', ''))}")
                task_ok = (not tasks) if state == ConnectorState.STOPPED else (
                    bool(tasks) and all(t.get("state") == want for t in tasks))
                if conn.get("state") == want and task_ok:
                    return
                # a connector may legitimately generate no tasks: settled once it stays so for a while
                if conn.get("state") == want and not tasks:
                    taskless_since = taskless_since or time.monotonic()
                    if time.monotonic() - taskless_since >= TASKLESS_SETTLE_S:
                        return
                else:
                    taskless_since = None
                last = f"connector {conn.get('state')}, tasks " + (
                    ", ".join(f"{t.get('id')}:{t.get('state')}" for t in tasks) or "none")
            time.sleep(0.5)
        raise WriteError(f"connector {name} did not reach {want} within "
                         f"{timeout_s or self.connector_timeout_s:g}s ({last})")

    # ------------------------------------------------------------------------------------ CDC signals

    def send_snapshot_signal(self, connector: str, tables: Sequence[str], topic: str, key: str,
                             table_topic: str | None = None, signal_id: str | None = None,
                             timeout_s: float | None = None) -> None:
        """Ask a Debezium connector (Kafka signal channel on `topic`, records keyed `key`: its topic.prefix) for
        an incremental snapshot of `tables`, once, then wait for Debezium's own evidence that it started it: the
        first watermark it writes to its signaling table, whose change events appear on `table_topic`.

        The signal is never sent twice. Debezium reads its signal topic from its own committed position, so a
        signal sent while the connector restarts, however slowly, is read once it runs again (a second one would
        snapshot the tables a second time). The signal carries `signal_id`; the producer is idempotent (its own
        retries never duplicate it), and a send whose delivery is uncertain is repeated only once reading the
        signal topic shows no signal with that id."""
        import uuid

        signal_id = signal_id or f"kplan-{uuid.uuid4().hex}"
        value = json.dumps({"id": signal_id, "type": "execute-snapshot",
                            "data": {"data-collections": list(tables), "type": "INCREMENTAL"}}).encode()
        start = self._topic_ends(table_topic) if table_topic else None  # evidence counts from here
        what = f"sending the snapshot signal for connector {connector} to {topic}"
        if not self._signal_sent(topic, signal_id):
            self._retry(lambda: self._produce_signal(topic, key, value, what), what, self.link,
                        before_retry=lambda: self._signal_sent(topic, signal_id))
        if table_topic is None or start is None:
            return
        limit = timeout_s or self.connector_timeout_s
        if not self._first_record(table_topic, start, limit):
            raise WriteError(f"connector {connector} did not start the incremental snapshot of "
                             f"{', '.join(tables)} within {limit:g}s (no watermark on {table_topic}; is the "
                             "connector running and does its signaling table exist?); the signal stays in "
                             f"{topic}, and the connector reads it when it runs")

    def _produce_signal(self, topic: str, key: str, value: bytes, what: str) -> None:
        from confluent_kafka import Producer

        from kplan.cluster.clients import client_config

        errors: list = []
        producer = Producer({**client_config(self.cluster, self.secrets), "acks": "all", "enable.idempotence": True})
        try:
            producer.produce(topic, key=str(key).encode(), value=value,
                             on_delivery=lambda err, msg: err and errors.append(err))
            if producer.flush(self._request_timeout()) or errors:
                producer.purge()  # nothing of this attempt is sent later, behind the next one's back
                producer.flush(0)
                err = errors[0] if errors else None
                if err is not None and not (err.retriable() or err.name() in _UNCERTAIN_DELIVERY):
                    raise WriteError(f"{what} failed: {err.name()}: {err.str()}")
                raise RetriableError(f"{what}: {errors[0] if errors else 'timed out'}", ambiguous=True)
        finally:
            dispose(producer)

    def _signal_sent(self, topic: str, signal_id: str) -> bool:
        """Whether the signal topic holds a signal with this id (read from its start to its current end)."""
        from confluent_kafka import Consumer, TopicPartition

        from kplan.cluster.clients import client_config

        consumer = Consumer({**client_config(self.cluster, self.secrets), "group.id": "kplan-signal-check",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        try:
            parts = consumer.list_topics(topic, timeout=self.timeout_s).topics[topic].partitions
            ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=self.timeout_s)
                    for p in parts}
            pending = {p for p, (low, high) in ends.items() if high > low}
            if not pending:
                return False
            consumer.assign([TopicPartition(topic, p, ends[p][0]) for p in pending])
            deadline = time.monotonic() + max(10.0, self.timeout_s)
            while pending and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    pending.discard(msg.partition())  # end of partition (or an error: nothing more to read)
                    continue
                try:
                    if json.loads(msg.value() or b"null").get("id") == signal_id:
                        return True
                except (ValueError, AttributeError):
                    pass
                if msg.offset() + 1 >= ends[msg.partition()][1]:
                    pending.discard(msg.partition())
            if pending:
                raise RetriableError(f"could not read {topic} to its end", ambiguous=True)
            return False
        finally:
            consumer.close()

    def _topic_ends(self, topic: str) -> dict[int, int]:
        from confluent_kafka import Consumer, TopicPartition

        from kplan.cluster.clients import client_config

        consumer = Consumer({**client_config(self.cluster, self.secrets), "group.id": "kplan-signal-watch",
                             "enable.auto.commit": False})
        try:
            parts = consumer.list_topics(topic, timeout=self.timeout_s).topics[topic].partitions
            return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=self.timeout_s)[1]
                    for p in parts}
        finally:
            consumer.close()

    def _first_record(self, topic: str, start: Mapping[int, int], timeout_s: float) -> bool:
        """Whether a record appears on `topic` after `start` (partition -> offset) within `timeout_s`."""
        from confluent_kafka import Consumer, TopicPartition

        from kplan.cluster.clients import client_config

        consumer = Consumer({**client_config(self.cluster, self.secrets), "group.id": "kplan-signal-watch",
                             "enable.auto.commit": False})
        try:
            consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is not None and not msg.error():
                    return True
            return False
        finally:
            consumer.close()

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None
        if self._quotas is not None:
            self._quotas.close()
            self._quotas = None
        if self._reassign is not None:
            self._reassign.close()
            self._reassign = None
        if self.connect is not None:
            self.connect.close()
        dispose(self._own_admin)
        self._own_admin = None
