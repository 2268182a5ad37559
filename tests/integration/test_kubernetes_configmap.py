"""A KafkaStack whose stack is files in a ConfigMap (`spec.source.configMap`), on the local stack's real Kubernetes
API server and its real Kafka and registry: planned from the ConfigMap's stack file (a schema file beside it, another
key), applied when approved, planned again when the ConfigMap changes (the old approval applying nothing), a mistake
in it said at the ConfigMap's key and line as `kplan validate` says it, a missing ConfigMap said in the status and
an event (the operator goes on), and destroyed on deletion. The operator runs with the shipped rights: ConfigMaps
read and watched in its namespace only. The cluster is checked with confluent-kafka and the registry's REST API."""

from __future__ import annotations

import subprocess
import sys

import requests
from kube_helpers import CLUSTERS, STACKS, operator_account, start_operator, stop
from test_kubernetes_operator import drop_topics, planned, ready, status_of, topics, wait

CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
SCHEMA = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


def stack_file(stack, prefix: str, names: list[str]) -> str:
    return "\n".join([
        "# the orders stack, kept in Git beside its schema",
        f"stack: {prefix}",
        "cluster:",
        f"  bootstrap_servers: {stack.bootstrap_servers}",
        f"  schema_registry: {{url: {stack.schema_registry_url}}}",
        "defaults:",
        "  topic: {partitions: 1, replication_factor: 1}",
        "subjects:",
        f"  - name: {prefix}-value",
        "    schema_file: order.avsc",
        "topics:",
        *(f"  - name: {n}" for n in names), ""])


def configmap(text: str) -> dict:
    return {"metadata": {"name": "orders"}, "data": {"stack.yaml": text, "order.avsc": SCHEMA}}


def subjects(stack) -> list[str]:
    return requests.get(f"{stack.schema_registry_url}/subjects", timeout=30).json()


