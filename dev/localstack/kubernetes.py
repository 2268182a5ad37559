"""A real Kubernetes API server for the local stack, without a container runtime: Kubernetes' own `kube-apiserver`
with `kine` (the etcd API on SQLite) as its storage, both built once per machine from the Go module proxy into the
build cache (buildcache.py: ~/.m2/kplan/) and started lazily, like the forge: only `dev/stack up --kubernetes` (or
`--only kubernetes`, or the tests' `kubernetes` fixture) starts them. No kubelet runs: what talks to the API server
(kplan's operator, the tests) runs as a local process, as controller test environments do.

Built from:
- `github.com/k3s-io/kine` at KINE_VERSION with `go install`;
- `k8s.io/kubernetes` at KUBERNETES_VERSION: its module zip has no staging tree, so its source is copied out of the
  module cache, its `k8s.io/X => ./staging/src/k8s.io/X` replace lines are rewritten to the published `k8s.io/X`
  modules at STAGING_VERSION, its go.work removed, and `./cmd/kube-apiserver` built with the module mode on.

At each start (`prepare`), under `<stack dir>/kubernetes/`, made once per data directory: the serving certificate
(signed by the stack's dev CA, tls.py, for 127.0.0.1 and localhost), the service-account signing key pair, and a
static token of the administrator (`system:masters`) in tokens.csv, written to `admin-token` and to `kubeconfig`
(what `kubectl --kubeconfig` and the Python client read). RBAC is on: a service account's token (the TokenRequest
API, `service_account_token` in the tests) has only the rights its roles give it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from .buildcache import cached, check_tool, module_source, run_build
from .common import HOST, LocalStackError, say, stack_dir
from .process import Service, cmdline_of
from .tls import ca_file, ensure_tls, tls_dir

KINE, APISERVER = "kine", "kube-apiserver"
KINE_MODULE, KINE_VERSION = "github.com/k3s-io/kine", "0.17.5"
KUBERNETES_MODULE, KUBERNETES_VERSION, STAGING_VERSION = "k8s.io/kubernetes", "1.37.2", "0.37.2"
KINE_PORT = int(os.environ.get("KPLAN_STACK_KINE_PORT", "12379"))
KUBE_PORT = int(os.environ.get("KPLAN_STACK_KUBE_PORT", "16443"))
KUBE_URL = f"https://{HOST}:{KUBE_PORT}"
ADMIN = "kplan-admin"
SERVICE_RANGE = "10.0.0.0/24"  # required by kube-apiserver; nothing is routed: no kubelet, no proxy
# kube-apiserver answers /readyz in ~25 s on an idle machine (its post-start hooks: the RBAC bootstrap roles)
START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_KUBE_TIMEOUT", "180"))
_STAGING = re.compile(r"^(\s*)(k8s\.io/[A-Za-z0-9_.-]+) => \./staging/src/k8s\.io/[A-Za-z0-9_.-]+\s*$", re.M)


def _go() -> str:
    return check_tool("go", "the Kubernetes API server and kine are built from their Go modules",
                      "install Go 1.26 or newer (https://go.dev/dl/) or leave --kubernetes out")


def kine_dir() -> Path:
    """The cached build of kine, built first on a machine that has none (~6 minutes on 2 cores)."""
    return cached(f"kine-{KINE_VERSION}", "kine", _build_kine)


def _build_kine(out: Path) -> None:
    log = stack_dir() / "logs" / "kubernetes-build.log"
    say(f"building kine {KINE_VERSION} from its Go module (once per machine; log: {log})")
    run_build(f"kine {KINE_VERSION}", [_go(), "install", f"{KINE_MODULE}@v{KINE_VERSION}"], log,
              env={"GOBIN": str(out)})


def _apiserver_name() -> str:
    key = hashlib.sha256(json.dumps([KUBERNETES_VERSION, STAGING_VERSION]).encode()).hexdigest()[:12]
    return f"kube-apiserver-{KUBERNETES_VERSION}-{key}"


def apiserver_dir() -> Path:
    """The cached build of kube-apiserver (~5 minutes with a warm Go cache, far longer on a cold one)."""
    return cached(_apiserver_name(), APISERVER, _build_apiserver)


def staged(go_mod: str) -> str:
    """go.mod with its replace lines to the staging tree (absent from the module zip) pointed at the published
    modules instead; a LocalStackError when there are none (a layout this does not know)."""
    rewritten, count = _STAGING.subn(rf"\1\2 => \2 v{STAGING_VERSION}", go_mod)
    if count == 0:
        raise LocalStackError(f"{KUBERNETES_MODULE} v{KUBERNETES_VERSION}'s go.mod has no staging replace lines")
    return rewritten


def _build_apiserver(out: Path) -> None:
    go = _go()
    log = stack_dir() / "logs" / "kubernetes-build.log"
    say(f"building kube-apiserver {KUBERNETES_VERSION} from its Go module (once per machine; log: {log})")
    src = module_source(go, KUBERNETES_MODULE, KUBERNETES_VERSION, out / "src")
    (src / "go.mod").write_text(staged((src / "go.mod").read_text()))
    for name in ("go.work", "go.work.sum"):
        (src / name).unlink(missing_ok=True)
    run_build(f"kube-apiserver {KUBERNETES_VERSION}", [go, "build", "-o", str(out / APISERVER),
                                                       "./cmd/kube-apiserver"], log, cwd=src,
              env={"GOWORK": "off", "GOFLAGS": "-mod=mod"})
    shutil.rmtree(src)


def home() -> Path:
    return stack_dir() / "kubernetes"


def kubeconfig() -> Path:
    return home() / "kubeconfig"


def admin_token_file() -> Path:
    return home() / "admin-token"


def admin_token() -> str:
    try:
        return admin_token_file().read_text().strip()
    except OSError:
        raise LocalStackError(f"the API server has no admin token yet ({admin_token_file()}): "
                              "`dev/stack up --kubernetes` makes it") from None


def _openssl(*args: str) -> None:
    proc = subprocess.run(["openssl", *args], cwd=home(), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise LocalStackError(f"openssl {args[0]} failed: {proc.stderr.strip()[-800:]}")


def _prepare() -> None:
    """The keys, the serving certificate, the admin's token and the kubeconfig, each made once per data directory."""
    ensure_tls()
    home().mkdir(parents=True, exist_ok=True)
    if not (home() / "sa.key").exists():
        _openssl("genrsa", "-out", "sa.key.partial", "2048")
        _openssl("rsa", "-in", "sa.key.partial", "-pubout", "-out", "sa.pub")
        (home() / "sa.key.partial").rename(home() / "sa.key")
    if not (home() / "serving.crt").exists():
        (home() / "serving.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                                            "extendedKeyUsage = serverAuth\n")
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=kplan dev/CN=kube-apiserver",
                 "-keyout", "serving.key", "-out", "serving.csr")
        _openssl("x509", "-req", "-in", "serving.csr", "-CA", str(ca_file()), "-CAkey", str(tls_dir() / "ca.key"),
                 "-CAcreateserial", "-days", "825", "-sha256", "-extfile", "serving.ext", "-out", "serving.crt.partial")
        (home() / "serving.crt.partial").rename(home() / "serving.crt")
    if not admin_token_file().exists():
        token = secrets.token_hex(24)
        (home() / "tokens.csv").write_text(f'{token},{ADMIN},{ADMIN},"system:masters"\n')
        admin_token_file().write_text(token + "\n")
        for f in ("tokens.csv", "admin-token", "sa.key", "serving.key"):
            (home() / f).chmod(0o600)
    kubeconfig().write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "kplan-local",
        "clusters": [{"name": "kplan-local", "cluster": {"server": KUBE_URL, "certificate-authority": str(ca_file())}}],
        "users": [{"name": ADMIN, "user": {"token": admin_token()}}],
        "contexts": [{"name": "kplan-local", "context": {"cluster": "kplan-local", "user": ADMIN}}]}, indent=1) + "\n")
    kubeconfig().chmod(0o600)


