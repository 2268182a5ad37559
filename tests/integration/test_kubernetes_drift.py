"""Drift on the operator's scheduled resync, against the local stack's real API server and its real Kafka: a
KafkaStack in sync whose topic is changed behind the operator's back (with confluent-kafka, not kplan) shows the
drift in its status at the next resync (a short one here: nothing else makes the operator plan again, as no
resource changed), with a Warning event; not corrected without an approval of the new plan, corrected with
auto-apply. No sleep: the status is polled within a deadline."""

from __future__ import annotations

from by_hand import set_topic_configs
from confluent_kafka.admin import ConfigResource
from kplan_helpers import wait_for
from kube_helpers import STACKS, metric, operator_account, start_operator, stop

RESYNC = "3s"
DECLARED, BY_HAND = "3600000", "7200000"


def status_of(api, ns: str, name: str) -> dict:
    got = api("GET", f"{STACKS.format(ns=ns)}/{name}")
    return got.json().get("status") or {} if got.status_code == 200 else {}


def ready(status: dict) -> dict:
    return next((c for c in status.get("conditions") or () if c["type"] == "Ready"), {})


def retention(admin, topic: str) -> str:
    described = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin.describe_configs([described])[described].result(30)["retention.ms"].value


def in_sync_stack(admin_api, kubernetes, namespace, stack, prefix: str, tmp_path, annotations: dict):
    """The operator (resync RESYNC) and a KafkaStack of one topic (retention.ms DECLARED) applied and in sync; the
    operator's process."""
    sa = operator_account(admin_api, kubernetes, namespace)
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log", resync=RESYNC)
    spec = {"stack": prefix, "cluster": {"bootstrap_servers": stack.bootstrap_servers},
            "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
            "topics": [{"name": f"{prefix}.t", "config": {"retention.ms": int(DECLARED)}}]}
    made = admin_api("POST", STACKS.format(ns=namespace), json={
        "apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "spec": spec,
        "metadata": {"name": "s", "annotations": annotations}})
    assert made.status_code == 201, made.text
    if "kplan.dev/auto-apply" not in annotations:  # approve the first plan
        planned = wait_for(lambda: (lambda s: s if s.get("plan") else None)(status_of(admin_api, namespace, "s")),
                           240, "the first plan")
        approved = admin_api("PATCH", f"{STACKS.format(ns=namespace)}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": planned["plan"]["fingerprint"]}}})
        assert approved.status_code == 200, approved.text
    wait_for(lambda: ready(status_of(admin_api, namespace, "s")).get("reason") == "InSync", 240, "in sync")
    return op


def test_drift_behind_the_operators_back_shows_at_the_next_resync_and_waits_for_approval(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    prefix = unique("drift")
    op = in_sync_stack(admin_api, kubernetes, namespace, stack, prefix, tmp_path, {})
    try:
        assert retention(admin, f"{prefix}.t") == DECLARED
        set_topic_configs(admin, f"{prefix}.t", {"retention.ms": BY_HAND})
        drifted = wait_for(lambda: (lambda s: s if ready(s).get("reason") == "Drifted" else None)(
            status_of(admin_api, namespace, "s")), 120, "the drift in the status at a resync")
        assert drifted["plan"]["summary"] == "0 to add, 1 to change, 0 to destroy", drifted
        assert drifted["lastDrift"]["fingerprint"] == drifted["plan"]["fingerprint"]
        assert ready(drifted)["message"].startswith(
            "the cluster drifted from the stack since it was in sync (0 to add, 1 to change, 0 to destroy); the "
            f"approval names {drifted['lastApply']['fingerprint']}, not this plan"), ready(drifted)
        assert "retention.ms" in drifted["plan"]["markdown"]
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["type"] for e in events if e["reason"] == "Drifted"] == ["Warning"]  # said once
        # two more resyncs keep saying it, once, and apply nothing: the approval names the plan before the drift
        done = metric(tmp_path / "operator.log", "kplan_operator_reconciles_total")
        wait_for(lambda: metric(tmp_path / "operator.log", "kplan_operator_reconciles_total") >= done + 2, 120,
                 "two more resyncs")
        later = status_of(admin_api, namespace, "s")
        assert ready(later)["reason"] == "Drifted" and later["lastDrift"] == drifted["lastDrift"], later
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["type"] for e in events if e["reason"] == "Drifted"] == ["Warning"]
        assert retention(admin, f"{prefix}.t") == BY_HAND
    finally:
        stop(op)


def test_drift_is_corrected_at_the_next_resync_with_auto_apply(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    prefix = unique("drift")
    op = in_sync_stack(admin_api, kubernetes, namespace, stack, prefix, tmp_path, {"kplan.dev/auto-apply": "true"})
    try:
        set_topic_configs(admin, f"{prefix}.t", {"retention.ms": BY_HAND})
        corrected = wait_for(lambda: (lambda s: s if s.get("lastDrift") and (s.get("lastApply") or {}).get(
            "fingerprint") == s["lastDrift"]["fingerprint"] else None)(status_of(admin_api, namespace, "s")), 120,
            "the drift corrected at a resync")
        assert corrected["lastApply"]["result"] == "applied", corrected
        assert corrected["lastDrift"]["summary"] == "0 to add, 1 to change, 0 to destroy"
        assert ready(corrected)["reason"] == "InSync"
        wait_for(lambda: retention(admin, f"{prefix}.t") == DECLARED, 30, "the broker to describe the correction")
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["reason"] for e in events if e["reason"] in ("Drifted", "Applied")].count("Drifted") == 1
    finally:
        stop(op)
