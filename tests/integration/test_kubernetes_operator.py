"""`kplan operator` against the local stack's real Kubernetes API server and its real Kafka: a KafkaStack gets its
plan in its status and changes nothing until that plan's fingerprint is approved; a changed spec is planned again
and the old approval applies nothing; deleting the resource destroys what the stack owns but its protected topic;
of two replicas only the Lease's holder reconciles, and the other takes over when it is killed. The operator runs
with its service account's token and the rights deploy/kubernetes/kplan-operator.yaml gives it (and no more).
The cluster is checked with confluent-kafka, not kplan."""

from __future__ import annotations

import signal

import requests
from kplan_helpers import kill_command, wait_for
from kube_helpers import STACKS, Api, metric, operator_account, start_operator, stop

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/kplan-operator"


def wait(what: str, probe, timeout: float = 240):
    """`wait_for` with the operator's longer default (a reconcile round reads the cluster and plans)."""
    return wait_for(probe, timeout, what)


def topics(admin, prefix: str) -> dict[str, int]:
    return {name: len(t.partitions) for name, t in admin.list_topics(timeout=20).topics.items()
            if name.startswith(prefix)}


def drop_topics(admin, prefix: str) -> None:
    gone = list(topics(admin, prefix))
    for f in (admin.delete_topics(gone).values() if gone else ()):
        try:
            f.result(30)
        except Exception:  # noqa: BLE001
            pass


def kafkastack(name: str, stack, stack_name: str, topic_list: list[dict], annotations: dict | None = None) -> dict:
    return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack",
            "metadata": {"name": name, "annotations": annotations or {}},
            "spec": {"stack": stack_name, "cluster": {"bootstrap_servers": stack.bootstrap_servers},
                     "defaults": {"topic": {"partitions": 1, "replication_factor": 1}}, "topics": topic_list}}


def status_of(api: Api, ns: str, name: str) -> dict:
    got = api("GET", f"{STACKS.format(ns=ns)}/{name}")
    return got.json().get("status") or {} if got.status_code == 200 else {}


def planned(api: Api, ns: str, name: str, generation: int):
    """The status once it has a plan of that generation."""
    s = status_of(api, ns, name)
    return s if s.get("observedGeneration") == generation and s.get("plan") else None


def ready(status: dict) -> dict:
    return next(c for c in status["conditions"] if c["type"] == "Ready")


