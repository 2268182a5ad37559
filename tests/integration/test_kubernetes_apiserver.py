"""The local stack's Kubernetes API server (`dev/stack up --kubernetes`: kube-apiserver on kine, built from their Go
modules) is a real one: it authenticates tokens, authorizes by RBAC, takes a custom resource definition, refuses a
custom resource that breaks its schema with a 422 naming the field, stores a valid one, and issues a service
account's token that has only its roles' rights. What kplan's operator (issue 73) is tested against."""

from __future__ import annotations

import time
import uuid

import pytest
import requests


class Api:
    def __init__(self, k8s, token: str):
        self.url, self.ca, self.token = k8s.KUBE_URL, str(k8s.ca_file()), token

    def __call__(self, method: str, path: str, **kw) -> requests.Response:
        return requests.request(method, self.url + path, headers={"Authorization": f"Bearer {self.token}"},
                                verify=self.ca, timeout=30, **kw)


@pytest.fixture
def admin(kubernetes):
    return Api(kubernetes, kubernetes.admin_token())


def crd(group: str) -> dict:
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"widgets.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                         "type": "object", "properties": {"spec": {
                             "type": "object", "required": ["partitions"],
                             "properties": {"partitions": {"type": "integer", "minimum": 1}}}}}}}]}}


def established(admin: Api, name: str) -> bool:
    got = admin("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}").json()
    conditions = got.get("status", {}).get("conditions", [])
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def test_tokens_rbac_a_crd_and_its_schema(admin, kubernetes):
    assert admin("GET", "/readyz").status_code == 200
    assert Api(kubernetes, "not-a-token")("GET", "/api/v1/namespaces").status_code == 401

    group = f"t{uuid.uuid4().hex[:8]}.kplan.dev"
    made = admin("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd(group))
    assert made.status_code == 201, made.text
    deadline = time.monotonic() + 60
    while not established(admin, f"widgets.{group}"):
        assert time.monotonic() < deadline, "the CRD was not established within 60 s"
        time.sleep(0.5)
    try:
        path = f"/apis/{group}/v1/namespaces/default/widgets"
        bad = admin("POST", path, json={"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "bad"},
                                        "spec": {"partitions": 0}})
        assert bad.status_code == 422, bad.text
        assert "spec.partitions" in bad.json()["message"], bad.json()["message"]
        good = admin("POST", path, json={"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "good"},
                                         "spec": {"partitions": 3}})
        assert good.status_code == 201, good.text
        assert admin("GET", f"{path}/good").json()["spec"] == {"partitions": 3}

        account = f"sa-{uuid.uuid4().hex[:6]}"
        assert admin("POST", "/api/v1/namespaces/default/serviceaccounts",
                     json={"metadata": {"name": account}}).status_code == 201
        issued = admin("POST", f"/api/v1/namespaces/default/serviceaccounts/{account}/token",
                       json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}})
        assert issued.status_code == 201, issued.text
        sa = Api(kubernetes, issued.json()["status"]["token"])
        assert sa("GET", path).status_code == 403  # no role yet
        role = {"metadata": {"name": account}, "rules": [
            {"apiGroups": [group], "resources": ["widgets"], "verbs": ["get", "list"]}]}
        rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default"
        assert admin("POST", f"{rbac}/roles", json=role).status_code == 201
        binding = {"metadata": {"name": account}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                                             "name": account},
                   "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": "default"}]}
        assert admin("POST", f"{rbac}/rolebindings", json=binding).status_code == 201
        deadline = time.monotonic() + 30  # the authorizer's cache takes the new binding in
        while sa("GET", path).status_code != 200:
            assert time.monotonic() < deadline, "the role binding did not take effect within 30 s"
            time.sleep(0.5)
        assert [w["metadata"]["name"] for w in sa("GET", path).json()["items"]] == ["good"]
        assert sa("DELETE", f"{path}/good").status_code == 403  # get and list only
    finally:
        admin("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}")
