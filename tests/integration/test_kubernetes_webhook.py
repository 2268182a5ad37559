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
from kube_helpers import OPERATOR, STACKS, Api, operator_account, start_operator, stop

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


def install_webhook(admin: Api, kubernetes, namespace: str, url: str) -> str:
    """The shipped configuration, for `namespace` only, calling `url`; its name."""
    doc = next(d for d in yaml.safe_load_all(SHIPPED.read_text()) if d["kind"] == "MutatingWebhookConfiguration")
    name = f"kplan-operator-{namespace}"[:253]
    (hook,) = doc["webhooks"]
    hook["clientConfig"] = {"url": url, "caBundle": base64.b64encode(kubernetes.ca_file().read_bytes()).decode()}
    hook["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
    made = admin("POST", WEBHOOKS, json={**doc, "metadata": {**doc["metadata"], "name": name}})
    assert made.status_code == 201, made.text
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


def kafkastack(name: str, spec: dict) -> dict:
    return {"apiVersion": "kplan.dev/v1alpha1", "kind": "KafkaStack", "metadata": {"name": name}, "spec": spec}


def test_a_spec_kplan_refuses_is_refused_by_the_api_server_with_kplans_message(
        admin_api, kubernetes, namespace, stack, unique, tmp_path):
    sa = operator_account(admin_api, kubernetes, namespace)
    tls = kubernetes.tls_dir()
    log = tmp_path / "operator.log"
    op = start_operator(sa.kubeconfig(tmp_path / "kubeconfig"), namespace, "only", tmp_path / "work", log,
                        extra=("--webhook-addr", "127.0.0.1:0", "--webhook-cert", str(tls / "server.pem"),
                               "--webhook-key", str(tls / "server.key")))
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