def test_a_kafkastack_is_planned_applied_when_approved_and_destroyed_but_what_is_protected(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    prefix = unique("op")
    plain, kept = f"{prefix}.plain", f"{prefix}.kept"
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    path = STACKS.format(ns=namespace)
    try:
        made = admin_api("POST", path, json=kafkastack("s", stack, prefix, [
            {"name": plain}, {"name": kept, "protect": True}]))
        assert made.status_code == 201, made.text
        first = wait("the first plan in the status", lambda: planned(admin_api, namespace, "s", 1))
        assert first["plan"]["summary"] == "2 to add, 0 to change, 0 to destroy"
        assert f"topic.{plain}" in first["plan"]["markdown"] and first["plan"]["hasChanges"] is True
        # "Declared at": the resource's field paths, not the operator's own copy of the spec
        assert f"| `topic.{plain}` | create |  | `spec.topics[0]` |" in first["plan"]["markdown"], first["plan"]
        assert "stack.yaml" not in first["plan"]["markdown"]
        assert ready(first)["reason"] == "AwaitingApproval"
        assert first["plan"]["fingerprint"] in ready(first)["message"]
        assert first["reconciledBy"] == "only"
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert any(e["reason"] == "Planned" and first["plan"]["fingerprint"] in e["message"] for e in events)
        assert topics(admin, prefix) == {}  # nothing applied without approval

        # a changed spec is planned again; the first plan's approval applies nothing
        changed = admin_api("PATCH", f"{path}/s", json={"spec": {"topics": [
            {"name": plain, "partitions": 2}, {"name": kept, "protect": True}]}})
        assert changed.status_code == 200, changed.text
        second = wait("the changed spec's plan", lambda: planned(admin_api, namespace, "s", 2))
        assert second["plan"]["fingerprint"] != first["plan"]["fingerprint"]
        assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": first["plan"]["fingerprint"]}}}).status_code == 200
        stale = wait("the stale approval refused", lambda: (lambda s: s if s and "approval names" in
                                                             ready(s)["message"] else None)(status_of(admin_api,
                                                                                                      namespace, "s")))
        assert ready(stale)["reason"] == "AwaitingApproval" and "lastApply" not in stale
        assert topics(admin, prefix) == {}

        # approving the plan shown applies it
        assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": second["plan"]["fingerprint"]}}}).status_code == 200
        done = wait("the approved plan applied", lambda: (lambda s: s if (s.get("lastApply") or {}).get("result")
                                                          else None)(status_of(admin_api, namespace, "s")))
        assert done["lastApply"]["result"] == "applied", done["lastApply"]
        assert done["lastApply"]["fingerprint"] == second["plan"]["fingerprint"]
        assert topics(admin, prefix) == {plain: 2, kept: 1}
        assert done["plan"]["hasChanges"] is False and ready(done)["reason"] == "InSync"

        # deleted: what the stack owns is destroyed, its protected topic stays
        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait("the resource gone (finalizer removed)", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert topics(admin, prefix) == {kept: 1}
    finally:
        stop(op)
        for f in admin.delete_topics([plain, kept]).values():
            try:
                f.result(30)
            except Exception:  # noqa: BLE001 - not created, or deleted by the test
                pass
    assert "Traceback" not in (tmp_path / "operator.log").read_text()


def test_the_operators_account_has_its_rights_and_no_more(admin_api, kubernetes, namespace):
    sa = operator_account(admin_api, kubernetes, namespace)
    path = STACKS.format(ns=namespace)
    assert sa("GET", path).status_code == 200
    assert sa("GET", f"/api/v1/namespaces/{namespace}/secrets/none").status_code == 404  # allowed, absent
    assert sa("GET", f"/api/v1/namespaces/{namespace}/configmaps").status_code == 200  # read and watched here
    assert sa("GET", "/apis/kplan.dev/v1alpha1/kafkaclusters").status_code == 200  # cluster-scoped: read, watched
    refused = [("POST", path, {"metadata": {"name": "x"}}), ("DELETE", f"{path}/x", None),
               ("GET", "/api/v1/namespaces/default/configmaps", None),
               ("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": "x"}}),
               ("GET", f"/api/v1/namespaces/{namespace}/secrets", None),
               ("GET", "/api/v1/namespaces/default/secrets", None),
               ("GET", "/api/v1/namespaces/default/secrets/x", None),
               ("GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/another", None),
               ("GET", "/apis/kplan.dev/v1alpha1/kafkastacks", None),  # other namespaces: not bound there
               ("POST", "/apis/kplan.dev/v1alpha1/kafkaclusters", {"metadata": {"name": "x"}}),
               ("DELETE", "/apis/kplan.dev/v1alpha1/kafkaclusters/x", None),
               ("POST", f"/api/v1/namespaces/{namespace}/pods", {"metadata": {"name": "x"}})]
    for method, where, body in refused:
        assert sa(method, where, **({"json": body} if body else {})).status_code == 403, (method, where)


