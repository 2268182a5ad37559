"""The writer: every change apply makes to Kafka and Connect goes through here (the reader never writes).

Each write is batched where the API allows (one create request for many topics, one incremental-alter request
for many), classified (expected / retriable / fatal, see kplan.cluster.retry), retried with backoff and a deadline, and
verified: metadata and configs propagate asynchronously, so we poll until the cluster shows what we wrote.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping, Sequence

from kplan.cluster.clients import (
    ConnectHttp,
    admin_client,
    connect_error_message,
    describe_kafka_error,
    describe_topic_entries,
)
from kplan.cluster.retry import (
    AMBIGUOUS_KAFKA,
    ErrorClass,
    RetriableError,
    RetryPolicy,
    classify_connect,
    classify_kafka,
    kafka_error_name,
    retry,
)
from kplan.errors import KplanError
from kplan.model.desired import ClusterSpec, ConnectorState, TopicSpec
from kplan.secrets import SecretValues

TERMINAL_TASK_FAILURE = "FAILED"
TASKLESS_SETTLE_S = 5.0
_STATE_NAMES = {ConnectorState.RUNNING: "RUNNING", ConnectorState.PAUSED: "PAUSED", ConnectorState.STOPPED: "STOPPED"}


class WriteError(KplanError):
    """A write the cluster refused (fatal) or that never succeeded before its deadline."""


def first_lines(trace: str, n: int = 6) -> str:
    return "\n".join((trace or "").strip().splitlines()[:n])


class KafkaWriter:
    """Implements `kplan.cluster.interface.ClusterWriter` (what apply calls), plus what `kplan.apply.run` uses
    directly (`admin`, `close`)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None = None,
                 policy: RetryPolicy | None = None, connector_timeout_s: float = 120.0, admin=None):
        self.cluster = cluster
        self.secrets = SecretValues() if secrets is None else secrets
        self.admin = admin if admin is not None else admin_client(cluster, self.secrets)
        self.connect = ConnectHttp(cluster.connect_url, max(cluster.timeout_s, 30.0)) if cluster.connect_url else None
        self.policy = policy or RetryPolicy(deadline_s=max(60.0, cluster.timeout_s * 4))
        self.connector_timeout_s = connector_timeout_s
        self.timeout_s = cluster.timeout_s

    # ------------------------------------------------------------------------------------------ topics

    def _run_batch(self, submit, keys: list[str], what: str, on_expected=None, recheck=None, on_done=None) -> None:
        """Submit a batched admin request for `keys`; retry only the keys that failed transiently."""
        remaining = list(keys)
        attempts = 0

        def attempt():
            nonlocal remaining, attempts
            attempts += 1
            futures = submit(remaining)
            failed_transient, ambiguous, fatal = [], False, []
            for key, fut in futures.items():
                name = key if isinstance(key, str) else getattr(key, "name", None) or getattr(key, "topic", str(key))
                try:
                    fut.result(timeout=self.timeout_s + 5)
                    if on_done is not None:
                        on_done(name)
                except Exception as e:  # noqa: BLE001
                    cls = classify_kafka(e)
                    if cls == ErrorClass.EXPECTED and on_expected is not None:
                        on_expected(name, e, attempts)
                    elif cls == ErrorClass.RETRIABLE:
                        failed_transient.append(name)
                        ambiguous = ambiguous or kafka_error_name(e) in AMBIGUOUS_KAFKA
                    else:
                        fatal.append(f"{name}: {describe_kafka_error(e)}")
            if fatal:
                raise WriteError(f"{what} refused: " + "; ".join(fatal))
            if failed_transient:
                remaining = failed_transient
                raise RetriableError(f"{what}: transient failure for {', '.join(failed_transient)}", ambiguous)

        def reread() -> bool:
            if recheck is None:
                return False
            nonlocal remaining
            remaining = [k for k in remaining if not recheck(k)]
            return not remaining

        retry(attempt, self.policy, what, before_retry=reread)

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
                 for n in names], request_timeout=self.timeout_s)

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
            return self.admin.delete_topics(list(ns), request_timeout=self.timeout_s)

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
            return self.admin.incremental_alter_configs(resources, request_timeout=self.timeout_s)

        names = [n for n, (s, d) in changes.items() if s or list(d)]
        if names:
            self._run_batch(submit, names, "changing topic configs")

    def create_partitions(self, counts: Mapping[str, int]) -> None:
        from confluent_kafka.admin import NewPartitions

        def submit(names):
            return self.admin.create_partitions([NewPartitions(n, counts[n]) for n in names],
                                                request_timeout=self.timeout_s)

        self._run_batch(submit, list(counts), "adding partitions",
                        recheck=lambda n: self.topic_partitions(n) == counts[n])

    # -------------------------------------------------------------------------------------- topic reads

    def topic_names(self) -> set[str]:
        return set(self._metadata())

    def _metadata(self) -> dict[str, tuple[int, int]]:
        md = self.admin.list_topics(timeout=self.timeout_s)
        return {n: (len(t.partitions), max((len(p.replicas) for p in t.partitions.values()), default=0))
                for n, t in md.topics.items() if t.error is None}

    def topic_partitions(self, name: str) -> int | None:
        return self._metadata().get(name, (None, None))[0]

    def topic_overrides(self, names: list[str]) -> dict[str, dict[str, str]]:
        """name -> the topic's own overrides, for topics that are visible (chunked, concurrent reads)."""
        from confluent_kafka.admin import ConfigSource

        dynamic_topic = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        described = describe_topic_entries(self.admin, names, self.timeout_s) if names else {}
        return {name: {k: e.value for k, e in entries.items() if e.source == dynamic_topic and e.value is not None}
                for name, entries in described.items()}

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

    # -------------------------------------------------------------------------------------- connectors

    def _connect_call(self, method: str, path: str, what: str, ok: tuple[int, ...], json=None,
                      expected: tuple[int, ...] = ()):
        if self.connect is None:
            raise WriteError(f"{what}: the stack has no cluster.connect_url")

        def attempt():
            r = self.connect.request(method, path, json=json)
            if r.status_code in ok or r.status_code in expected:
                return r
            msg = connect_error_message(r)
            cls = classify_connect(r.status_code, msg)
            if cls == ErrorClass.RETRIABLE:
                raise RetriableError(f"HTTP {r.status_code}: {msg}", ambiguous=r.status_code >= 500)
            if cls == ErrorClass.EXPECTED:  # e.g. 409 "already exists": the caller decides what it means
                return r
            raise WriteError(f"{what}: Kafka Connect answered {r.status_code}: {msg}")

        return retry(attempt, self.policy, what)

    def get_connector(self, name: str) -> tuple[dict | None, dict | None]:
        """(config, status) of one connector, (None, None) when it does not exist."""
        r = self._connect_call("GET", f"/connectors/{name}/config", f"reading connector {name}", (200,),
                               expected=(404,))
        if r.status_code == 404:
            return None, None
        s = self._connect_call("GET", f"/connectors/{name}/status", f"reading connector {name}", (200,),
                               expected=(404,))
        return r.json(), (s.json() if s.status_code == 200 else None)

    def create_connector(self, name: str, config: Mapping[str, str], state: ConnectorState) -> None:
        body = {"name": name, "config": dict(config), "initial_state": _STATE_NAMES[state]}
        r = self._connect_call("POST", "/connectors", f"creating connector {name}", (201,), json=body)
        if r.status_code == 409:
            # "already exists": ours if a retried request had landed (same config), else someone else's
            existing, _ = self.get_connector(name)
            if existing is None or {k: v for k, v in existing.items() if k != "name"} != dict(config):
                raise WriteError(f"connector {name} was created by someone else meanwhile (with another config); "
                                 "run `kplan plan` again")

    def put_connector_config(self, name: str, config: Mapping[str, str]) -> None:
        self._connect_call("PUT", f"/connectors/{name}/config", f"writing connector {name}'s config", (200, 201),
                           json=dict(config))

    def delete_connector(self, name: str) -> None:
        self._connect_call("DELETE", f"/connectors/{name}", f"deleting connector {name}", (204, 200),
                           expected=(404,))

    def set_connector_state(self, name: str, state: ConnectorState) -> None:
        verb = {ConnectorState.RUNNING: "resume", ConnectorState.PAUSED: "pause",
                ConnectorState.STOPPED: "stop"}[state]
        self._connect_call("PUT", f"/connectors/{name}/{verb}", f"{verb} connector {name}", (202, 204, 200))

    def restart_connector(self, name: str) -> None:
        self._connect_call("POST", f"/connectors/{name}/restart?includeTasks=true&onlyFailed=false",
                           f"restarting connector {name}", (202, 204, 200))

    def wait_connector_gone(self, name: str, timeout_s: float | None = None) -> None:
        deadline = time.monotonic() + (timeout_s or self.connector_timeout_s)
        while time.monotonic() < deadline:
            r = self.connect.request("GET", f"/connectors/{name}")
            if r.status_code == 404:
                return
            time.sleep(0.2)
        raise WriteError(f"connector {name} is still listed after its deletion")

    def wait_connector(self, name: str, state: ConnectorState, timeout_s: float | None = None) -> None:
        """Wait until the connector and every task reach `state`; a FAILED connector or task fails at once,
        with the first lines of its trace."""
        want = _STATE_NAMES[state]
        deadline = time.monotonic() + (timeout_s or self.connector_timeout_s)
        taskless_since = None
        last = "no status yet"
        while time.monotonic() < deadline:
            r = self.connect.request("GET", f"/connectors/{name}/status")
            if r.status_code == 200:
                st = r.json()
                conn = st.get("connector") or {}
                tasks = st.get("tasks") or []
                if conn.get("state") == TERMINAL_TASK_FAILURE:
                    raise WriteError(f"connector {name} FAILED: {first_lines(conn.get('trace', ''))}")
                for t in tasks:
                    if t.get("state") == TERMINAL_TASK_FAILURE:
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
                             table_topic: str | None = None, timeout_s: float = 90.0,
                             resend_after_s: float = 20.0) -> None:
        """Ask a Debezium connector (Kafka signal channel on `topic`, with `key`) for an incremental snapshot of
        `tables`, then wait until Debezium starts it: it writes snapshot watermarks to its signaling table, whose
        change events appear on `table_topic`. Resent once if nothing shows (a channel that only started
        listening)."""
        import json

        from confluent_kafka import Consumer, Producer, TopicPartition

        from kplan.cluster.clients import client_config

        conf = client_config(self.cluster, self.secrets)
        signal = json.dumps({"type": "execute-snapshot",
                             "data": {"data-collections": list(tables), "type": "INCREMENTAL"}}).encode()
        consumer = None
        if table_topic:
            consumer = Consumer({**conf, "group.id": "kplan-signal-watch", "enable.auto.commit": False})
            parts = consumer.list_topics(table_topic, timeout=self.timeout_s).topics[table_topic].partitions
            start = [TopicPartition(table_topic, p,
                                    consumer.get_watermark_offsets(TopicPartition(table_topic, p),
                                                                   timeout=self.timeout_s)[1]) for p in parts]
            consumer.assign(start)
        producer = Producer({**conf, "acks": "all"})
        try:
            def send() -> None:
                errors: list = []
                producer.produce(topic, key=str(key).encode(), value=signal,
                                 on_delivery=lambda err, msg: err and errors.append(err))
                if producer.flush(self.timeout_s) or errors:
                    raise WriteError(f"could not send the snapshot signal to {topic}: "
                                     f"{errors[0] if errors else 'timed out'}")

            send()
            if consumer is None:
                return
            started = time.monotonic()
            resent = False
            while time.monotonic() - started < timeout_s:
                msg = consumer.poll(0.5)
                if msg is not None and not msg.error():
                    return  # a watermark: the incremental snapshot is running
                if not resent and time.monotonic() - started > resend_after_s:
                    send()
                    resent = True
            raise WriteError(f"connector {connector} did not start the incremental snapshot of "
                             f"{', '.join(tables)} within {timeout_s:g}s (no watermark on {table_topic}; "
                             "does its signaling table exist?)")
        finally:
            producer.flush(self.timeout_s)
            if consumer is not None:
                consumer.close()

    def close(self) -> None:
        if self.connect is not None:
            self.connect.close()
