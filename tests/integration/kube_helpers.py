"""The local stack's Kubernetes API server as the tests call it (the admin's token, or a service account's), the
KafkaStack and KafkaCluster CRDs installed from deploy/kubernetes/crds/, and `kplan operator` run as a local process
against it (no kubelet: as controller test environments do)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "deploy" / "kubernetes" / "crds" / "kafkastacks.kplan.dev.yaml"
CLUSTER_CRD = CRD.parent / "kafkaclusters.kplan.dev.yaml"
CLUSTERS = "/apis/kplan.dev/v1alpha1/kafkaclusters"
OPERATOR = ROOT / "deploy" / "kubernetes" / "kplan-operator.yaml"
STACKS = "/apis/kplan.dev/v1alpha1/namespaces/{ns}/kafkastacks"


class Api:
    def __init__(self, k8s, token: str):
        self.url, self.ca, self.token = k8s.KUBE_URL, str(k8s.ca_file()), token

    def __call__(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if method == "PATCH":
            headers["Content-Type"] = "application/merge-patch+json"
            kw["data"] = json.dumps(kw.pop("json"))
        elif method == "APPLY":  # server-side apply of `data` (YAML)
            method, headers["Content-Type"] = "PATCH", "application/apply-patch+yaml"
        return requests.request(method, self.url + path, headers=headers, verify=self.ca, timeout=60, **kw)

    def kubeconfig(self, path: Path) -> Path:
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "t",
            "clusters": [{"name": "t", "cluster": {"server": self.url, "certificate-authority": self.ca}}],
            "users": [{"name": "t", "user": {"token": self.token}}],
            "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}]}))
        return path


def put(api: Api, path: str, doc: dict) -> None:
    """Create `doc` at `path` (its collection), or replace what is there (a shared, cluster-scoped object that an
    earlier session installed)."""
    name = doc["metadata"]["name"]
    current = api("GET", f"{path}/{name}")
    if current.status_code == 404:
        made = api("POST", path, json=doc)
    else:
        made = api("PUT", f"{path}/{name}", json={**doc, "metadata": {
            **doc["metadata"], "resourceVersion": current.json()["metadata"]["resourceVersion"]}})
    assert made.status_code in (200, 201, 409), made.text[:3000]  # 409: another test installed it meanwhile


def install_crd(api: Api) -> None:
    """The KafkaStack and KafkaCluster CRDs, as shipped."""
    for crd, served in ((CRD, STACKS.format(ns="default")), (CLUSTER_CRD, CLUSTERS)):
        put(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", yaml.safe_load(crd.read_text()))
        deadline = time.monotonic() + 60
        while api("GET", served).status_code != 200:  # served once established
            assert time.monotonic() < deadline, f"{crd.name} was not served within 60 s"
            time.sleep(0.5)


def operator_account(admin: Api, k8s, namespace: str) -> Api:
    """The operator's service account in `namespace`, with the rights deploy/kubernetes/kplan-operator.yaml gives
    it (its ClusterRoles installed as shipped; bound in `namespace` only, the lease's Role there too, but
    kplan-operator-clusters, bound cluster-wide as KafkaClusters are), as an Api with its token."""
    docs = list(yaml.safe_load_all(OPERATOR.read_text()))
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    for doc in docs:
        if doc["kind"] == "ClusterRole":
            put(admin, f"{rbac}/clusterroles", doc)
    lease_role = next(d for d in docs if d["kind"] == "Role")
    assert admin("POST", f"{rbac}/namespaces/{namespace}/roles",
                 json={**lease_role, "metadata": {"name": lease_role["metadata"]["name"]}}).status_code == 201
    account = "kplan-operator"
    assert admin("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts",
                 json={"metadata": {"name": account}}).status_code == 201
    subject = [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]
    for kind, role in (("ClusterRole", "kplan-operator"), ("ClusterRole", "kplan-operator-secrets"),
                       ("ClusterRole", "kplan-operator-configmaps"), ("Role", lease_role["metadata"]["name"])):
        binding = {"metadata": {"name": role}, "subjects": subject,
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}}
        assert admin("POST", f"{rbac}/namespaces/{namespace}/rolebindings", json=binding).status_code == 201
    # KafkaClusters are cluster-scoped: read through a ClusterRoleBinding (deleted with the namespace fixture)
    binding = {"metadata": {"name": cluster_binding(namespace)}, "subjects": subject,
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "kplan-operator-clusters"}}
    assert admin("POST", f"{rbac}/clusterrolebindings", json=binding).status_code == 201
    issued = admin("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{account}/token",
                   json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
    assert issued.status_code == 201, issued.text
    sa = Api(k8s, issued.json()["status"]["token"])
    deadline = time.monotonic() + 30  # the authorizer's cache takes the new bindings in
    while sa("GET", STACKS.format(ns=namespace)).status_code != 200:
        assert time.monotonic() < deadline, "the operator's role bindings did not take effect within 30 s"
        time.sleep(0.5)
    return sa


def cluster_binding(namespace: str) -> str:
    """The ClusterRoleBinding that lets the operator's account of `namespace` read KafkaClusters."""
    return f"kplan-operator-clusters-{namespace}"


def start_operator(kubeconfig: Path, namespace: str, identity: str, workdir: Path, log: Path,
                   lease_s: str = "8s", command: list[str] | None = None,
                   extra: tuple[str, ...] = (), resync: str = "1h") -> subprocess.Popen:
    """`kplan operator` for `namespace` (its lease there too), its output in `log`; `command`: what runs kplan
    (default: this Python's kplan); `extra`: more of its options; `resync`: how often it plans every stack again
    (an hour: never within a test, unless the test is about it)."""
    args = ["operator", *extra, "--kubeconfig", str(kubeconfig), "--namespace", namespace, "--identity", identity,
            "--lease-duration", lease_s, "--resync", resync, "--workdir", str(workdir),
            "--metrics-addr", "127.0.0.1:0"]
    out = log.open("ab")
    return subprocess.Popen([*(command or [sys.executable, "-m", "kplan"]), *args], stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def metric(log: Path, name: str) -> float | None:
    """A sample of the operator's /metrics (its address as its log says it), None before it serves."""
    found = re.search(r"metrics on (http://\S+/metrics)", log.read_text())
    if not found:
        return None
    text = requests.get(found.group(1), timeout=10).text
    value = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(value.group(1)) if value else None


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