def test_only_the_lease_holder_reconciles_and_a_killed_leaders_successor_takes_over(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    kubeconfig = sa.kubeconfig(tmp_path / "kubeconfig")
    prefix = unique("lead")
    ops = {n: start_operator(kubeconfig, namespace, n, tmp_path / n, tmp_path / f"{n}.log") for n in ("a", "b")}
    path = STACKS.format(ns=namespace)
    try:
        lease = LEASES.format(ns=namespace)
        leader = wait("a leader", lambda: (admin_api("GET", lease).json().get("spec") or {}).get("holderIdentity")
                      if admin_api("GET", lease).status_code == 200 else None)
        other = "b" if leader == "a" else "a"
        assert wait("the leader's metrics", lambda: metric(tmp_path / f"{leader}.log", "kplan_operator_leader")) == 1
        assert wait("the standby's metrics", lambda: metric(tmp_path / f"{other}.log", "kplan_operator_leader")
                    is not None) and metric(tmp_path / f"{other}.log", "kplan_operator_leader") == 0
        made = admin_api("POST", path, json=kafkastack("s", stack, prefix, [{"name": f"{prefix}.one"}],
                                                      {"kplan.dev/auto-apply": "true"}))
        assert made.status_code == 201, made.text
        done = wait("the auto-applied plan", lambda: (lambda s: s if (s.get("lastApply") or {}).get("result")
                                                      else None)(status_of(admin_api, namespace, "s")))
        assert done["lastApply"]["result"] == "applied" and done["reconciledBy"] == leader
        assert topics(admin, prefix) == {f"{prefix}.one": 1}
        assert "applied plan" in (tmp_path / f"{leader}.log").read_text()
        assert "applied plan" not in (tmp_path / f"{other}.log").read_text()
        assert "holds the lease" not in (tmp_path / f"{other}.log").read_text()

        ops[leader].send_signal(signal.SIGKILL)
        ops[leader].wait(30)
        wait("the other replica holding the lease",
             lambda: (admin_api("GET", lease).json().get("spec") or {}).get("holderIdentity") == other, timeout=120)
        assert admin_api("PATCH", f"{path}/s", json={"spec": {"topics": [
            {"name": f"{prefix}.one"}, {"name": f"{prefix}.two"}]}}).status_code == 200
        wait("the successor's apply", lambda: (lambda s: s if s.get("observedGeneration") == 2 and
                                               (s.get("lastApply") or {}).get("fingerprint") != done["lastApply"][
                                                   "fingerprint"] and s.get("lastApply") else None)(
            status_of(admin_api, namespace, "s")))
        after = status_of(admin_api, namespace, "s")
        assert after["reconciledBy"] == other and after["lastApply"]["result"] == "applied"
        assert topics(admin, prefix) == {f"{prefix}.one": 1, f"{prefix}.two": 1}
        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait("the resource gone", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert topics(admin, prefix) == {}
    finally:
        for p in ops.values():
            stop(p)
        drop_topics(admin, prefix)


def kill_mid_apply(admin_api, kubernetes, namespace, stack, prefix, tmp_path, ops: list, heir_first: bool):
    """A replica that SIGKILLs itself once its apply's first step has written (the journal still says "started":
    tests/integration/faulty_kplan.py), leading; `heir_first`: a second replica standing by meanwhile. A stack of a
    topic and a file sink connector reading it (two steps: the topic, then the connector) is planned by it, approved
    by the plan's fingerprint, and the replica dies in that apply, between the two. The fingerprint approved."""
    kubeconfig = operator_account(admin_api, kubernetes, namespace).kubeconfig(tmp_path / "kubeconfig")
    lease, path = LEASES.format(ns=namespace), STACKS.format(ns=namespace)
    dying = start_operator(kubeconfig, namespace, "dying", tmp_path / "dying", tmp_path / "dying.log",
                           command=kill_command(kill_at="in-step:1"))
    ops.append(dying)
    wait("the first replica leading",
         lambda: (admin_api("GET", lease).json().get("spec") or {}).get("holderIdentity") == "dying")
    if heir_first:
        ops.append(start_operator(kubeconfig, namespace, "heir", tmp_path / "heir", tmp_path / "heir.log"))
    resource = kafkastack("s", stack, prefix, [{"name": f"{prefix}.a"}])
    resource["spec"]["cluster"]["connect_url"] = stack.connect_url
    resource["spec"]["connectors"] = [{"name": f"{prefix}-sink", "class": FILE_SINK, "tasks_max": 1, "config": {
        "topics": f"{prefix}.a", "file": str(tmp_path / "sink.txt")}}]
    made = admin_api("POST", path, json=resource)
    assert made.status_code == 201, made.text
    fingerprint = wait("the plan", lambda: planned(admin_api, namespace, "s", 1))["plan"]["fingerprint"]
    assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
        "kplan.dev/approve": fingerprint}}}).status_code == 200
    assert dying.wait(300) == -9  # killed in the middle of its apply
    return fingerprint


