"""The Kafka Connect writes (its REST API, through `kplan.transport.http`): connectors, their configs and
states, restarts and offsets, each verified by reading Connect back. Implements
`kplan.kinds.ports.ConnectWrites`.

Connect has its own `Link`, which depends on Kafka's (a worker cannot answer while Kafka is down), and its own
attempts: every request is retried with the writer's backoff and deadline while the failure is transient."""

from __future__ import annotations

import time
from typing import Callable, Mapping, Sequence

from kplan.errors import TakenMeanwhile, WriteError
from kplan.kinds.connector.restart import failure_line
from kplan.model.desired import ClusterSpec, ConnectorState
from kplan.secrets import SecretValues
from kplan.transport.attempts import Attempts
from kplan.transport.connect import connect_client
from kplan.transport.http import RestUnavailable, error_message, is_json, rest_path
from kplan.transport.reach import Link, connect_probe
from kplan.transport.retry import ErrorClass, RetriableError, RetryPolicy, classify_connect

TERMINAL_TASK_FAILURE = "FAILED"
TASKLESS_SETTLE_S = 5.0
_STATE_NAMES = {ConnectorState.RUNNING: "RUNNING", ConnectorState.PAUSED: "PAUSED", ConnectorState.STOPPED: "STOPPED"}


class ConnectWriter:
    """The Connect writes of one run (a stack without `cluster.connect_url` has none: each call says so)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues | None, kafka_link: Link,
                 policy: RetryPolicy | None = None, connector_timeout_s: float = 120.0,
                 group_members: Callable[[str], tuple[str, int]] | None = None):
        self.connect = connect_client(cluster, SecretValues() if secrets is None else secrets)
        self.link = Link("Kafka Connect", self.connect.shown_url if self.connect else "(none)",
                         cluster.timeout_s, connect_probe(self.connect) if self.connect else None,
                         depends_on=kafka_link)
        self.attempts = Attempts(policy or RetryPolicy(deadline_s=cluster.timeout_s), self.link)
        self.connector_timeout_s = connector_timeout_s
        self.timeout_s = cluster.timeout_s
        self.group_members = group_members  # a consumer group's (state, member count), from Kafka

    def _call(self, method: str, path: str, what: str, ok: tuple[int, ...], json=None,
              expected: tuple[int, ...] = (), not_yet: tuple[str, ...] = ()):
        """One Connect request, retried with the writer's backoff and deadline while the failure is transient:
        no answer (refused, reset, timed out: a restarting worker), a worker still starting (a 404 that is not
        Connect's own), 409 rebalance, 5xx. Every write here is idempotent or checked by its caller (a create
        that had landed answers 409 "already exists"), so a retried write is safe. An error answer whose message
        says one of `not_yet` is the caller's: it knows what that waits for (kplan.cluster.offsets)."""
        if self.connect is None:
            raise WriteError(f"{what}: the stack has no cluster.connect_url")
        connect = self.connect

        def attempt():
            try:
                r = connect.request(method, path, json=json, timeout=self.attempts.request_timeout())
            except RestUnavailable as e:  # no answer at all: "status 0"
                if classify_connect(0, str(e)) == ErrorClass.RETRIABLE:
                    raise RetriableError(str(e), ambiguous=e.sent, no_answer=True) from e
                raise
            status = r.status_code
            json_body = status < 400 or is_json(r)
            if (status in ok or status in expected) and (json_body or status != 404):
                return r
            msg = error_message(r)
            cls = classify_connect(status, msg, json_body=json_body)
            if json_body and any(m in msg for m in not_yet):
                return r
            if cls == ErrorClass.RETRIABLE:
                raise RetriableError(f"HTTP {status}: {msg}", ambiguous=status >= 500)
            if cls == ErrorClass.EXPECTED:  # e.g. 409 "already exists": the caller decides what it means
                return r
            raise WriteError(f"{what}: Kafka Connect answered {status}: {msg}")

        return self.attempts.retry(attempt, what)

    def connector_names(self) -> set[str]:
        """Every connector Connect lists. What decides whether a connector exists after a deletion: the list
        holds names, not paths, so no name can make it answer for another connector."""
        return set(self._call("GET", rest_path("connectors"), "listing connectors", (200,)).json())

    def get_connector(self, name: str) -> tuple[dict | None, dict | None]:
        """(config, status) of one connector, (None, None) when it does not exist."""
        r = self._call("GET", rest_path("connectors", name, "config"), f"reading connector {name}",
                       (200,), expected=(404,))
        if r.status_code == 404:
            return None, None
        s = self._call("GET", rest_path("connectors", name, "status"), f"reading connector {name}",
                       (200,), expected=(404,))
        return r.json(), (s.json() if s.status_code == 200 else None)

    def create_connector(self, name: str, config: Mapping[str, str], state: ConnectorState) -> None:
        body = {"name": name, "config": dict(config), "initial_state": _STATE_NAMES[state]}
        r = self._call("POST", rest_path("connectors"), f"creating connector {name}", (201,), json=body)
        if r.status_code == 409:
            # "already exists": ours if a retried request had landed (same config), else someone else's
            existing, _ = self.get_connector(name)
            if existing is None or {k: v for k, v in existing.items() if k != "name"} != dict(config):
                raise TakenMeanwhile(f"connector {name} was created by someone else meanwhile (with another config); "
                                 "run `kplan plan` again")

    def put_connector_config(self, name: str, config: Mapping[str, str]) -> None:
        self._call("PUT", rest_path("connectors", name, "config"), f"writing connector {name}'s config",
                   (200, 201), json=dict(config))

    def delete_connector(self, name: str) -> None:
        self._call("DELETE", rest_path("connectors", name), f"deleting connector {name}", (204, 200),
                   expected=(404,))

    def set_connector_state(self, name: str, state: ConnectorState) -> None:
        verb = {ConnectorState.RUNNING: "resume", ConnectorState.PAUSED: "pause",
                ConnectorState.STOPPED: "stop"}[state]
        self._call("PUT", rest_path("connectors", name, verb), f"{verb} connector {name}",
                   (202, 204, 200))

    def restart_connector(self, name: str) -> None:
        self._call("POST", rest_path("connectors", name, "restart",
                                     query={"includeTasks": "true", "onlyFailed": "false"}),
                   f"restarting connector {name}", (202, 204, 200))

    def restart_failed(self, name: str, timeout_s: float | None = None) -> None:
        """Restart only the connector's FAILED instances and wait until all are RUNNING (kplan.cluster.restart)."""
        from kplan.cluster.restart import restart_failed

        restart_failed(self._call, name, timeout_s or self.timeout_s, WriteError)

    def connector_offsets(self, name: str) -> list[dict]:
        """The connector's offsets as Connect's offsets API gives them (kplan.cluster.offsets)."""
        from kplan.cluster.offsets import offsets_of

        return offsets_of(self._call, name)

    def reset_connector_offsets(self, name: str) -> None:
        """Delete every offset of a STOPPED connector; verified (kplan.cluster.offsets)."""
        from kplan.cluster.offsets import reset_offsets

        reset_offsets(self._call, name, self.timeout_s, lambda: self._sink_group(name))

    def alter_connector_offsets(self, name: str, offsets: Sequence[Mapping]) -> None:
        """Write offsets of a STOPPED connector; verified (kplan.cluster.offsets)."""
        from kplan.cluster.offsets import alter_offsets

        alter_offsets(self._call, name, offsets, self.timeout_s, lambda: self._sink_group(name))

    def _sink_group(self, name: str):
        """The consumer group of sink `name` as its config names it, and its members as Kafka shows them
        (kplan.cluster.offsets.SinkGroup); None for a source, or without Kafka's view of groups."""
        from kplan.cluster.offsets import SinkGroup, session_timeout_s
        from kplan.kinds.connector.connects import sink_group_of

        members = self.group_members
        config, _ = self.get_connector(name) if members is not None else (None, None)
        group = sink_group_of(config, name) if config is not None else None
        if members is None or config is None or group is None:
            return None
        return SinkGroup(group, session_timeout_s(config), lambda: members(group)[1])

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
            r = self._call("GET", rest_path("connectors", name, "status"), f"reading connector {name}",
                           (200,), expected=(404,))
            if r.status_code == 200:
                st = r.json()
                conn = st.get("connector") or {}
                tasks = st.get("tasks") or []
                # stopping a FAILED connector is how it is deleted or its offsets changed: not a failure then
                failing = state != ConnectorState.STOPPED
                if failing and conn.get("state") == TERMINAL_TASK_FAILURE:
                    raise WriteError(f"connector {name} FAILED: {failure_line(conn.get('trace', ''))}")
                for t in tasks:
                    if failing and t.get("state") == TERMINAL_TASK_FAILURE:
                        raise WriteError(f"connector {name} task {t.get('id')} FAILED: "
                                         f"{failure_line(t.get('trace', ''))}")
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

    def wait_plugin_version(self, name: str, pin: str, timeout_s: float | None = None) -> None:
        """Until the connector and every task are RUNNING on a plugin version that satisfies `pin`, all in one
        status read (Kafka Connect 4.1+ reports the version each instance runs, KIP-891). A changed config restarts
        the connector and then its tasks: the old task may still answer RUNNING on the old version, and an instance
        being restarted answers with no version for a moment (the worker no longer has it), so neither is done.
        What stays RUNNING with no version, or with no task, for TASKLESS_SETTLE_S is settled (a plugin that declares
        no version has nothing to compare; a connector may generate no task)."""
        from kplan.rules.plugin_versions import satisfies

        deadline = time.monotonic() + (timeout_s or self.connector_timeout_s)
        seen = "no status yet"
        unsure_since = None
        while True:
            r = self._call("GET", rest_path("connectors", name, "status"), f"reading connector {name}",
                           (200,), expected=(404,))
            if r.status_code == 200:
                st = r.json()
                conn = st.get("connector") or {}
                tasks = st.get("tasks") or []
                if conn.get("state") == TERMINAL_TASK_FAILURE:
                    raise WriteError(f"connector {name} FAILED: {failure_line(conn.get('trace', ''))}")
                for t in tasks:
                    if t.get("state") == TERMINAL_TASK_FAILURE:
                        raise WriteError(f"connector {name} task {t.get('id')} FAILED: "
                                         f"{failure_line(t.get('trace', ''))}")
                instances = [conn, *tasks]
                versions = [i.get("version") for i in instances]
                if all(i.get("state") == "RUNNING" for i in instances) and all(
                        v is None or satisfies(pin, v) is not False for v in versions):
                    if tasks and None not in versions:
                        return
                    unsure_since = unsure_since or time.monotonic()
                    if time.monotonic() - unsure_since >= TASKLESS_SETTLE_S:
                        return
                else:
                    unsure_since = None
                seen = f"connector {conn.get('state')} {conn.get('version')}" + "".join(
                    f", task {t.get('id')} {t.get('state')} {t.get('version')}" for t in tasks)
            if time.monotonic() > deadline:
                raise WriteError(f"connector {name} does not run the pinned plugin version {pin} within "
                                 f"{timeout_s or self.connector_timeout_s:g}s (it reports {seen})")
            time.sleep(0.5)

    def close(self) -> None:
        if self.connect is not None:
            self.connect.close()
