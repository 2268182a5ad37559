"""Which Secrets the operator watches, and how a refused watch is told: pure logic over a fake API (the real API
server's side is tests/integration/test_kubernetes_cluster_secret.py)."""

from __future__ import annotations

import threading

from kplan.operator.controller import NAMED_WATCH_S, Controller, configmaps_to_watch, named_secrets, secrets_to_watch
from kplan.operator.kube import KubeError


def cluster(name: str, *secrets: tuple[str, str]) -> dict:
    return {"metadata": {"name": name}, "spec": {"bootstrap_servers": "k:9092", "secrets": {
        f"V{i}": {"namespace": ns, "name": secret, "key": "k"} for i, (ns, secret) in enumerate(secrets)}}}


def stack(namespace: str, name: str, cluster: str | None, configmap: str | None = None) -> dict:
    spec = {"stack": name, **({"clusterRef": {"name": cluster}} if cluster else {})}
    if configmap:
        spec = {"source": {"configMap": {"name": configmap}}}
    return {"metadata": {"namespace": namespace, "name": name}, "spec": spec}


def test_only_the_secrets_of_kafkaclusters_a_stack_names_are_watched():
    clusters = {c["metadata"]["name"]: named_secrets(c) for c in (
        cluster("ours", ("a", "pw"), ("a", "ca")), cluster("theirs", ("b", "pw")), cluster("none"))}
    assert clusters["ours"] == {("a", "pw"), ("a", "ca")}
    stacks = [stack("a", "s1", "ours"), stack("a", "s2", None), stack("a", "s3", "missing")]
    assert secrets_to_watch(stacks, clusters) == {("a", "pw"), ("a", "ca")}
    assert secrets_to_watch([stack("a", "s2", None)], clusters) == set()


class RefusingKube:
    """Every list refused, as the API server answers a watch the operator has no rights for."""

    def __init__(self, stop_after: int, stop: threading.Event) -> None:
        self.calls, self.stop_after, self.stop = 0, stop_after, stop

    def call(self, method: str, path: str, **_) -> dict:
        self.calls += 1
        if self.calls >= self.stop_after:
            self.stop.set()
        raise KubeError(403, f"GET {path}: 403 forbidden")


class Clockless(threading.Event):
    """A stop whose waits return at once, recording how long each would have been."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        return self.is_set()


def test_a_refused_watch_is_said_once_and_tried_again_ever_later():
    stop, lines = Clockless(), []
    kube = RefusingKube(9, stop)
    controller = Controller(kube, "ns", reconciler=None, elector=None, resync_s=3600, log=lines.append)  # type: ignore[arg-type]
    controller._follow("/api/v1/namespaces/x/secrets", "the Secret x/pw", lambda items: None, lambda o, k: None, stop)
    assert kube.calls == 9
    assert lines == ["watching the Secret x/pw: GET /api/v1/namespaces/x/secrets: 403 forbidden"]
    assert stop.waits == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]


class OneStack:
    """An API server holding one KafkaStack; a reconciler that fails as told; a leader."""

    def __init__(self, outcomes: list) -> None:
        self.outcomes = outcomes

    def call(self, method: str, path: str, **_) -> dict:
        return stack("ns", "s", None)

    def reconcile(self, resource: dict) -> bool:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def is_leader(self) -> bool:
        return True


def test_a_reconcile_that_raised_is_tried_again_like_one_that_failed_not_at_the_resync():
    api, lines = OneStack([RuntimeError("no"), False, KubeError(503, "busy"), True]), []
    controller = Controller(api, "ns", reconciler=api, elector=api, resync_s=3600, log=lines.append)  # type: ignore[arg-type]
    failures = []
    for _ in range(4):
        controller._one(("ns", "s"))
        failures.append(controller.retry.get(("ns", "s"), (0.0, 0))[1])
    assert failures == [1, 2, 3, 0]
    assert lines == ["ns/s: reconcile failed: RuntimeError: no", "ns/s: busy"]


class Starts:
    """What the controller starts (path, stop event) instead of threads, and the watch length it asks for."""

    def __init__(self, controller: Controller) -> None:
        self.started: dict[str, threading.Event] = {}
        controller._start = self.start  # type: ignore[method-assign]

    def start(self, path: str, what: str, touched, stop: threading.Event, name: str) -> None:
        self.started[path] = stop

    def running(self) -> set[str]:
        return {path for path, stop in self.started.items() if not stop.is_set()}


def test_a_namespaces_configmaps_are_watched_while_one_of_its_stacks_takes_its_stack_from_one():
    assert configmaps_to_watch([stack("a", "s1", None, "cm"), stack("b", "s2", None), stack("c", "s3", None, "x")]) \
        == {"a", "c"}
    controller = Controller(None, "ns", reconciler=None, elector=None, resync_s=3600, log=print)  # type: ignore[arg-type]
    starts = Starts(controller)
    a = "/api/v1/namespaces/a/configmaps"
    controller._seen(stack("a", "s1", None), "ADDED")
    assert starts.running() == set()
    controller._seen(stack("a", "s1", None, "cm"), "MODIFIED")
    controller._seen(stack("a", "s2", None, "other"), "ADDED")
    assert starts.running() == {a}
    controller._seen(stack("a", "s1", None), "MODIFIED")  # s2 still names one
    assert starts.running() == {a}
    controller._seen(stack("a", "s2", None), "DELETED")  # none does: stopped
    assert starts.running() == set() and controller.configmap_watches == {}
    controller._seen(stack("a", "s3", None, "cm"), "ADDED")  # needed again: a new watch, with a stop of its own
    assert starts.running() == {a} and len(starts.started) == 1


def test_a_stopped_named_watch_ends_within_its_short_request():
    """A Secret's or a namespace's ConfigMaps' watch asks the server for requests of NAMED_WATCH_S, so that once
    stopped it ends when its request does, not after the stacks' watch's 240 s."""
    stop, asked = threading.Event(), []

    class Api:
        def call(self, method: str, path: str, **_) -> dict:
            return {"items": [], "metadata": {"resourceVersion": "1"}}

        def watch(self, path: str, version: str, timeout_s: int):
            asked.append(timeout_s)
            stop.set()  # stopped while the request is open: it ends with the request
            return iter(())

    controller = Controller(Api(), "ns", reconciler=None, elector=None, resync_s=3600, log=print)  # type: ignore[arg-type]
    controller._start("/api/v1/namespaces/a/secrets", "the Secret a/pw", lambda o, k: None, stop, "kplan-test-watch")
    (thread,) = [t for t in threading.enumerate() if t.name == "kplan-test-watch"] or [None]
    if thread is not None:
        thread.join(5)
        assert not thread.is_alive()
    assert asked == [NAMED_WATCH_S] and NAMED_WATCH_S <= 30