def recovered_events(admin_api, namespace) -> list[str]:
    events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
    return [e["message"] for e in events if e["reason"] == "Recovered"]


def applied(admin_api, namespace):
    return lambda: (lambda s: s if (s.get("lastApply") or {}).get("result") else None)(
        status_of(admin_api, namespace, "s"))


def settled(admin_api, namespace, reason: str):
    """The status once the successor has planned after its recovery, Ready for `reason`."""
    def probe():
        s = status_of(admin_api, namespace, "s")
        ok = s.get("reconciledBy") == "heir" and "applying" not in s and s.get("plan") and ready(s)["reason"] == reason
        return s if ok else None
    return probe


def connectors(stack, prefix: str) -> list[str]:
    return [c for c in requests.get(f"{stack.connect_url}/connectors", timeout=30).json() if c.startswith(prefix)]


def test_a_leader_killed_mid_apply_leaves_its_successor_to_finish_the_plan_still_approved(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    prefix, ops = unique("kill"), []
    try:
        fingerprint = kill_mid_apply(admin_api, kubernetes, namespace, stack, prefix, tmp_path, ops, heir_first=True)
        done = wait("the successor's recovery", applied(admin_api, namespace))
        assert done["lastApply"]["result"] == "applied" and done["lastApply"]["fingerprint"] == fingerprint, done
        assert topics(admin, prefix) == {f"{prefix}.a": 1}  # the approved plan, whole
        assert connectors(stack, prefix) == [f"{prefix}-sink"]
        recovered = recovered_events(admin_api, namespace)
        assert len(recovered) == 1 and recovered[0].startswith("Resumed run "), recovered
        after = wait("the plan after it", settled(admin_api, namespace, "InSync"))
        assert after["plan"]["hasChanges"] is False
        log = (tmp_path / "heir.log").read_text()
        assert "Resumed run" in log and "Rolled back" not in log and "applied plan" not in log  # finished, not redone
    finally:
        for p in ops:
            stop(p)
        requests.delete(f"{stack.connect_url}/connectors/{prefix}-sink", timeout=30)
        drop_topics(admin, prefix)


def test_a_leader_killed_mid_apply_leaves_its_successor_to_roll_back_a_plan_no_longer_approved(
        admin_api, kubernetes, namespace, stack, admin, unique, tmp_path):
    prefix, ops = unique("kill"), []
    path = STACKS.format(ns=namespace)
    try:
        kill_mid_apply(admin_api, kubernetes, namespace, stack, prefix, tmp_path, ops, heir_first=False)
        # half applied: its first step's topic, not its second's connector
        assert (topics(admin, prefix), connectors(stack, prefix)) == ({f"{prefix}.a": 1}, [])
        # the approval withdrawn while no replica runs, then a successor starts
        assert admin_api("PATCH", f"{path}/s", json={"metadata": {"annotations": {
            "kplan.dev/approve": None}}}).status_code == 200
        ops.append(start_operator(tmp_path / "kubeconfig", namespace, "heir", tmp_path / "heir", tmp_path / "heir.log"))
        done = wait("the successor's recovery", applied(admin_api, namespace))
        assert done["lastApply"]["result"] == "rolled-back", done
        assert (topics(admin, prefix), connectors(stack, prefix)) == ({}, [])  # as before the run
        recovered = recovered_events(admin_api, namespace)
        assert len(recovered) == 1 and recovered[0].startswith("Rolled back run "), recovered
        again = wait("the plan after it", settled(admin_api, namespace, "AwaitingApproval"))
        assert again["plan"]["summary"] == "2 to add, 0 to change, 0 to destroy"  # the topic and the connector
        assert (topics(admin, prefix), connectors(stack, prefix)) == ({}, [])  # nothing applied unapproved
    finally:
        for p in ops:
            stop(p)
        requests.delete(f"{stack.connect_url}/connectors/{prefix}-sink", timeout=30)
        drop_topics(admin, prefix)


def test_a_stacks_secrets_come_from_a_kubernetes_secret_and_are_never_shown(
        admin_api, kubernetes, namespace, secured, sadmin, unique, tmp_path):
    import base64

    sa = operator_account(admin_api, kubernetes, namespace)
    prefix = unique("sec")
    path = STACKS.format(ns=namespace)
    spec = {"stack": prefix, "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
            "cluster": {"bootstrap_servers": secured.bootstrap_servers, "client": {
                "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                "sasl.username": secured.admin_user, "sasl.password": "${secret:env:KAFKA_PASSWORD}",
                "ssl.ca.location": secured.ca_file}},
            "topics": [{"name": f"{prefix}.t"}]}
    resource = {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "spec": spec, "metadata": {
        "name": "s", "annotations": {"kplan.dev/secrets": "kafka", "kplan.dev/auto-apply": "true"}}}
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    try:
        assert admin_api("POST", path, json=resource).status_code == 201
        missing = wait("the missing Secret said", lambda: (lambda s: s if s.get("conditions") else None)(
            status_of(admin_api, namespace, "s")))
        assert ready(missing)["reason"] == "SecretUnreadable" and "'kafka'" in ready(missing)["message"]
        secret = {"metadata": {"name": "kafka"},
                  "data": {"KAFKA_PASSWORD": base64.b64encode(secured.admin_password.encode()).decode()}}
        assert admin_api("POST", f"/api/v1/namespaces/{namespace}/secrets", json=secret).status_code == 201
        # tried again soon after a failure (no watch on Secrets): applied with the Secret's password
        done = wait("the stack applied with the Secret's password", lambda: (lambda s: s if (
            s.get("lastApply") or {}).get("result") else None)(status_of(admin_api, namespace, "s")))
        assert done["lastApply"]["result"] == "applied", done
        assert f"{prefix}.t" in sadmin.list_topics(timeout=20).topics
        shown = [admin_api("GET", f"{path}/s").text, admin_api("GET", f"/api/v1/namespaces/{namespace}/events").text,
                 (tmp_path / "operator.log").read_text()]
        assert [secured.admin_password in text for text in shown] == [False, False, False]
        assert admin_api("DELETE", f"{path}/s").status_code == 200
        wait("the resource gone", lambda: admin_api("GET", f"{path}/s").status_code == 404)
        assert f"{prefix}.t" not in sadmin.list_topics(timeout=20).topics
    finally:
        stop(op)


def test_a_spec_the_crd_takes_but_kplan_refuses_is_said_in_the_status_and_an_event(
        admin_api, kubernetes, namespace, stack, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    prefix = unique("bad")
    path = STACKS.format(ns=namespace)
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work",
                        tmp_path / "operator.log")
    try:  # one topic twice: the schema cannot say it, kplan's load does
        made = admin_api("POST", path, json=kafkastack("s", stack, prefix, [{"name": f"{prefix}.t"}] * 2))
        assert made.status_code == 201, made.text
        said = wait("the refusal in the status", lambda: (lambda s: s if s.get("conditions") else None)(
            status_of(admin_api, namespace, "s")))
        assert ready(said)["reason"] == "InvalidStack" and "plan" not in said
        assert ready(said)["message"] == (f'spec.topics[1]: duplicate topic "{prefix}.t": the topic collides with the '
                                          'topic at spec.topics[0]'), said  # at the resource's field paths
        events = admin_api("GET", f"/api/v1/namespaces/{namespace}/events").json()["items"]
        assert [e["type"] for e in events if e["reason"] == "InvalidStack"] == ["Warning"]
        assert "Traceback" not in (tmp_path / "operator.log").read_text()
    finally:
        stop(op)
