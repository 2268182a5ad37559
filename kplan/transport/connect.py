"""Kafka Connect, as the connector kinds (connectors, their offsets requests) read and write it: the REST client
(`kplan.transport.http`) of a stack's Connect worker, one per Connect cluster when `cluster.connect` names several
(`ConnectClients`), the connector keys that say which (`kplan.model.desired.connector_key`, docs/stack-format.md),
the offsets of connectors (`connect_offsets`, Connect's offsets API: kplan.transport.offsets) and a run's writes
(`ConnectWrites`). The Kafka clients are `kplan.transport.kafka`'s.

Connect's writes are made on the Connect cluster each connector's key names, each with its own client, `Link` (which
depends on Kafka's: a worker cannot answer while Kafka is down) and attempts: every request is retried with the
writer's backoff and deadline while the failure is transient, and every write is verified by reading Connect back.
A restart of a connector's FAILED instances (`restart_failed`):

`POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true` answers 202 with the instances it restarts
marked RESTARTING. The status read right after may still show the old FAILED (measured on the local stack, Kafka
4.3.1: FAILED at 12 ms, RESTARTING at 49 ms, FAILED again at 116 ms for a task that cannot start), so a FAILED
instance that was restarted counts as failed again only once it has been seen in another state since, or once
`STALE_S` have passed without that (a task that fails within one poll never shows RESTARTING to us)."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from kplan.errors import TakenMeanwhile, WriteError
from kplan.model.desired import DEFAULT_CONNECT, ClusterSpec, ConnectorState
from kplan.rules.connect import failure_line, sink_group_of
from kplan.rules.plugin_versions import satisfies
from kplan.secrets import SecretValues
from kplan.transport.admin import poll
from kplan.transport.attempts import Attempts
from kplan.transport.groups import describe_groups
from kplan.transport.http import (
    HttpService,
    RestClient,
    RestUnavailable,
    error_message,
    is_json,
    rest_client,
    rest_path,
)
from kplan.transport.offsets import (
    SinkGroup,
    alter_offsets,
    offsets_of,
    read_offsets,
    reset_offsets,
    session_timeout_s,
)
from kplan.transport.reach import Link, connect_probe
from kplan.transport.retry import ErrorClass, RetriableError, RetryPolicy, classify_connect

CONNECT = HttpService("Kafka Connect", "worker", "cluster.connect", "cluster.connect_url", "the Connect REST API")


def connect_client(cluster: ClusterSpec, secrets: SecretValues | None = None,
                   timeout_s: float | None = None) -> "RestClient | None":
    """The Connect REST client for a stack's cluster (None when it names no Connect worker): its URL and
    credentials with their secret references substituted here, at the edge, from the values resolved once."""
    if not cluster.connect_url:
        return None
    return rest_client(CONNECT, cluster.connect_url, cluster.connect, cluster.timeout_s if timeout_s is None
                       else timeout_s, SecretValues() if secrets is None else secrets)


def split_key(key: str, names: Iterable[str]) -> tuple[str, str]:
    """(the Connect cluster, the connector's name on it) of a connector key, among the Connect clusters `names`."""
    connect, sep, rest = key.partition("/")
    if sep and connect in names and connect != DEFAULT_CONNECT:
        return connect, rest
    return DEFAULT_CONNECT, key


class ConnectClients:
    """One REST client per Connect cluster of `cluster`, by name (`default`: the default one's, or None)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues):
        self.clients: dict[str, RestClient] = {}
        for name in cluster.connect_names():
            client = connect_client(cluster.for_connect(name), secrets)
            if client is not None:
                self.clients[name] = client
        self.default = self.clients.get(DEFAULT_CONNECT)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def request_restart_failed(cluster: ClusterSpec, secrets: SecretValues, key: str) -> None:
    """`kplan watch`'s restart under a connector's `auto_restart` (kplan.commands.watch_heal): one `POST
    .../restart?includeTasks=true&onlyFailed=true` on the Connect cluster the key names, not awaited (the watcher's
    next round sees what came of it), not retried (its next round is the retry); WriteError when it is not taken."""
    clients = ConnectClients(cluster, secrets)
    try:
        connect, name = split_key(key, clients.clients)
        client = clients.clients.get(connect)
        if client is None:
            raise WriteError(f"connector {key}: the stack names no Connect worker for it")
        r = client.request("POST", rest_path("connectors", name, "restart",
                                             query={"includeTasks": "true", "onlyFailed": "true"}))
        if r.status_code not in (200, 202, 204):
            raise WriteError(f"restarting connector {name}'s failed instances: Kafka Connect answered "
                             f"{r.status_code}: {error_message(r)}")
    finally:
        clients.close()


def connect_offsets(clients: Mapping[str, Any], keys: Iterable[str]) -> dict[str, list[dict]]:
    """The offsets of the connectors `keys` names, each from its own Connect cluster (`clients`: by name)."""
    by_connect: dict[str, dict[str, str]] = {}
    for key in keys:
        connect, name = split_key(key, clients)
        by_connect.setdefault(connect, {})[name] = key
    out: dict[str, list[dict]] = {}
    for connect, names in by_connect.items():
        for name, offsets in read_offsets(clients.get(connect), names).items():
            out[names[name]] = offsets
    return out


TERMINAL_TASK_FAILURE = "FAILED"
TASKLESS_SETTLE_S = 5.0
_STATE_NAMES = {ConnectorState.RUNNING: "RUNNING", ConnectorState.PAUSED: "PAUSED", ConnectorState.STOPPED: "STOPPED"}


class _Worker:
    """One Connect cluster of a run: its client, its link and its attempts (a stack without `cluster.connect_url` has
    no client: each call says so)."""

    def __init__(self, cluster: ClusterSpec, secrets: SecretValues, kafka_link: Link, policy: RetryPolicy | None):
        self.connect = connect_client(cluster, secrets)
        self.link = Link("Kafka Connect", self.connect.shown_url if self.connect else "(none)",
                         cluster.timeout_s, connect_probe(self.connect) if self.connect else None,
                         depends_on=kafka_link)
        self.attempts = Attempts(policy or RetryPolicy(deadline_s=cluster.timeout_s), self.link)

    def call(self, method: str, path: str, what: str, ok: tuple[int, ...], json=None,
             expected: tuple[int, ...] = (), not_yet: tuple[str, ...] = ()):
        """One Connect request, retried with the writer's backoff and deadline while the failure is transient:
        no answer (refused, reset, timed out: a restarting worker), a worker still starting (a 404 that is not
        Connect's own), 409 rebalance, 5xx. Every write here is idempotent or checked by its caller (a create
        that had landed answers 409 "already exists"), so a retried write is safe. An error answer whose message
        says one of `not_yet` is the caller's: it knows what that waits for (kplan.transport.offsets)."""
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

    def get(self, name: str) -> tuple[dict | None, dict | None]:
        r = self.call("GET", rest_path("connectors", name, "config"), f"reading connector {name}", (200,),
                      expected=(404,))
        if r.status_code == 404:
            return None, None
        s = self.status(name)
        return r.json(), (s.json() if s.status_code == 200 else None)

    def status(self, name: str):
        return self.call("GET", rest_path("connectors", name, "status"), f"reading connector {name}", (200,),
                         expected=(404,))


class ConnectWrites:
    """Connect's writes of one run (the connector and offsets kinds' handlers make them: `ctx.io(ConnectWrites)`), each
    on the Connect cluster the connector's key names (kplan.model.desired.connector_key)."""

    def __init__(self, writers: Any):
        cluster, self.kafka = writers.cluster, writers.kafka
        self.timeout_s, self.connector_timeout_s = cluster.timeout_s, writers.connector_timeout_s
        self._workers = {name: _Worker(cluster.for_connect(name), writers.secrets, self.kafka.link, writers.policy)
                         for name in cluster.connect_names() or (DEFAULT_CONNECT,)}

    def _at(self, key: str) -> tuple[_Worker, str]:
        """The worker of the Connect cluster `key` names, and the connector's name there."""
        connect, name = split_key(key, self._workers)
        fallback = DEFAULT_CONNECT if DEFAULT_CONNECT in self._workers else sorted(self._workers)[0]
        return self._workers.get(connect) or self._workers[fallback], name

    @property
    def link(self) -> Link:
        """The link that is down, if one is (the executor stops waiting on a Connect cluster that went away)."""
        links = [w.link for w in self._workers.values()]
        return next((link for link in links if link.is_down), links[0])

    def get_connector(self, name: str) -> tuple[dict | None, dict | None]:
        """(config, status) of one connector, (None, None) when it does not exist."""
        worker, name = self._at(name)
        return worker.get(name)

    def create_connector(self, name: str, config: Mapping[str, str], state: ConnectorState) -> None:
        worker, name = self._at(name)
        body = {"name": name, "config": dict(config), "initial_state": _STATE_NAMES[state]}
        r = worker.call("POST", rest_path("connectors"), f"creating connector {name}", (201,), json=body)
        if r.status_code == 409:
            # "already exists": ours if a retried request had landed (same config), else someone else's
            existing, _ = worker.get(name)
            if existing is None or {k: v for k, v in existing.items() if k != "name"} != dict(config):
                raise TakenMeanwhile(f"connector {name} was created by someone else meanwhile (with another config); "
                                     "run `kplan plan` again")

    def put_connector_config(self, name: str, config: Mapping[str, str]) -> None:
        worker, name = self._at(name)
        worker.call("PUT", rest_path("connectors", name, "config"), f"writing connector {name}'s config",
                    (200, 201), json=dict(config))

    def delete_connector(self, name: str) -> None:
        worker, name = self._at(name)
        worker.call("DELETE", rest_path("connectors", name), f"deleting connector {name}", (204, 200),
                    expected=(404,))

    def set_connector_state(self, name: str, state: ConnectorState) -> None:
        worker, name = self._at(name)
        verb = {ConnectorState.RUNNING: "resume", ConnectorState.PAUSED: "pause",
                ConnectorState.STOPPED: "stop"}[state]
        worker.call("PUT", rest_path("connectors", name, verb), f"{verb} connector {name}", (202, 204, 200))

    def bring_to_state(self, name: str, state: ConnectorState) -> None:
        """Set the connector's state and wait until it and its tasks show it (`wait_connector`)."""
        self.set_connector_state(name, state)
        self.wait_connector(name, state)

    def restart_connector(self, name: str) -> None:
        """Restart the connector and its tasks, then until the status shows each instance the answer names as
        RESTARTING no longer as it was before (Connect answers before its status topic has the restart, so a status
        read at once can still show the old RUNNING), at most STALE_S: a restart that finished between two reads is
        not seen moving. The caller then waits for the state it wants (`wait_connector`)."""
        worker, name = self._at(name)
        r = worker.call("POST", rest_path("connectors", name, "restart",
                                          query={"includeTasks": "true", "onlyFailed": "false"}),
                        f"restarting connector {name}", (202, 204, 200))
        before = worker.status(name)
        old = {k: v.get("state") for k, v in _instances(before.json()).items()} if before.status_code == 200 else {}
        waiting = {k for k, v in _instances(r.json() if r.status_code == 202 else {}).items()
                   if v.get("state") == "RESTARTING" and old.get(k) == RUNNING}
        started = time.monotonic()
        while waiting and time.monotonic() - started < STALE_S:
            time.sleep(POLL_S)
            s = worker.status(name)
            if s.status_code != 200:
                return
            waiting -= {k for k, v in _instances(s.json()).items() if v.get("state") != RUNNING}

    def restart_failed(self, name: str) -> None:
        """Restart only the connector's FAILED instances, then until it and every task are RUNNING (at most
        cluster.timeout); one that fails again fails at once, with its error."""
        worker, name = self._at(name)
        r = worker.call("POST", rest_path("connectors", name, "restart",
                                          query={"includeTasks": "true", "onlyFailed": "true"}),
                        f"restarting connector {name}'s failed instances", (202, 204, 200), expected=(404,))
        if r.status_code == 404:
            raise WriteError(f"connector {name} does not exist")
        restarted = {k for k, v in _instances(r.json() if r.status_code == 202 else {}).items()
                     if v.get("state") == "RESTARTING"}
        seen_moving: set[str] = set()
        started = time.monotonic()
        deadline = started + self.timeout_s
        last = "no status yet"
        while True:
            s = worker.status(name)
            if s.status_code == 404:
                raise WriteError(f"connector {name} was deleted while it restarted")
            status = s.json()
            inst = _instances(status)
            for key, v in inst.items():
                state = v.get("state")
                if state != TERMINAL_TASK_FAILURE:
                    seen_moving.add(key)
                    continue
                stale = key in restarted and key not in seen_moving and time.monotonic() - started < STALE_S
                if not stale:
                    raise WriteError(f"connector {name} {key} FAILED again after its restart: "
                                     f"{failure_line(v.get('trace', ''))}")
            tasks = status.get("tasks") or []
            if inst["connector"].get("state") == RUNNING and all(t.get("state") == RUNNING for t in tasks) and (
                    tasks or time.monotonic() - started >= STALE_S):  # a connector may legitimately have no tasks
                return
            last = ", ".join(f"{k} {v.get('state')}" for k, v in inst.items())
            if time.monotonic() > deadline:
                raise WriteError(f"connector {name} was restarted but is not RUNNING after {self.timeout_s:g}s "
                                 f"({last})")
            time.sleep(POLL_S)

    def connector_offsets(self, name: str) -> list[dict]:
        """The connector's offsets as Connect's offsets API gives them (kplan.transport.offsets)."""
        worker, name = self._at(name)
        return offsets_of(worker.call, name)

    def reset_connector_offsets(self, name: str) -> None:
        """Delete every offset of a STOPPED connector; verified (kplan.transport.offsets)."""
        worker, name = self._at(name)
        reset_offsets(worker.call, name, self.timeout_s, lambda: self._sink_group(worker, name))

    def alter_connector_offsets(self, name: str, offsets: Sequence[Mapping]) -> None:
        """Write offsets of a STOPPED connector back; verified (kplan.transport.offsets)."""
        worker, name = self._at(name)
        alter_offsets(worker.call, name, offsets, self.timeout_s, lambda: self._sink_group(worker, name))

    def _sink_group(self, worker: _Worker, name: str) -> SinkGroup | None:
        """The consumer group of sink `name` as its config names it, and its members as Kafka shows them; None for a
        source."""
        config, _ = worker.get(name)
        group = sink_group_of(config, name) if config is not None else None
        if config is None or group is None:
            return None
        kafka = self.kafka
        return SinkGroup(group, session_timeout_s(config), lambda: describe_groups(
            kafka.admin, [group], kafka.request_timeout(), kafka.who).get(group, ("Dead", 0))[1])

    def wait_connector_gone(self, name: str) -> None:
        """Until Connect no longer lists the connector: its list of names, which holds names, not paths, so no name
        can make it answer for another connector."""
        worker, name = self._at(name)
        poll(lambda: f"connector {name} is still listed after its deletion"
             if name in set(worker.call("GET", rest_path("connectors"), "listing connectors", (200,)).json()) else None,
             self.connector_timeout_s, delay=0.2, factor=1.0)

    def wait_connector(self, name: str, state: ConnectorState) -> None:
        """Wait until the connector and every task reach `state`; a FAILED connector or task fails at once,
        with the first lines of its trace, unless the connector is being paused or stopped. A worker that restarts
        meanwhile is waited for (transient failures are retried like any Connect call)."""
        want, stopped = _STATE_NAMES[state], state == ConnectorState.STOPPED
        # Connect leaves a FAILED task FAILED when its connector is paused (it does not run either way, Kafka 4.3):
        # pausing a failing connector, what a user does until its target is fixed, is done once the connector is
        # PAUSED
        settled = (want, TERMINAL_TASK_FAILURE) if state == ConnectorState.PAUSED else (want,)

        def done(key: str, conn: dict, tasks: list[dict]) -> bool | None:
            # stopping a FAILED connector is how it is deleted or its offsets changed: not a failure then
            if state == ConnectorState.RUNNING:
                _refuse_failed(key, conn, tasks)
            if conn.get("state") != want or (tasks and stopped):
                return False
            # a connector may legitimately generate no tasks: settled once it stays so for a while
            return all(t.get("state") in settled for t in tasks) if tasks else stopped or None

        self._until(name, done, f"did not reach {want}", "", lambda conn, tasks: (
            f"connector {conn.get('state')}, tasks " + (", ".join(f"{t.get('id')}:{t.get('state')}" for t in tasks)
                                                       or "none")))

    def wait_plugin_version(self, name: str, pin: str) -> None:
        """Until the connector and every task are RUNNING on a plugin version that satisfies `pin`, all in one
        status read (Kafka Connect 4.1+ reports the version each instance runs, KIP-891). A changed config restarts
        the connector and then its tasks: the old task may still answer RUNNING on the old version, and an instance
        being restarted answers with no version for a moment (the worker no longer has it), so neither is done.
        What stays RUNNING with no version, or with no task, for TASKLESS_SETTLE_S is settled (a plugin that declares
        no version has nothing to compare; a connector may generate no task)."""
        def done(key: str, conn: dict, tasks: list[dict]) -> bool | None:
            _refuse_failed(key, conn, tasks)
            versions = [i.get("version") for i in (conn, *tasks)]
            if any(i.get("state") != "RUNNING" for i in (conn, *tasks)) or any(
                    v is not None and satisfies(pin, v) is False for v in versions):
                return False
            return True if tasks and None not in versions else None

        self._until(name, done, f"does not run the pinned plugin version {pin}", "it reports ",
                    lambda conn, tasks: f"connector {conn.get('state')} {conn.get('version')}" + "".join(
                        f", task {t.get('id')} {t.get('state')} {t.get('version')}" for t in tasks))

    def _until(self, key: str, done: Callable[[str, dict, list[dict]], bool | None],
               failure: str, reports: str, seen: Callable[[dict, list[dict]], str]) -> None:
        """Read the connector's status until `done(its name, connector, tasks)` is True, or None (nothing more to
        wait for) for TASKLESS_SETTLE_S on end; past the connector timeout, a WriteError: `failure`,
        the seconds, and what the last status showed (`reports` and `seen`)."""
        worker, name = self._at(key)
        deadline = time.monotonic() + self.connector_timeout_s
        last, unsure_since = "no status yet", None
        while True:
            r = worker.status(name)
            if r.status_code == 200:
                st = r.json()
                conn, tasks = st.get("connector") or {}, st.get("tasks") or []
                verdict = done(name, conn, tasks)
                if verdict:
                    return
                unsure_since = None if verdict is False else unsure_since or time.monotonic()
                if unsure_since is not None and time.monotonic() - unsure_since >= TASKLESS_SETTLE_S:
                    return
                last = seen(conn, tasks)
            if time.monotonic() > deadline:
                raise WriteError(f"connector {name} {failure} within {self.connector_timeout_s:g}s ({reports}{last})")
            time.sleep(0.5)

    def close(self) -> None:
        for worker in self._workers.values():
            if worker.connect is not None:
                worker.connect.close()


def _refuse_failed(name: str, connector: dict, tasks: list[dict]) -> None:
    """A WriteError with the first lines of its trace when the connector or one of its tasks is FAILED."""
    if connector.get("state") == TERMINAL_TASK_FAILURE:
        raise WriteError(f"connector {name} FAILED: {failure_line(connector.get('trace', ''))}")
    for t in tasks:
        if t.get("state") == TERMINAL_TASK_FAILURE:
            raise WriteError(f"connector {name} task {t.get('id')} FAILED: {failure_line(t.get('trace', ''))}")


RUNNING = "RUNNING"
STALE_S = 3.0  # how long a restarted instance's FAILED may be the status from before the restart
POLL_S = 0.2


def _instances(status: dict) -> dict[str, dict]:
    """"connector" and "task <id>" -> that instance's status."""
    out = {"connector": status.get("connector") or {}}
    out.update({f"task {t.get('id')}": t for t in status.get("tasks") or []})
    return out

