"""The operator's loop: KafkaStacks listed, then watched from the list's resourceVersion (listed again when the
watch's version is gone, 410), each reconciled when what it asks changes (kplan.operator.decide.key_of: its
generation, its annotations, its deletion), when the ConfigMap it takes its stack from changes (watched in its
namespace) or when the KafkaCluster it names changes (KafkaClusters watched once a stack names one) or a Secret that
KafkaCluster names in spec.secrets (each such Secret watched by name: its value is read by the reconcile, never kept
from the watch), and all of them again every `resync_s` (drift, and what failed). Only the lease's holder reconciles; at
each new leadership it first runs the journal's recovery of every stack (a run the previous leader left unfinished
is finished or rolled back). A reconcile that failed (a Secret, a ConfigMap, a cluster that could not be read, an
apply that failed) is tried again after RETRY_S, doubling each time up to the resync."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

from kplan.operator.connection import cluster_ref, connection_of
from kplan.operator.decide import key_of
from kplan.operator.kube import Kube, KubeError, clusters_path, stacks_path
from kplan.operator.lease import Elector
from kplan.operator.reconcile import Reconciler
from kplan.operator.source import configmap_ref
from kplan.secrets import scrub

RETRY_S = 5.0
WATCH_S = 240  # one watch request's length (the server ends it; it is made again from the last version seen)
NAMED_WATCH_S = 30  # that of a watch the operator stops when no stack needs it any more (a Secret's, a namespace's
# ConfigMaps'): a stopped one ends within it, its request made again every 30 s meanwhile (one GET, no list)


def _key(resource: dict) -> tuple[str, str]:
    return resource["metadata"]["namespace"], resource["metadata"]["name"]


def named_secrets(kafkacluster: dict) -> set[tuple[str, str]]:
    """The Secrets (namespace, name) a KafkaCluster names in spec.secrets."""
    return {(s.namespace, s.name) for s in connection_of(kafkacluster).secrets if s.namespace and s.name}


def secrets_to_watch(stacks: Iterable[dict], cluster_secrets: dict[str, set[tuple[str, str]]]) -> set[tuple[str, str]]:
    """The Secrets of the KafkaClusters the stacks name: those whose change plans a stack again."""
    named = {cluster_ref(r.get("spec")) for r in stacks}
    return {at for cluster, secrets in cluster_secrets.items() if cluster in named for at in secrets}


def configmaps_to_watch(stacks: Iterable[dict]) -> set[str]:
    """The namespaces whose ConfigMaps are watched: those with a stack that takes its stack from a ConfigMap."""
    return {r["metadata"]["namespace"] for r in stacks if configmap_ref(r.get("spec")) is not None}


class Controller:
    def __init__(self, kube: Kube, namespace: str | None, reconciler: Reconciler, elector: Elector,
                 resync_s: float, log: Callable[[str], None]) -> None:
        self.kube, self.namespace, self.reconciler, self.elector = kube, namespace, reconciler, elector
        self.resync_s, self.log = resync_s, log
        self.known: dict[tuple[str, str], dict] = {}
        self.done: dict[tuple[str, str], tuple] = {}  # key_of each resource as last reconciled
        self.dirty: set[tuple[str, str]] = set()
        self.retry: dict[tuple[str, str], tuple[float, int]] = {}  # failed: (when to try again, failures so far)
        self.changed = threading.Condition()
        self.listed = threading.Event()
        self.reconciles = 0
        self.configmap_watches: dict[str, threading.Event] = {}  # namespace -> what stops its ConfigMaps' watch
        self.clusters_watched = False
        self.cluster_secrets: dict[str, set[tuple[str, str]]] = {}  # KafkaCluster -> the Secrets it names (ns, name)
        self.secret_watches: dict[tuple[str, str], threading.Event] = {}  # (ns, name) -> what stops its watch
        self.stop = threading.Event()

    def _seen(self, resource: dict, kind: str) -> None:
        key = _key(resource)
        with self.changed:
            if kind == "DELETED":
                self.known.pop(key, None)
                self.done.pop(key, None)
                self.dirty.discard(key)
                self._follow_secrets()
            else:
                self.known[key] = resource
                self._follow_clusters(resource)
                if self.done.get(key) != key_of(resource):
                    self.dirty.add(key)
            self._follow_configmaps()
            self.changed.notify_all()

    def watch(self, stop: threading.Event) -> None:
        self._follow(stacks_path(self.namespace), "KafkaStacks", self._listed, self._seen, stop)

    def _listed(self, items: list[dict]) -> None:
        with self.changed:
            gone = set(self.known) - {_key(r) for r in items}
        for key in gone:
            self._seen({"metadata": {"namespace": key[0], "name": key[1]}}, "DELETED")
        for item in items:
            self._seen(item, "ADDED")
        self.listed.set()

    def _follow(self, path: str, what: str, listed: Callable[[list[dict]], None],
                seen: Callable[[dict, str], None], stop: threading.Event, watch_s: int = WATCH_S) -> None:
        """List `path`, then watch it from the list's resourceVersion (listed again when that version is gone, 410),
        until stopped (by `stop` or the operator's own). A failure is logged once (again only when it changes, or
        after the watch worked again) and tried again after 2 s, doubling up to 60 s: a refused watch is no flood."""
        said, pause = "", 2.0

        def stopped() -> bool:
            return stop.is_set() or self.stop.is_set()

        while not stopped():
            try:
                listing = self.kube.call("GET", path)
                said, pause = "", 2.0
                listed(listing["items"])
                version = listing["metadata"]["resourceVersion"]
                while not stopped():
                    for event in self.kube.watch(path, version, watch_s):
                        obj = event.get("object") or {}
                        if event.get("type") == "ERROR":
                            raise KubeError(int(obj.get("code") or 0), obj.get("message", "watch error"))
                        version = obj.get("metadata", {}).get("resourceVersion", version)
                        if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                            seen(obj, event["type"])
                        if stopped():
                            return
            except KubeError as e:
                if e.status == 410:  # the version is too old: list again
                    continue
                if str(e) != said:
                    self.log(f"watching {what}: {e}")
                said = str(e)
                stop.wait(pause)
                pause = min(pause * 2, 60.0)

    def _follow_configmaps(self) -> None:
        """The ConfigMaps of each namespace with a stack that takes its stack from one watched: a changed ConfigMap
        plans the stacks that name it again (only the namespace's: the operator's rights on ConfigMaps are granted
        per namespace). A namespace's watch is stopped once none of its stacks names a ConfigMap."""
        def touched_in(namespace: str) -> Callable[[dict, str], None]:
            def touched(configmap: dict, kind: str) -> None:  # its stacks planned again (a list is no news)
                name = configmap["metadata"]["name"]
                with self.changed:
                    self.dirty |= {k for k, r in self.known.items()
                                   if k[0] == namespace and getattr(configmap_ref(r.get("spec")), "name", None) == name}
                    self.changed.notify_all()
            return touched

        with self.changed:
            new = self._keep(self.configmap_watches, configmaps_to_watch(self.known.values()))
        for namespace, stop in new.items():
            self._start(f"/api/v1/namespaces/{namespace}/configmaps", f"ConfigMaps in {namespace}",
                        touched_in(namespace), stop, f"kplan-operator-configmaps-{namespace}")

    def _keep(self, watches: dict, needed: set) -> dict:
        """Stop the watches no longer needed; the new ones, each with its stop event, for the caller to start."""
        for gone in set(watches) - needed:
            watches.pop(gone).set()
        new = {at: threading.Event() for at in sorted(needed - set(watches))}
        watches.update(new)
        return new

    def _start(self, path: str, what: str, touched: Callable[[dict, str], None], stop: threading.Event,
               name: str) -> None:
        """A watch that can be stopped, in a thread of its own (a list is no news: only changes touch stacks)."""
        threading.Thread(target=self._follow, args=(path, what, lambda items: None, touched, stop, NAMED_WATCH_S),
                         name=name, daemon=True).start()

    def _follow_clusters(self, resource: dict) -> None:
        """KafkaClusters watched, once a stack names one: a changed (created, deleted) KafkaCluster plans the stacks
        that name it again."""
        if self.clusters_watched:
            self._follow_secrets()  # the stack may name another KafkaCluster now, or none
            return
        if cluster_ref(resource.get("spec")) is None:
            return
        self.clusters_watched = True

        def touched(kafkacluster: dict, kind: str) -> None:
            name = kafkacluster["metadata"]["name"]
            with self.changed:
                self.cluster_secrets[name] = set() if kind == "DELETED" else named_secrets(kafkacluster)
                self._follow_secrets()
                self.dirty |= {k for k, r in self.known.items() if cluster_ref(r.get("spec")) == name}
                self.changed.notify_all()

        def listed(items: list[dict]) -> None:
            with self.changed:
                self.cluster_secrets = {c["metadata"]["name"]: named_secrets(c) for c in items}
                self._follow_secrets()

        threading.Thread(target=self._follow, args=(clusters_path(), "KafkaClusters", listed, touched, self.stop),
                         name="kplan-operator-kafkaclusters", daemon=True).start()

    def _follow_secrets(self) -> None:
        """The Secrets named (spec.secrets) by the KafkaClusters that this operator's stacks name watched, each by
        name (a field selector: the operator's rights on them are list and watch on those names only; a KafkaCluster
        none of its stacks names is none of its business); a changed (created, deleted) one plans the stacks that
        name a KafkaCluster naming it again. A watch no longer needed is stopped (at its next event, or within
        NAMED_WATCH_S, when its request ends). The watch's objects are dropped unread: the reconcile reads the value."""
        with self.changed:
            new = self._keep(self.secret_watches, secrets_to_watch(self.known.values(), self.cluster_secrets))

        def touched(secret: dict, kind: str) -> None:
            at = (secret["metadata"].get("namespace", ""), secret["metadata"]["name"])
            with self.changed:
                clusters = {c for c, secrets in self.cluster_secrets.items() if at in secrets}
                self.dirty |= {k for k, r in self.known.items() if cluster_ref(r.get("spec")) in clusters}
                self.changed.notify_all()

        for (namespace, secret), stop in new.items():
            self._start(f"/api/v1/namespaces/{namespace}/secrets?fieldSelector=metadata.name%3D{secret}",
                        f"the Secret {namespace}/{secret}", touched, stop,
                        f"kplan-operator-secret-{namespace}-{secret}")

    def run(self, stop: threading.Event) -> None:
        """Reconcile while leader, until stopped."""
        self.stop = stop
        threading.Thread(target=self.watch, args=(stop,), name="kplan-operator-watch", daemon=True).start()
        threading.Thread(target=self.elector.run, args=(stop,), name="kplan-operator-lease", daemon=True).start()
        term, next_resync = 0, time.monotonic() + self.resync_s
        while not stop.is_set():
            if not self.elector.is_leader() or not self.listed.is_set():
                stop.wait(0.2)
                continue
            if self.elector.terms != term:  # a new leadership: what a dead leader left, first
                term = self.elector.terms
                self.log(f"leading{' after ' + self.elector.took_over_from if self.elector.took_over_from else ''}: "
                         "recovering what a previous leader left unfinished, then reconciling every stack")
                for resource in list(self.known.values()):
                    self.reconciler.recover(resource, self.elector.took_over_from)
                with self.changed:
                    self.dirty |= set(self.known)
            if time.monotonic() >= next_resync:
                next_resync = time.monotonic() + self.resync_s
                with self.changed:
                    self.dirty |= set(self.known)
            with self.changed:
                due = {k for k, (at, _) in self.retry.items() if at <= time.monotonic() and k in self.known}
                self.dirty |= due
                if not self.dirty:
                    self.changed.wait(0.5)
                    continue
                key = min(self.dirty)
                self.dirty.discard(key)
            self._one(key)

    def _one(self, key: tuple[str, str]) -> None:
        """Reconcile one stack. One that failed in any way (a Secret, a cluster, the API server, kplan itself) is
        tried again after RETRY_S, doubling up to the resync; one written meanwhile (409) at once."""
        ok = False
        try:
            resource = self.kube.call("GET", stacks_path(*key), ok_missing=True)
            if resource is None or not self.elector.is_leader():
                return
            ok = self.reconciler.reconcile(resource)
            with self.changed:
                self.done[key] = key_of(resource)
        except KubeError as e:
            self.log(f"{key[0]}/{key[1]}: {e}")
            if e.status == 409:  # written meanwhile: again, from what it is now
                ok = True
                with self.changed:
                    self.dirty.add(key)
        except Exception as e:  # noqa: BLE001 - one stack's failure is said; the others go on
            self.log(scrub(f"{key[0]}/{key[1]}: reconcile failed: {type(e).__name__}: {e}"))
        with self.changed:
            failures = 0 if ok else self.retry.get(key, (0.0, 0))[1] + 1
            self.retry.pop(key, None)
            if failures:
                self.retry[key] = (time.monotonic() + min(RETRY_S * 2 ** (failures - 1), self.resync_s), failures)
        self.reconciles += 1
