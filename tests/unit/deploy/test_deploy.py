"""deploy/ (issue 59): the Prometheus alert rules pass `promtool check rules` and their unit tests (`promtool test
rules`); the Grafana dashboard's queries are valid PromQL (promtool checks them as recording rules) over metrics
`kplan watch` exports; the Kubernetes manifest validates against Kubernetes' own schemas (kubernetes-validate) and
runs the watcher as it should (non-root, read-only, probes, token from a Secret). promtool is built from the
Prometheus Go module (bench/peers/build.sh promtool), as the benchmark's peers are."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.tools

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
EXPORTED = {"kplan_stack_up", "kplan_resources", "kplan_stack_last_success_timestamp_seconds",
            "kplan_stack_errors_total", "kplan_watch_rounds_total", "kplan_watch_round_duration_seconds",
            # the connector kind's (kplan.kinds.connector.health.metrics): a CDC source's health at its database
            "kplan_cdc_healthy", "kplan_cdc_slot_active", "kplan_cdc_retained_wal_bytes",
            "kplan_cdc_confirmed_flush_lag_bytes", "kplan_cdc_binlog_lag_bytes",
            # the connector kind's states, from the live state the plan was made on
            "kplan_connector_state", "kplan_connector_tasks",
            # auto_restart's, what the watcher itself did (kplan.commands.watch_heal)
            "kplan_connector_restarts_total", "kplan_connector_auto_restart_attempts",
            "kplan_connector_auto_restart_max_attempts", "kplan_connector_auto_restart_exhausted",
            # the consumer-group kind's, read each round
            "kplan_consumer_group_lag"}


@pytest.fixture(scope="module")
def promtool() -> Path:
    binary = ROOT / ".bench-peers" / "bin" / "promtool"
    if not binary.exists():
        build = subprocess.run(["bash", str(ROOT / "bench" / "peers" / "build.sh"), "promtool"], capture_output=True,
                               text=True, timeout=3000)
        assert build.returncode == 0, build.stdout + build.stderr
    return binary


def test_the_alert_rules_pass_promtool_and_their_unit_tests(promtool):
    check = subprocess.run([str(promtool), "check", "rules", str(DEPLOY / "prometheus" / "kplan-alerts.yaml")],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "SUCCESS: 6 rules found" in check.stdout, check.stdout + check.stderr
    tested = subprocess.run([str(promtool), "test", "rules", "kplan-alerts.test.yaml"], capture_output=True,
                            text=True, timeout=120, cwd=DEPLOY / "prometheus")
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def _metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\bkplan_[a-z_]+\b", expr))


def test_the_dashboard_queries_are_promql_over_exported_metrics(promtool, tmp_path):
    dashboard = json.loads((DEPLOY / "grafana" / "kplan-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs and all(_metric_names(e) <= EXPORTED for e in exprs), exprs
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel{i}", "expr": e.replace("$stack", ".*")} for i, e in enumerate(exprs)]}]}
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump(rules))
    check = subprocess.run([str(promtool), "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "kplan-alerts.yaml").read_text())
    assert all(_metric_names(r["expr"]) <= EXPORTED for g in alerts["groups"] for r in g["rules"])


def test_the_exported_metric_names_are_the_watchers():
    """EXPORTED above is what kplan.commands.watch's collector yields (a counter's samples end in _total), with the
    CDC health a connector kind's metrics give it."""
    from types import SimpleNamespace

    from kplan.commands.watch import WatchState
    from kplan.kinds.connector.health import metrics, states
    from kplan.model.cdc_health import BinlogState, CdcHealth, SlotState
    from kplan.model.live import LiveConnector, LiveTask
    from kplan.model.plan import ResourceType

    live = SimpleNamespace(of=lambda kind: SimpleNamespace(resources={"pg": LiveConnector(
        "pg", {}, "RUNNING", (LiveTask(0, "FAILED"),))}))
    plan = SimpleNamespace(changes=[SimpleNamespace(name="pg", type=ResourceType.CONNECTOR)])
    state = WatchState()
    state.kind_samples = {"shop": metrics({
        "pg": CdcHealth("postgres", slot=SlotState("pg", True, False, None, 5, 6)),
        "my": CdcHealth("mariadb", binlog=BinlogState("b.1", 9, "b.1", 4))}) + states(live, plan)
        + [("kplan_consumer_group_lag", "lag", {"group": "g", "topic": "t"}, 3.0)]}
    names = set()
    for family in state.collect():
        names |= {s.name for s in family.samples} | {family.name + ("_total" if family.type == "counter" else "")}
    assert EXPORTED <= names


