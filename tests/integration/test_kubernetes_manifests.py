"""Every manifest shipped under deploy/kubernetes (the CRDs, the operator's, the watcher's, the webhook's) applied to
the local stack's real API server as a server-side dry run (`kubectl apply --server-side --dry-run=server
--validate=strict`): the server takes each object as written, with its own schemas, admission and RBAC checks, and
persists nothing. Namespaced objects are put in the test's own namespace (their namespaces, kplan-system and
kafka-stacks, are the user's to create)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").rglob("*.yaml"))


def resources(api, api_version: str) -> dict[str, tuple[str, bool]]:
    """kind -> (its resource's name, whether it is namespaced), from the API server's discovery."""
    found = api("GET", f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}")
    assert found.status_code == 200, (api_version, found.text[:300])
    return {r["kind"]: (r["name"], r["namespaced"]) for r in found.json()["resources"] if "/" not in r["name"]}


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[str(p.relative_to(ROOT / "deploy" / "kubernetes"))
                                                     for p in MANIFESTS])
def test_every_shipped_manifest_is_taken_by_the_api_server_in_a_server_side_dry_run(admin_api, namespace, manifest):
    docs = [d for d in yaml.safe_load_all(manifest.read_text()) if d]
    assert docs
    for doc in docs:
        version, kind, name = doc["apiVersion"], doc["kind"], doc["metadata"]["name"]
        plural, namespaced = resources(admin_api, version)[kind]
        base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
        if namespaced:
            doc = {**doc, "metadata": {**doc["metadata"], "namespace": namespace}}
            base += f"/namespaces/{namespace}"
        answer = admin_api("APPLY", f"{base}/{plural}/{name}", data=yaml.safe_dump(doc),
                           params={"dryRun": "All", "fieldManager": "kplan-manifest-test", "force": "true",
                                   "fieldValidation": "Strict"})
        assert answer.status_code in (200, 201), f"{manifest.name}: {kind} {name}: {answer.text[:2000]}"
        assert answer.json()["kind"] == kind
