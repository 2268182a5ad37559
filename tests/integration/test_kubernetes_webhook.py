"""The KafkaStack admission webhook (`kplan operator --webhook-addr`, deploy/kubernetes/kplan-webhook.yaml) on the
local stack's real API server: a spec kplan refuses is refused by the API server with kplan's own lines (what `kplan
validate` prints of the same spec, the spec's field paths in place of file:line), whether the CRD's schema would have
refused it too or not; a valid spec is admitted, with kplan's warnings; what changes no spec (an annotation, the
finalizer) passes while the webhook is down. The webhook configuration is the shipped one, pointed at the local
process by `url` (no Service: nothing runs in the cluster) and limited to the test's namespace; its certificate is the
stack's server certificate, signed by the launcher's CA (the caBundle)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time

import yaml
from kplan_helpers import wait_for
from kube_helpers import CLUSTERS, OPERATOR, STACKS, Api, operator_account, start_operator, stop

WEBHOOKS = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
SHIPPED = OPERATOR.parent / "kplan-webhook.yaml"


def webhook_url(log, process) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = re.search(r"admission webhook on (https://\S+)", log.read_text())
        if found:
            return found.group(1)
        assert process.poll() is None, log.read_text()
        time.sleep(0.3)
    raise AssertionError(f"the webhook's address was not logged: {log.read_text()}")


def install_webhook(admin: Api, kubernetes, namespace: str, url: str, label: dict | None = None) -> str:
    """The shipped configuration calling the local process (`url`: its KafkaStack path): the KafkaStack hook for
    `namespace` only; the KafkaCluster hook, when `label`, for the KafkaClusters with that label only (else left out:
    KafkaClusters are cluster-scoped, and other tests' would reach this one); its name."""
    doc = next(d for d in yaml.safe_load_all(SHIPPED.read_text()) if d["kind"] == "MutatingWebhookConfiguration")
    name = f"kplan-operator-{namespace}"[:253]
    ca = base64.b64encode(kubernetes.ca_file().read_bytes()).decode()
    for hook in doc["webhooks"]:
        hook["clientConfig"] = {"url": url.rsplit("/", 1)[0] + hook["clientConfig"]["service"]["path"], "caBundle": ca}
        if hook["name"] == "kafkastacks.kplan.dev":
            hook["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
        else:
            hook["objectSelector"] = {"matchLabels": label or {}}
    doc["webhooks"] = [h for h in doc["webhooks"] if h["name"] == "kafkastacks.kplan.dev" or label]
    made = admin("POST", WEBHOOKS, json={**doc, "metadata": {**doc["metadata"], "name": name}})
    assert made.status_code == 201, made.text
    # the API server takes a new configuration in from its watch, a moment after the POST (seconds on a loaded
    # machine): a dry run that only the webhook refuses (a topic twice; a KafkaCluster's timeout) says when it is in
    twice = {"stack": "probe", "cluster": {"bootstrap_servers": "kafka:9092"}, "topics": [{"name": "p"}, {"name": "p"}]}
    probes = [(STACKS.format(ns=namespace), {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack",
                                             "metadata": {"name": "probe"}, "spec": twice})]
    if label:
        probes.append((CLUSTERS, {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaCluster",
                                  "metadata": {"name": f"probe-{namespace}"[:63], "labels": label},
                                  "spec": {"bootstrap_servers": "kafka:9092", "timeout": "banana"}}))
    for path, resource in probes:
        wait_for(lambda path=path, resource=resource: "admission webhook" in admin(
            "POST", path, params={"dryRun": "All"}, json=resource).text, 60,
                 f"the webhook configuration {name} taken in by the API server")
    return name


def kplan_validate(spec: dict, tmp_path) -> list[str]:
    """`kplan validate`'s lines about `spec` written as a stack file (indented JSON, as the operator writes it), the
    file's name said FILE."""
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps(spec, indent=1) + "\n")
    out = subprocess.run([sys.executable, "-m", "kplan", "validate", "-q", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    return out.stdout.replace(str(path), "FILE").splitlines()


def operator_with_webhook(admin_api, kubernetes, namespace: str, tmp_path, log):
    """`kplan operator` with the shipped rights in `namespace`, serving the webhook (the stack's server certificate)."""
    sa = operator_account(admin_api, kubernetes, namespace)
    tls = kubernetes.tls_dir()
    return start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work", log,
                          extra=("--webhook-addr", "127.0.0.1:0", "--webhook-cert", str(tls / "server.pem"),
                                 "--webhook-key", str(tls / "server.key")))


def kafkastack(name: str, spec: dict) -> dict:
    return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": name}, "spec": spec}


def test_a_spec_kplan_refuses_is_refused_by_the_api_server_with_kplans_message(
        admin_api, kubernetes, namespace, stack, unique, tmp_path):
    log = tmp_path / "operator.log"
    op = operator_with_webhook(admin_api, kubernetes, namespace, tmp_path, log)
    path = STACKS.format(ns=namespace)
    prefix = unique("wh")
    base = {"stack": prefix, "cluster": {"bootstrap_servers": stack.bootstrap_servers},
            "defaults": {"topic": {"partitions": 1, "replication_factor": 1}}}
    hook = None
    try:
        hook = install_webhook(admin_api, kubernetes, namespace, webhook_url(log, op))
        # one topic twice: the CRD's schema takes it, kplan does not
        twice = {**base, "topics": [{"name": f"{prefix}.t"}, {"name": f"{prefix}.t"}]}
        # a topic without a name: the CRD's schema refuses it too, and would say it in the API server's words
        # (`spec.topics[0].name: Required value`) had kplan's check not come first
        nameless = {**base, "topics": [{"partitions": 2}]}
        for name, spec, hooked, validated in (
                ("twice", twice, f'spec.topics[1]: duplicate topic "{prefix}.t": the topic collides with the topic at '
                                 'spec.topics[0]',
                 f'FILE:16:3: topics[1]: duplicate topic "{prefix}.t": the topic collides with the topic at FILE:13'),
                ("nameless", nameless, 'spec.topics[0]: missing required key "name"',
                 'FILE:13:3: topics[0]: missing required key "name"')):
            refused = admin_api("POST", path, json=kafkastack(name, spec))
            assert refused.status_code == 422, refused.text
            message = refused.json()["message"]
            assert message == f'admission webhook "kafkastacks.kplan.dev" denied the request: {hooked}', message
            assert kplan_validate(spec, tmp_path) == [validated]  # the same finding, where a file has lines
            assert admin_api("GET", f"{path}/{name}").status_code == 404

        admitted = admin_api("POST", path, json=kafkastack("good", {**base, "topics": [{"name": f"{prefix}.t"}]}))
        assert admitted.status_code == 201, admitted.text
        # a spec changed to one kplan refuses: refused too, the stored one kept
        changed = admin_api("PATCH", f"{path}/good", json={"spec": {"topics": [{"name": f"{prefix}.t"}] * 2}})
        assert changed.status_code == 422 and "duplicate topic" in changed.json()["message"], changed.text
        assert len(admin_api("GET", f"{path}/good").json()["spec"]["topics"]) == 1

        # the webhook down (failurePolicy Fail): no spec is written unchecked, what changes no spec still is
        stop(op)
        down = admin_api("POST", path, json=kafkastack("later", {**base, "topics": [{"name": f"{prefix}.v"}]}))
        assert down.status_code == 500 and "kafkastacks.kplan.dev" in down.json()["message"], down.text
        noted = admin_api("PATCH", f"{path}/good", json={"metadata": {
            "annotations": {"kplan.dev/approve": "sha256:x"}, "finalizers": None}})
        assert noted.status_code == 200, noted.text
    finally:
        stop(op)
        if hook:
            admin_api("DELETE", f"{WEBHOOKS}/{hook}")
        for name in ("good", "later"):
            admin_api("DELETE", f"{path}/{name}")


def test_a_kafkacluster_or_a_stack_naming_one_that_kplan_refuses_is_refused_with_kplans_message(
        admin_api, kubernetes, namespace, unique, tmp_path):
    """A KafkaCluster's spec is a stack file's `cluster:` section: one kplan refuses is refused by the API server with
    what `kplan validate` says of that section (its `cluster` said as the KafkaCluster's `spec`), also where the
    CRD's schema would have said it in the API server's words (a missing bootstrap_servers); a KafkaStack naming a
    KafkaCluster is checked with its connection, and refused with kplan's line. The KafkaCluster webhook is limited
    to this test's KafkaClusters by a label (they are cluster-scoped: a namespace selector does not apply)."""
    log = tmp_path / "operator.log"
    op = operator_with_webhook(admin_api, kubernetes, namespace, tmp_path, log)
    label = {"kplan.dev/test": namespace}
    prefix, name = unique("whc"), unique("whc").lower()
    hook, made = None, []

    def kafkacluster(spec: dict, cluster: str = name) -> dict:
        return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaCluster",
                "metadata": {"name": cluster, "labels": label}, "spec": spec}

    try:
        hook = install_webhook(admin_api, kubernetes, namespace, webhook_url(log, op), label)
        good = {"bootstrap_servers": "kafka:9092", "client": {"sasl.password": "${secret:env:KAFKA_PASSWORD}"},
                "secrets": {"KAFKA_PASSWORD": {"name": "creds", "namespace": namespace, "key": "password"}}}
        for spec, hooked in (
                ({**good, "schema_registry": {"ca": "ca.pem"}}, 'spec.schema_registry: missing required key "url"'),
                ({**good, "timeout": "banana"}, "spec.timeout: invalid duration 'banana': use e.g. 500ms, 30s, 15m, "
                                                "12h, 7d, 2w or a number of milliseconds"),
                ({**good, "connect_url": 12}, "spec.connect_url: must be a string (got integer 12)"),
                # the CRD's schema says `spec.bootstrap_servers: Required value` without the webhook
                ({k: v for k, v in good.items() if k != "bootstrap_servers"},
                 "spec: cluster.bootstrap_servers is not set (host:port of the Kafka brokers)")):
            refused = admin_api("POST", CLUSTERS, json=kafkacluster(spec))
            assert refused.status_code == 422, refused.text
            message = refused.json()["message"]
            assert message == f'admission webhook "kafkaclusters.kplan.dev" denied the request: {hooked}', message
            section = {k: v for k, v in spec.items() if k != "secrets"}
            (validated,) = kplan_validate({"stack": prefix, "cluster": section}, tmp_path)
            assert re.sub(r"^FILE:\d+:\d+: cluster", "spec", validated) == hooked, validated  # the same finding
            assert admin_api("GET", f"{CLUSTERS}/{name}").status_code == 404

        admitted = admin_api("POST", CLUSTERS, json=kafkacluster(good))
        assert admitted.status_code == 201, admitted.text
        made.append(name)
        changed = admin_api("PATCH", f"{CLUSTERS}/{name}", json={"spec": {"timeout": "banana"}})
        assert changed.status_code == 422 and "spec.timeout: invalid duration 'banana'" in changed.json()["message"]
        assert "timeout" not in admin_api("GET", f"{CLUSTERS}/{name}").json()["spec"]

        # a stack naming it: checked with its connection, refused with kplan's line
        spec = {"stack": prefix, "clusterRef": {"name": name},
                "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
                "topics": [{"name": f"{prefix}.t"}, {"name": f"{prefix}.t"}]}
        refused = admin_api("POST", STACKS.format(ns=namespace), json=kafkastack("twice", spec))
        assert refused.status_code == 422, refused.text
        hooked = (f'spec.topics[1]: duplicate topic "{prefix}.t": the topic collides with the topic at '
                  "spec.topics[0]")
        assert refused.json()["message"] == f'admission webhook "kafkastacks.kplan.dev" denied the request: {hooked}'
        inline = {**{k: v for k, v in spec.items() if k != "clusterRef"},
                  "cluster": {k: v for k, v in good.items() if k != "secrets"}}  # as the operator writes it
        (validated,) = kplan_validate(inline, tmp_path)
        assert re.fullmatch(rf'FILE:\d+:3: topics\[1\]: duplicate topic "{re.escape(prefix)}\.t": the topic collides '
                            r"with the topic at FILE:\d+", validated), validated
    finally:
        stop(op)
        if hook:
            admin_api("DELETE", f"{WEBHOOKS}/{hook}")
        for cluster in made:
            admin_api("DELETE", f"{CLUSTERS}/{cluster}")
