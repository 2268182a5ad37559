"""A KafkaStack that names a cluster-scoped KafkaCluster (`spec.clusterRef`) instead of declaring its own connection,
on the local stack's real API server and its real (secured) Kafka: named before the KafkaCluster exists, the stack
says so in its status and a Warning event; once the KafkaCluster and its Secret are there it is planned (watched: the
resync is an hour) and, approved, applied over SASL_SSL with the Secret's password (the topic checked with
confluent-kafka, not kplan); a changed KafkaCluster plans its stacks again; the password is never shown. A KafkaCluster
that breaks kplan's schema is refused by the API server naming the field, with kplan's message where the schema
cannot say it."""

from __future__ import annotations

import base64

from kplan_helpers import wait_for
from kube_helpers import CLUSTERS, STACKS, operator_account, start_operator, stop


def status_of(api, ns: str, name: str) -> dict:
    got = api("GET", f"{STACKS.format(ns=ns)}/{name}")
    return got.json().get("status") or {} if got.status_code == 200 else {}


def condition(status: dict, kind: str) -> dict:
    return next((c for c in status.get("conditions") or () if c["type"] == kind), {})


def kafkacluster(name: str, spec: dict) -> dict:
    return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaCluster", "metadata": {"name": name}, "spec": spec}


def test_a_stack_naming_a_kafkacluster_is_planned_and_applied_with_its_connection(
        admin_api, kubernetes, namespace, secured, sadmin, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    prefix, name = unique("kc"), unique("kc").lower()
    path = STACKS.format(ns=namespace)
    connection = {"bootstrap_servers": secured.bootstrap_servers, "client": {
        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": secured.admin_user,
        "sasl.password": "${secret:env:KAFKA_PASSWORD}", "ssl.ca.location": secured.ca_file},
        "secrets": {"KAFKA_PASSWORD": {"name": "kafka-admin", "namespace": namespace, "key": "password"}}}
    resource = {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": "s"},
                "spec": {"stack": prefix, "clusterRef": {"name": name},
                         "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
                         "topics": [{"name": f"{prefix}.t"}]}}
    log = tmp_path / "operator.log"
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work", log)
    try:
        assert admin_api("POST", path, json=resource).status_code == 201
        missing = wait_for(lambda: (lambda s: s if condition(s, "Ready") else None)(
            status_of(admin_api, namespace, "s")), 240, "the missing KafkaCluster said")
        assert condition(missing, "Ready")["reason"] == "KafkaClusterMissing", missing
        assert condition(missing, "Ready")["message"] == (
            f"spec.clusterRef names the KafkaCluster {name!r}, which is not there: create it (kubectl apply -f its "
            "manifest), or name an existing one (kubectl get kafkaclusters)")
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["type"] for e in events if e["reason"] == "KafkaClusterMissing"] == ["Warning"]

        secret = {"metadata": {"name": "kafka-admin"},
                  "data": {"password": base64.b64encode(secured.admin_password.encode()).decode()}}
        assert admin_api("POST", f"/api/v1/namespaces/{namespace}/secrets", json=secret).status_code == 201
        made = admin_api("POST", CLUSTERS, json=kafkacluster(name, connection))
        assert made.status_code == 201, made.text
        planned = wait_for(lambda: (lambda s: s if s.get("plan") else None)(status_of(admin_api, namespace, "s")),
                           240, "the stack planned with the KafkaCluster's connection")
        assert planned["plan"]["summary"] == "1 to add, 0 to change, 0 to destroy", planned
        assert condition(planned, "Ready")["reason"] == "AwaitingApproval"
        assert f"{prefix}.t" not in sadmin.list_topics(timeout=20).topics  # nothing before the approval

        fingerprint = planned["plan"]["fingerprint"]
        approved = admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": fingerprint}}})
        assert approved.status_code == 200, approved.text
        done = wait_for(lambda: (lambda s: s if (s.get("lastApply") or {}).get("fingerprint") == fingerprint else None)(
            status_of(admin_api, namespace, "s")), 240, "the approved plan applied")
        assert done["lastApply"]["result"] == "applied", done
        assert condition(done, "Ready")["reason"] == "InSync"
        assert f"{prefix}.t" in sadmin.list_topics(timeout=20).topics

        # the KafkaCluster changed: its stacks planned again (the watch; the resync is an hour away)
        in_sync = done["plan"]["fingerprint"]
        current = admin_api("GET", f"{CLUSTERS}/{name}").json()
        changed = admin_api("PATCH", f"{CLUSTERS}/{name}", json={"spec": {"timeout": "20s"},
                                                                "metadata": {"resourceVersion": current[
                                                                    "metadata"]["resourceVersion"]}})
        assert changed.status_code == 200, changed.text
        again = wait_for(lambda: (lambda s: s if (s.get("plan") or {}).get("fingerprint") not in (None, in_sync)
                                  else None)(status_of(admin_api, namespace, "s")), 240,
                         "the stack planned again after its KafkaCluster changed")
        assert again["plan"]["summary"] == "0 to add, 0 to change, 0 to destroy", again

        shown = [admin_api("GET", f"{path}/s").text, admin_api("GET", f"/api/v1/namespaces/{namespace}/events").text,
                 log.read_text()]
        assert [secured.admin_password in text for text in shown] == [False, False, False]
        assert "Traceback" not in log.read_text()

        assert admin_api("DELETE", f"{path}/s").status_code == 200  # destroyed through the KafkaCluster's connection
        wait_for(lambda: admin_api("GET", f"{path}/s").status_code == 404, 240, "the resource gone")
        assert f"{prefix}.t" not in sadmin.list_topics(timeout=20).topics
    finally:
        stop(op)
        admin_api("DELETE", f"{CLUSTERS}/{name}")


