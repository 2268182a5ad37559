"""Leader election with a coordination.k8s.io/v1 Lease, as client-go's leader election does it: the holder renews
`renewTime` every `duration/3`; a candidate takes the lease over when its record (holder, renewTime) has not
changed for `duration` by the candidate's own clock (no clock of another host is trusted), each write guarded by the
lease's resourceVersion so that of two candidates exactly one wins. A holder that could not renew within `duration`
stops counting itself the leader; one that stops releases the lease (its successor need not wait)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

from kplan.operator.kube import Kube, KubeError


def micro_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Elector:
    def __init__(self, kube: Kube, namespace: str, name: str, identity: str, duration_s: float,
                 log: Callable[[str], None]) -> None:
        self.kube, self.identity, self.duration_s, self.log = kube, identity, duration_s, log
        self.path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}"
        self._renewed = float("-inf")  # when this process last wrote itself as the holder (monotonic)
        self._observed: tuple[Any, Any] | None = None  # the other holder's record, and when it was first seen
        self._observed_at = 0.0
        self.took_over_from: str | None = None  # the holder this process took the lease from (a dead leader)
        self.terms = 0  # leaderships begun: the controller recovers at each new one

    def is_leader(self) -> bool:
        return time.monotonic() < self._renewed + self.duration_s

    def step(self) -> bool:
        """One attempt to take or renew the lease; whether this process holds it now."""
        try:
            lease = self.kube.call("GET", self.path, ok_missing=True)
            if lease is None:
                self._write("POST", None, {"leaseTransitions": 0})
                return True
            spec = lease.get("spec") or {}
            holder = spec.get("holderIdentity") or ""
            if holder == self.identity and self.is_leader():
                self._write("PUT", lease, {**spec, "renewTime": micro_now()})
                return True
            record = (holder, spec.get("renewTime"))
            if record != self._observed:
                self._observed, self._observed_at = record, time.monotonic()
            free = not holder or time.monotonic() > self._observed_at + float(spec.get("leaseDurationSeconds") or 0)
            if holder != self.identity and not free:
                return False
            self._write("PUT", lease, {"leaseTransitions": int(spec.get("leaseTransitions") or 0) + 1})
            self.took_over_from = holder if holder and holder != self.identity else None
            return True
        except KubeError as e:
            if e.status != 409:  # 409: another candidate wrote first
                self.log(f"leader election: {e}")
            return self.is_leader()

    def _write(self, method: str, lease: dict | None, spec: dict) -> None:
        at = micro_now()
        body: dict[str, Any] = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {**((lease or {}).get("metadata") or {"name": self.path.rsplit("/", 1)[1]})},
                "spec": {**spec, "holderIdentity": self.identity, "leaseDurationSeconds": int(self.duration_s),
                         "renewTime": at}}
        if "acquireTime" not in spec or spec.get("holderIdentity") != self.identity:
            body["spec"]["acquireTime"] = at
        started = time.monotonic()
        was = self.is_leader()
        self.kube.call(method, self.path if method == "PUT" else self.path.rsplit("/", 1)[0], body=body)
        self._renewed = started
        if not was:
            self.terms += 1
            self.log(f"leader election: {self.identity} holds the lease {self.path.rsplit('/', 1)[1]}")

    def run(self, stop: threading.Event) -> None:
        """Take and renew the lease until stopped, then release it if held."""
        while not stop.is_set():
            self.step()
            stop.wait(max(self.duration_s / 3, 0.2))
        self.release()

    def release(self) -> None:
        if not self.is_leader():
            return
        try:
            lease = self.kube.call("GET", self.path, ok_missing=True)
            if lease is not None and (lease.get("spec") or {}).get("holderIdentity") == self.identity:
                spec = {**lease["spec"], "holderIdentity": "", "renewTime": micro_now()}
                self.kube.call("PUT", self.path, body={**lease, "spec": spec})
        except KubeError as e:
            self.log(f"leader election: the lease was not released: {e}")
        self._renewed = float("-inf")