def _kine_ready() -> bool:
    import socket

    try:
        with socket.create_connection((HOST, KINE_PORT), timeout=2):
            return True
    except OSError:
        return False


def _ready() -> bool:
    """/readyz answers ok to the admin (every post-start hook done: the bootstrap RBAC roles exist)."""
    try:
        request = urllib.request.Request(f"{KUBE_URL}/readyz", headers={"Authorization": f"Bearer {admin_token()}"})
        context = ssl.create_default_context(cafile=str(ca_file()))
        with urllib.request.urlopen(request, timeout=3, context=context) as r:
            return r.status == 200
    except (OSError, urllib.error.URLError, LocalStackError):
        return False


def kine_service() -> Service:
    def command(dist: Path) -> list[str]:
        db = home() / "kine" / "state.db"
        db.parent.mkdir(parents=True, exist_ok=True)
        return [str(kine_dir() / "kine"), "--endpoint", f"sqlite://{db}?_journal=WAL&cache=shared",
                "--listen-address", f"{HOST}:{KINE_PORT}",
                "--metrics-bind-address", "0"]  # off: its default, :8080 on every address, is one port per machine

    return Service(KINE, (KINE_PORT,), _kine_ready, command, marker_text=f"{HOST}:{KINE_PORT}")


def apiserver_service() -> Service:
    def command(dist: Path) -> list[str]:
        h = home()
        return [str(apiserver_dir() / APISERVER), f"--etcd-servers=http://{HOST}:{KINE_PORT}",
                f"--secure-port={KUBE_PORT}", f"--bind-address={HOST}",
                # no Service `kubernetes` endpoint to keep: nothing runs in the cluster (and a loopback address is
                # refused as one)
                "--endpoint-reconciler-type=none",
                f"--tls-cert-file={h / 'serving.crt'}", f"--tls-private-key-file={h / 'serving.key'}",
                f"--token-auth-file={h / 'tokens.csv'}", "--authorization-mode=RBAC",
                f"--service-account-key-file={h / 'sa.pub'}", f"--service-account-signing-key-file={h / 'sa.key'}",
                "--service-account-issuer=https://kubernetes.default.svc",
                f"--service-cluster-ip-range={SERVICE_RANGE}", f"--cert-dir={h / 'certs'}"]

    def outdated() -> str | None:
        pid = svc.pid()
        if pid is not None and f"/{_apiserver_name()}/{APISERVER} " not in cmdline_of(pid):
            return f"runs another build than kube-apiserver {KUBERNETES_VERSION}'s; restarting it"
        return None

    svc = Service(APISERVER, (KUBE_PORT,), _ready, command, lambda dist: _prepare(),
                  marker_text=f"--secure-port={KUBE_PORT}", outdated=outdated)
    return svc


def services() -> tuple[Service, Service]:
    return kine_service(), apiserver_service()


def up(timeout_s: float = START_TIMEOUT_S) -> bool:
    """Start kine, then the API server, unless they run and are healthy (building them first on a machine that has
    none); True when the API server was started."""
    kine_dir(), apiserver_dir()  # built before anything starts: a build is minutes, a start is seconds
    _prepare()
    kine_service().start_alone(60.0, f" (kine {KINE_VERSION})")
    if not apiserver_service().start_alone(timeout_s, f" (Kubernetes {KUBERNETES_VERSION})"):
        return False
    say(f"kubernetes: API server {KUBE_URL} (kubeconfig {kubeconfig()}; the admin's token in {admin_token_file()})")
    return True


def down() -> None:
    """The API server first: it writes to kine until it stops."""
    apiserver_service().stop()
    kine_service().stop()