def dry_run(api, doc: dict, path: str = CLUSTERS):
    return api("POST", path, params={"dryRun": "All", "fieldValidation": "Strict"}, json=doc)


def test_a_kafkacluster_that_breaks_kplans_schema_is_refused_by_the_api_server(admin_api, namespace):
    good = {"bootstrap_servers": "kafka:9092", "client": {"sasl.password": "${secret:env:KAFKA_PASSWORD}"},
            "secrets": {"KAFKA_PASSWORD": {"name": "creds", "namespace": "kplan-system", "key": "password"}}}
    assert dry_run(admin_api, kafkacluster("ok", good)).status_code == 201

    def refused(spec: dict, status: int = 422) -> str:
        answer = dry_run(admin_api, kafkacluster("bad", spec))
        assert answer.status_code == status, answer.text
        return answer.json()["message"]

    no_servers = {k: v for k, v in good.items() if k != "bootstrap_servers"}
    assert "spec.bootstrap_servers: Required value" in refused(no_servers)
    assert "spec.schema_registry.url: Required value" in refused({**good, "schema_registry": {"ca": "ca.pem"}})
    assert 'unknown field "spec.bootstrap_server"' in refused({**good, "bootstrap_server": "k:9092"}, 400)
    # kplan's own words, where the schema's type cannot say it
    bad_name = {**good, "secrets": {"kafka-password": good["secrets"]["KAFKA_PASSWORD"]}}
    assert ("spec.secrets: each key is an environment variable's name ([A-Za-z_][A-Za-z0-9_]*) that a "
            "${secret:env:NAME} reference reads") in refused(bad_name)
    assert "spec.secrets.KAFKA_PASSWORD.key: Required value" in refused(
        {**good, "secrets": {"KAFKA_PASSWORD": {"name": "creds", "namespace": "kplan-system"}}})

    # a stack names a KafkaCluster or declares its own connection, not both
    both = {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": "s"},
            "spec": {"stack": "s", "clusterRef": {"name": "prod"}, "cluster": {"bootstrap_servers": "k:9092"}}}
    answer = dry_run(admin_api, both, STACKS.format(ns=namespace))
    assert answer.status_code == 422, answer.text
    assert ("spec.clusterRef: a stack that names a KafkaCluster declares no cluster of its own: remove spec.cluster "
            "(its connection is the KafkaCluster's spec)") in answer.json()["message"]
