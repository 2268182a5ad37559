"""What a watcher of a KafkaStack sees first: a failure's event is written before the status that says it, so whoever
reads the status finds the event too (as for a plan). Pure logic over a recording API; the real API server's side is
tests/integration/test_kubernetes_kafkacluster.py and test_kubernetes_configmap.py."""

from __future__ import annotations

from pathlib import Path

from kplan.operator.reconcile import Failed, Reconciler


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def call(self, method: str, path: str, **_) -> dict:
        self.calls.append((method, path))
        return {}

    def merge_patch(self, path: str, body) -> dict:
        return self.call("PATCH", path)


def resource(status: dict | None = None) -> dict:
    return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack",
            "metadata": {"namespace": "ns", "name": "s", "uid": "u", "generation": 2}, "status": status or {}}


def test_a_failure_is_an_event_before_it_is_the_status():
    kube = Recording()
    reconciler = Reconciler(kube, Path("/nonexistent"), "only", {}, log=lambda line: None)  # type: ignore[arg-type]
    reconciler._failed(resource(), "Planned", Failed("KafkaClusterMissing", "the KafkaCluster 'x' is not there"))
    assert kube.calls == [("POST", "/api/v1/namespaces/ns/events"),
                          ("PATCH", "/apis/kplan.dev/v1alpha1/namespaces/ns/kafkastacks/s/status")]


def test_a_failure_said_already_is_no_new_event():
    kube = Recording()
    reconciler = Reconciler(kube, Path("/nonexistent"), "only", {}, log=lambda line: None)  # type: ignore[arg-type]
    said = {"conditions": [{"type": "Planned", "status": "False", "reason": "KafkaClusterMissing",
                            "message": "the KafkaCluster 'x' is not there"}]}
    reconciler._failed(resource(said), "Planned", Failed("KafkaClusterMissing", "the KafkaCluster 'x' is not there"))
    assert kube.calls == [("PATCH", "/apis/kplan.dev/v1alpha1/namespaces/ns/kafkastacks/s/status")]