def kplan_validate(text: str, tmp_path) -> list[str]:
    """`kplan validate`'s lines about the ConfigMap's files written out as a directory (its name said as the
    ConfigMap's)."""
    directory = tmp_path / "files"
    directory.mkdir(exist_ok=True)
    (directory / "order.avsc").write_text(SCHEMA)
    (directory / "stack.yaml").write_text(text)
    out = subprocess.run([sys.executable, "-m", "kplan", "validate", "-q", str(directory / "stack.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    return out.stdout.replace(f"{directory}/", "configmap/orders/").splitlines()


def test_a_stack_from_a_configmap_is_planned_again_when_the_configmap_changes(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    prefix = unique("cm")
    one, two = f"{prefix}.one", f"{prefix}.two"
    path, maps = STACKS.format(ns=namespace), CONFIGMAPS.format(ns=namespace)
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    try:
        assert admin_api("POST", maps, json=configmap(stack_file(stack, prefix, [one]))).status_code == 201
        resource = {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": "s"},
                    "spec": {"source": {"configMap": {"name": "orders"}}}}
        mixed = admin_api("POST", path, json={**resource, "spec": {**resource["spec"], "topics": [{"name": one}]}})
        assert mixed.status_code == 422 and "takes no stack keys beside it" in mixed.json()["message"], mixed.text
        assert admin_api("POST", path, json=resource).status_code == 201

        first = wait("the first plan", lambda: planned(admin_api, namespace, "s", 1))
        assert first["plan"]["summary"] == "2 to add, 0 to change, 0 to destroy"  # the topic and the subject
        assert f"| `topic.{one}` | create |  | `configmap/orders/stack.yaml:12` |" in first["plan"]["markdown"], \
            first["plan"]["markdown"]
        assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": first["plan"]["fingerprint"]}}}).status_code == 200
        done = wait("the approved plan applied", lambda: (lambda s: s if (s.get("lastApply") or {}).get("result")
                                                          else None)(status_of(admin_api, namespace, "s")))
        assert done["lastApply"]["result"] == "applied", done["lastApply"]
        assert topics(admin, prefix) == {one: 1} and f"{prefix}-value" in subjects(stack)
        assert ready(done)["reason"] == "InSync"

        # the ConfigMap changes (no change to the KafkaStack): planned again; the old approval applies nothing
        current = admin_api("GET", f"{maps}/orders").json()
        changed = {**configmap(stack_file(stack, prefix, [one, two])), "metadata": current["metadata"]}
        assert admin_api("PUT", f"{maps}/orders", json=changed).status_code == 200
        again = wait("the changed ConfigMap's plan", lambda: (lambda s: s if s.get("plan", {}).get("hasChanges")
                                                              else None)(status_of(admin_api, namespace, "s")))
        assert again["plan"]["summary"] == "1 to add, 0 to change, 0 to destroy"
        assert again["plan"]["fingerprint"] != first["plan"]["fingerprint"]
        assert ready(again)["reason"] == "AwaitingApproval" and "approval names" in ready(again)["message"]
        assert topics(admin, prefix) == {one: 1}

        # a mistake in it: said at the ConfigMap's key and line, as `kplan validate` says it
        broken = stack_file(stack, prefix, [one, one])
        current = admin_api("GET", f"{maps}/orders").json()
        assert admin_api("PUT", f"{maps}/orders", json={**configmap(broken), "metadata": current["metadata"]}) \
            .status_code == 200
        said = wait("the mistake in the status", lambda: (lambda s: s if ready(s)["reason"] == "InvalidStack"
                                                          else None)(status_of(admin_api, namespace, "s")))
        assert ready(said)["message"] == "; ".join(kplan_validate(broken, tmp_path)), said
        assert ready(said)["message"].startswith("configmap/orders/stack.yaml:13:")

        # the ConfigMap gone: said in the status and an event, and the operator goes on
        assert admin_api("DELETE", f"{maps}/orders").status_code == 200
        gone = wait("the missing ConfigMap said", lambda: (lambda s: s if ready(s)["reason"] == "ConfigMapUnreadable"
                                                           else None)(status_of(admin_api, namespace, "s")))
        assert "'orders'" in ready(gone)["message"] and "is not there" in ready(gone)["message"]
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["type"] for e in events if e["reason"] == "ConfigMapUnreadable"] == ["Warning"]
        assert op.poll() is None
        assert admin_api("POST", maps, json=configmap(stack_file(stack, prefix, [one]))).status_code == 201
        wait("planned again once it is back", lambda: (lambda s: s if ready(s)["reason"] == "InSync"
                                                       else None)(status_of(admin_api, namespace, "s")))

        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait("the resource gone (destroyed)", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert topics(admin, prefix) == {} and f"{prefix}-value" not in subjects(stack)
    finally:
        stop(op)
        drop_topics(admin, prefix)
    assert "Traceback" not in (tmp_path / "operator.log").read_text()


def test_a_configmap_whose_stack_is_not_yaml_is_said_at_its_key_and_line_when_planned_and_when_deleted(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    """The ConfigMap is no KafkaStack: the API server (and the webhook) admit any text in it, so the operator's
    status and event are where a broken stack file is said, at the ConfigMap's key and line as `kplan validate`
    says it; also when the resource is deleted (the destroy reads the stack first) and nothing is destroyed until
    the file is mended."""
    sa = operator_account(admin_api, kubernetes, namespace)
    prefix = unique("cmbad")
    path, maps = STACKS.format(ns=namespace), CONFIGMAPS.format(ns=namespace)
    good = stack_file(stack, prefix, [f"{prefix}.one"])
    broken = good.replace("partitions: 1,", "partitions: [1,")  # an unclosed flow sequence
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    try:
        assert admin_api("POST", maps, json=configmap(broken)).status_code == 201
        resource = {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "spec": {
            "source": {"configMap": {"name": "orders"}}}, "metadata": {"name": "s", "annotations": {
                "kplan.dev/auto-apply": "true"}}}
        assert admin_api("POST", path, json=resource).status_code == 201
        expected = "; ".join(kplan_validate(broken, tmp_path))
        assert expected.startswith("configmap/orders/stack.yaml:") and "invalid YAML" in expected, expected
        said = wait("the broken file in the status", lambda: (lambda s: s if s.get("conditions") else None)(
            status_of(admin_api, namespace, "s")))
        assert ready(said)["reason"] == "InvalidStack" and ready(said)["message"] == expected, said
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [(e["type"], e["message"]) for e in events if e["reason"] == "InvalidStack"] == [("Warning", expected)]

        current = admin_api("GET", f"{maps}/orders").json()
        assert admin_api("PUT", f"{maps}/orders", json={**configmap(good), "metadata": current["metadata"]}) \
            .status_code == 200
        wait("mended: applied", lambda: (lambda s: s if ready(s).get("reason") == "InSync" else None)(
            status_of(admin_api, namespace, "s")))
        assert topics(admin, prefix) == {f"{prefix}.one": 1}

        # broken again, then the resource deleted: the destroy says the same line, and destroys nothing
        current = admin_api("GET", f"{maps}/orders").json()
        assert admin_api("PUT", f"{maps}/orders", json={**configmap(broken), "metadata": current["metadata"]}) \
            .status_code == 200
        assert admin_api("DELETE", f"{path}/s").status_code == 200
        refused = wait("the deletion's refusal", lambda: (lambda s: s if any(
            c["type"] == "Destroyed" for c in s.get("conditions") or ()) else None)(
            status_of(admin_api, namespace, "s")))
        destroyed = next(c for c in refused["conditions"] if c["type"] == "Destroyed")
        assert destroyed["reason"] == "InvalidStack" and destroyed["message"] == expected, destroyed
        assert topics(admin, prefix) == {f"{prefix}.one": 1}
        current = admin_api("GET", f"{maps}/orders").json()
        assert admin_api("PUT", f"{maps}/orders", json={**configmap(good), "metadata": current["metadata"]}) \
            .status_code == 200
        wait("the resource gone (destroyed)", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert topics(admin, prefix) == {}
    finally:
        stop(op)
        drop_topics(admin, prefix)
    assert "Traceback" not in (tmp_path / "operator.log").read_text()


def test_a_configmap_stack_naming_a_kafkacluster_is_planned_approved_and_applied_with_its_connection(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    """A stack from a ConfigMap whose file declares no `cluster:`, the resource naming a KafkaCluster
    (`spec.clusterRef` beside `spec.source`): planned with the KafkaCluster's connection (the plan's places still the
    ConfigMap's lines), nothing done before the approval, applied once approved (checked with confluent-kafka and the
    registry's REST API), destroyed on deletion through the same connection."""
    from test_kubernetes_kafkacluster import kafkacluster

    sa = operator_account(admin_api, kubernetes, namespace)
    prefix, name = unique("cmkc"), unique("cmkc").lower()
    path, maps = STACKS.format(ns=namespace), CONFIGMAPS.format(ns=namespace)
    own = stack_file(stack, prefix, [f"{prefix}.one"]).splitlines()
    text = "\n".join(own[:2] + own[5:])  # no cluster: of its own (its three lines)
    assert "cluster:" not in text and "bootstrap_servers" not in text
    connection = {"bootstrap_servers": stack.bootstrap_servers, "schema_registry": {"url": stack.schema_registry_url}}
    assert admin_api("POST", CLUSTERS, json=kafkacluster(name, connection)).status_code == 201
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    try:
        assert admin_api("POST", maps, json=configmap(text)).status_code == 201
        made = admin_api("POST", path, json={
            "apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": "s"},
            "spec": {"source": {"configMap": {"name": "orders"}}, "clusterRef": {"name": name}}})
        assert made.status_code == 201, made.text

        first = wait("the first plan", lambda: planned(admin_api, namespace, "s", 1))
        assert first["plan"]["summary"] == "2 to add, 0 to change, 0 to destroy", first  # the topic and the subject
        assert f"| `topic.{prefix}.one` | create |  | `configmap/orders/stack.yaml:9` |" in first["plan"]["markdown"], \
            first["plan"]["markdown"]
        assert ready(first)["reason"] == "AwaitingApproval"
        assert topics(admin, prefix) == {} and f"{prefix}-value" not in subjects(stack)  # nothing before approval

        fingerprint = first["plan"]["fingerprint"]
        assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": fingerprint}}}).status_code == 200
        done = wait("the approved plan applied", lambda: (lambda s: s if (s.get("lastApply") or {}).get(
            "fingerprint") == fingerprint else None)(status_of(admin_api, namespace, "s")))
        assert done["lastApply"]["result"] == "applied", done["lastApply"]
        assert ready(done)["reason"] == "InSync"
        assert topics(admin, prefix) == {f"{prefix}.one": 1} and f"{prefix}-value" in subjects(stack)

        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait("the resource gone (destroyed)", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert topics(admin, prefix) == {} and f"{prefix}-value" not in subjects(stack)
    finally:
        stop(op)
        drop_topics(admin, prefix)
        admin_api("DELETE", f"{CLUSTERS}/{name}")
    assert "Traceback" not in (tmp_path / "operator.log").read_text()
