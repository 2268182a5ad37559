"""A Secret that a KafkaCluster names (spec.secrets) changed behind the operator, on the local stack's real API server
and its real secured Kafka: the stacks naming that KafkaCluster are planned again at once (the operator watches the
Secret by name; the resync is an hour away and a stack in sync has no retry due), so a password the cluster refuses
shows in the status and the right one back brings the stack in sync again; neither value is ever shown. The operator
runs with the shipped Role for such Secrets (get, list and watch by name), which lets it watch that Secret and no
other; the Secrets of KafkaClusters none of its stacks names (others' in a shared API server) it leaves alone."""

from __future__ import annotations

import base64

import yaml
from kplan_helpers import wait_for
from kube_helpers import CLUSTERS, OPERATOR, STACKS, operator_account, start_operator, stop
from test_kubernetes_kafkacluster import condition, kafkacluster, status_of

RBAC = "/apis/rbac.authorization.k8s.io/v1"


def grant_cluster_secret(admin_api, namespace: str, secret: str) -> None:
    """The shipped Role kplan-operator-cluster-secrets, naming `secret` in `namespace`, bound to the operator there."""
    role = next(d for d in yaml.safe_load_all(OPERATOR.read_text())
                if d["kind"] == "Role" and d["metadata"]["name"] == "kplan-operator-cluster-secrets")
    role = {**role, "metadata": {"name": "cluster-secrets"},
            "rules": [{**r, "resourceNames": [secret]} for r in role["rules"]]}
    assert admin_api("POST", f"{RBAC}/namespaces/{namespace}/roles", json=role).status_code == 201
    binding = {"metadata": {"name": "cluster-secrets"},
               "subjects": [{"kind": "ServiceAccount", "name": "kplan-operator", "namespace": namespace}],
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cluster-secrets"}}
    assert admin_api("POST", f"{RBAC}/namespaces/{namespace}/rolebindings", json=binding).status_code == 201


def secret_data(password: str) -> dict:
    return {"password": base64.b64encode(password.encode()).decode()}


def test_a_changed_secret_of_a_kafkacluster_plans_its_stacks_again_and_is_never_shown(
        admin_api, kubernetes, namespace, secured, sadmin, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    grant_cluster_secret(admin_api, namespace, "kafka-admin")
    secrets = f"/api/v1/namespaces/{namespace}/secrets"
    wrong = f"not-the-password-{unique('pw')}"
    assert admin_api("POST", secrets, json={"metadata": {"name": "kafka-admin"},
                                            "data": secret_data(secured.admin_password)}).status_code == 201
    assert admin_api("POST", secrets, json={"metadata": {"name": "other"}, "data": {}}).status_code == 201
    # the rights: this Secret watched by name, not the namespace's Secrets nor another one
    by_name = {"watch": "1", "timeoutSeconds": "1", "fieldSelector": "metadata.name=kafka-admin"}
    wait_for(lambda: sa("GET", secrets, params=by_name).status_code == 200, 30, "the Role taken in")
    assert [sa("GET", secrets, params=p).status_code for p in (
        {"watch": "1", "timeoutSeconds": "1"}, {**by_name, "fieldSelector": "metadata.name=other"})] == [403, 403]

    prefix, name = unique("ksec"), unique("ksec").lower()
    connection = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s", "client": {
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": secured.admin_user,
        "sasl.password": "${secret:env:KAFKA_PASSWORD}", "ssl.ca.location": secured.ca_file},
        "secrets": {"KAFKA_PASSWORD": {"name": "kafka-admin", "namespace": namespace, "key": "password"}}}
    assert admin_api("POST", CLUSTERS, json=kafkacluster(name, connection)).status_code == 201
    # a KafkaCluster none of this operator's stacks names (another team's), naming a Secret the operator may not
    # read: not watched (the watch would be refused), so not one line about it
    unused = unique("ksec-unused").lower()
    assert admin_api("POST", CLUSTERS, json=kafkacluster(unused, {**connection, "secrets": {"KAFKA_PASSWORD": {
        "name": "other", "namespace": namespace, "key": "password"}}})).status_code == 201
    path = STACKS.format(ns=namespace)
    log = tmp_path / "operator.log"
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work", log)
    try:
        made = admin_api("POST", path, json={
            "apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack",
            "metadata": {"name": "s", "annotations": {"kplan.dev/auto-apply": "true"}},
            "spec": {"stack": prefix, "clusterRef": {"name": name},
                     "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
                     "topics": [{"name": f"{prefix}.t"}]}})
        assert made.status_code == 201, made.text

        def reason(expected: str):
            return lambda: (lambda s: s if condition(s, "Ready").get("reason") == expected else None)(
                status_of(admin_api, namespace, "s"))

        in_sync = wait_for(reason("InSync"), 240, "the stack applied and in sync")
        assert in_sync["lastApply"]["result"] == "applied", in_sync
        assert f"{prefix}.t" in sadmin.list_topics(timeout=20).topics

        # a password the cluster refuses: the stack planned again at once, and says it
        changed = admin_api("PATCH", f"{secrets}/kafka-admin", json={"data": secret_data(wrong)})
        assert changed.status_code == 200, changed.text
        refused = wait_for(reason("ClusterUnreadable"), 120, "the stack planned again with the changed Secret")
        assert "Authentication failed" in condition(refused, "Ready")["message"], refused
        # the right password back: in sync again
        assert admin_api("PATCH", f"{secrets}/kafka-admin", json={
            "data": secret_data(secured.admin_password)}).status_code == 200
        wait_for(reason("InSync"), 120, "the stack in sync again with the mended Secret")

        shown = [admin_api("GET", f"{path}/s").text, admin_api("GET", f"/api/v1/namespaces/{namespace}/events").text,
                 log.read_text()]
        assert [[password in text for text in shown] for password in (secured.admin_password, wrong)] == [
            [False] * 3, [False] * 3]
        # no watch refused (the operator logs 'watching the Secret NS/NAME: ...' when one fails)
        assert "Traceback" not in log.read_text() and "watching the Secret" not in log.read_text(), log.read_text()

        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait_for(lambda: admin_api("GET", f"{path}/s").status_code == 404, 240, "the resource gone")
        assert f"{prefix}.t" not in sadmin.list_topics(timeout=20).topics
    finally:
        stop(op)
        admin_api("DELETE", f"{CLUSTERS}/{name}")
        admin_api("DELETE", f"{CLUSTERS}/{unused}")