def test_the_kubernetes_manifest_is_valid_and_runs_the_watcher_safely():
    import kubernetes_validate

    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "kplan-watch.yaml").read_text()))
    for doc in docs:
        kubernetes_validate.validate(doc, "1.32", strict=True)
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    kplan = next(c for c in pod["containers"] if c["name"] == "kplan")
    assert pod["securityContext"]["runAsNonRoot"] and kplan["securityContext"]["readOnlyRootFilesystem"]
    assert kplan["args"][0] == "watch" and "--metrics-token-env" in kplan["args"]
    assert kplan["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert kplan["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert all("value" not in e or "TOKEN" not in e["name"] for e in kplan.get("env", ()))  # secrets by reference


def test_the_operator_manifest_is_valid_and_runs_the_cli_image_with_least_rights():
    import kubernetes_validate

    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "kplan-operator.yaml").read_text()))
    for doc in docs:
        kubernetes_validate.validate(doc, "1.32", strict=True)
    watcher = next(d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "kplan-watch.yaml").read_text())
                   if d["kind"] == "Deployment")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (kplan,) = pod["containers"]
    assert kplan["image"] == watcher["spec"]["template"]["spec"]["containers"][0]["image"]  # the CLI's image
    assert kplan["args"][0] == "operator" and pod["securityContext"]["runAsNonRoot"]
    assert kplan["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert kplan["securityContext"]["readOnlyRootFilesystem"]
    rules = {(d["metadata"]["name"], r["apiGroups"][0], res, verb) for d in docs if d["kind"] in ("ClusterRole", "Role")
             for r in d["rules"] for res in r["resources"] for verb in r["verbs"]}
    # nothing that changes a KafkaStack's spec, nor deletes anything; Secrets only where a RoleBinding grants them
    assert not {v for *_, v in rules} & {"delete", "deletecollection", "*"}
    assert {(n, res, v) for n, _, res, v in rules if res.startswith("kafkastacks")} == {
        ("kplan-operator", "kafkastacks", v) for v in ("get", "list", "watch", "patch")} | {
        ("kplan-operator", "kafkastacks/status", v) for v in ("get", "patch")}
    # ConfigMaps read and watched, never written, and only where a RoleBinding grants them
    assert {(n, v) for n, _, res, v in rules if res == "configmaps"} == {
        ("kplan-operator-configmaps", v) for v in ("get", "list", "watch")}
    bindings = [d for d in docs if d["kind"] == "ClusterRoleBinding"]
    assert [b["roleRef"]["name"] for b in bindings] == ["kplan-operator", "kplan-operator-clusters"]
    # KafkaClusters read cluster-wide, never written; the Secrets they name by name only, in a Role
    assert {(n, v) for n, _, res, v in rules if res == "kafkaclusters"} == {
        ("kplan-operator-clusters", v) for v in ("get", "list", "watch")}
    cluster_secrets = next(d for d in docs if d["metadata"]["name"] == "kplan-operator-cluster-secrets"
                           and d["kind"] == "Role")
    assert [(r["resources"], r["verbs"], bool(r["resourceNames"])) for r in cluster_secrets["rules"]] == [
        (["secrets"], ["get", "list", "watch"], True)]  # watched by name: a changed Secret planned again


def test_the_webhook_manifest_is_valid_and_reaches_the_operators_webhook():
    import kubernetes_validate

    operator = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "kplan-operator.yaml").read_text()))
    docs = list(yaml.safe_load_all((DEPLOY / "kubernetes" / "kplan-webhook.yaml").read_text()))
    for doc in docs:
        kubernetes_validate.validate(doc, "1.32", strict=True)
    service = next(d for d in docs if d["kind"] == "Service")
    hooks = next(d for d in docs if d["kind"] == "MutatingWebhookConfiguration")["webhooks"]
    kplan = next(d for d in operator if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    port = next(p for p in kplan["ports"] if p["name"] == service["spec"]["ports"][0]["targetPort"])
    assert kplan["args"][kplan["args"].index("--webhook-addr") + 1] == f"0.0.0.0:{port['containerPort']}"
    from kplan.operator.webhook import CLUSTER_PATH, PATH

    assert [(h["rules"][0]["resources"], h["clientConfig"]["service"]["path"]) for h in hooks] == [
        (["kafkastacks"], PATH), (["kafkaclusters"], CLUSTER_PATH)]
    for hook in hooks:
        assert hook["clientConfig"]["service"]["name"] == service["metadata"]["name"]
        assert hook["failurePolicy"] == "Fail"
