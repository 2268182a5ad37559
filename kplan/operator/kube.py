"""The Kubernetes API, as the operator uses it: a few REST calls over requests (kplan's own dependency), the
credentials from a kubeconfig or, inside a pod, from the service account's mounted token. Every failure is a
KubeError: the HTTP status and the API server's one-line message (never the token)."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import requests
import yaml

from kplan.errors import KplanError

IN_CLUSTER = Path("/var/run/secrets/kubernetes.io/serviceaccount")
GROUP, VERSION, PLURAL = "kplan.dev", "v1alpha1", "kafkastacks"


class KubeError(KplanError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Config:
    server: str
    token: str
    ca: str | bool  # a CA file, or True (the system's)


def load_config(kubeconfig: str | None) -> Config:
    """From `kubeconfig` (or $KUBECONFIG), else the pod's service account; a token user only (what the operator's
    service account and the local stack's kubeconfig are)."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    if not path:
        if not (IN_CLUSTER / "token").is_file():
            raise KplanError("no Kubernetes credentials: pass --kubeconfig FILE (or set KUBECONFIG), or run in a pod "
                             "with a service account token")
        host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        return Config(f"https://{host}:{port}", (IN_CLUSTER / "token").read_text().strip(), str(IN_CLUSTER / "ca.crt"))
    try:
        doc = yaml.safe_load(Path(path).read_text())
        context = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
        cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in doc["users"] if u["name"] == context["user"])
    except (OSError, yaml.YAMLError, KeyError, StopIteration, TypeError) as e:
        raise KplanError(f"{path}: not a kubeconfig kplan can read ({type(e).__name__}: {e}); it needs "
                         "current-context, its cluster's server and a user with a token") from None
    token = user.get("token") or (Path(user["tokenFile"]).read_text().strip() if user.get("tokenFile") else None)
    if not token:
        raise KplanError(f"{path}: the current context's user has no token (kplan's operator authenticates with a "
                         "bearer token: a service account's)")
    ca: str | bool = cluster.get("certificate-authority") or True
    if cluster.get("certificate-authority-data"):
        f = tempfile.NamedTemporaryFile("wb", suffix=".crt", delete=False)
        f.write(base64.b64decode(cluster["certificate-authority-data"]))
        f.close()
        ca = f.name
    return Config(cluster["server"].rstrip("/"), token, ca)


class Kube:
    def __init__(self, config: Config, timeout_s: float = 30.0) -> None:
        self.config, self.timeout_s = config, timeout_s
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {config.token}"

    def call(self, method: str, path: str, *, body: Any = None, params: dict | None = None,
             content_type: str = "application/json", ok_missing: bool = False) -> Any:
        """The JSON answer; None for a 404 when `ok_missing`; else a KubeError."""
        data = None if body is None else json.dumps(body)
        try:
            r = self.http.request(method, self.config.server + path, data=data, params=params,
                                  timeout=self.timeout_s, headers={"Content-Type": content_type},
                                  verify=self.config.ca)  # per request: a session's is overridden by the environment
        except requests.RequestException as e:
            raise KubeError(0, f"the Kubernetes API server {self.config.server} did not answer: "
                               f"{type(e).__name__}") from None
        if r.status_code == 404 and ok_missing:
            return None
        if r.status_code >= 400:
            try:
                message = r.json().get("message", r.text[:300])
            except ValueError:
                message = r.text[:300]
            raise KubeError(r.status_code, f"{method} {path}: {r.status_code} {message}")
        return r.json() if r.content else None

    def merge_patch(self, path: str, body: Any) -> Any:
        return self.call("PATCH", path, body=body, content_type="application/merge-patch+json")

    def watch(self, path: str, resource_version: str, timeout_s: int) -> Iterator[dict]:
        """The watch events after `resource_version` (bookmarks included), until the server ends the watch."""
        params = {"watch": "1", "resourceVersion": resource_version, "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(timeout_s)}
        try:
            with self.http.get(self.config.server + path, params=params, stream=True,
                               timeout=(self.timeout_s, timeout_s + 30), verify=self.config.ca) as r:
                if r.status_code >= 400:
                    raise KubeError(r.status_code, f"watch {path}: {r.status_code} {r.text[:300]}")
                for line in r.iter_lines():
                    if line:
                        yield json.loads(line)
        except requests.RequestException as e:
            raise KubeError(0, f"the watch of {path} broke: {type(e).__name__}") from None


def stacks_path(namespace: str | None, name: str | None = None) -> str:
    base = f"/apis/{GROUP}/{VERSION}" + (f"/namespaces/{namespace}" if namespace else "") + f"/{PLURAL}"
    return base + (f"/{name}" if name else "")


def clusters_path(name: str | None = None) -> str:
    """KafkaClusters (cluster-scoped), or one of them."""
    return f"/apis/{GROUP}/{VERSION}/kafkaclusters" + (f"/{name}" if name else "")
