"""The secured Kafka Connect worker: its own Connect cluster (own group.id and storage topics) beside the plain
worker, talking to Kafka through the SASL_SSL listener as its own SCRAM principal, with its REST API on HTTPS
behind basic authentication (Kafka's BasicAuthSecurityRestExtension and PropertyFileLoginModule).

Its config is the plain worker's (same plugin.path, converters and config providers) with the keys of
dev/conf/connect-secure.properties laid over it, so the two cannot drift apart. It is lazy: only
`up(secured=True)` starts it, because every test session would otherwise pay its start. It counts as ready when
`GET /health` answers 200 over HTTPS verified with the generated CA, with the REST credentials.
"""

from __future__ import annotations

import base64
import os
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from .common import HOST, stack_dir
from .dist import dist_dir
from .kafka import BOOTSTRAP, config_changed, java_cmd, rendered, write_config
from .process import Service
from .sasl import ensure_scram_users
from .tls import ca_file, ensure_tls

CONNECT_SECURE_PORT = int(os.environ.get("KPLAN_STACK_CONNECT_SECURE_PORT", "18443"))
CONNECT_SECURE_URL = f"https://{HOST}:{CONNECT_SECURE_PORT}"
CONNECT_USER = "kplan"  # the REST API's basic-auth user (dev-only, like its password)
CONNECT_PASSWORD = "kplan-dev-connect"
NAME = "connect-secure"
CONFIG = "connect-secure.properties"
JAAS = "connect-secure-jaas.conf"
USERS = "connect-secure-users.properties"


def _overlay(base: str, overrides: str) -> str:
    """`base` (a .properties text) without the keys `overrides` sets, then `overrides` as written (its comments
    included): every key appears once, and the secured worker's settings read as one block."""
    replaced = _keys(overrides)
    kept = [line for line in base.splitlines() if _key(line) not in replaced]
    return "\n".join(kept) + "\n\n" + overrides


def _key(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped[0] in "#!" or "=" not in stripped:
        return None
    return stripped.split("=", 1)[0].strip()


def _keys(text: str) -> set[str]:
    return {k for line in text.splitlines() if (k := _key(line)) is not None}


def _expected_configs() -> dict[str, str]:
    """Every file the worker reads, as the templates render them now (name under `<stack dir>/conf/` → text)."""
    extra = {"@CONNECT_SECURE_PORT@": str(CONNECT_SECURE_PORT)}
    dist = dist_dir()
    return {
        CONFIG: _overlay(rendered("connect.properties", dist), rendered(CONFIG, dist, extra)),
        JAAS: rendered(JAAS, dist),
        USERS: f"# the secured Connect worker's REST users (dev-only), written by dev/stack\n"
               f"{CONNECT_USER}={CONNECT_PASSWORD}\n",
    }


def _prepare(dist: Path) -> None:
    ensure_tls()
    # the broker is up by now (it starts first): its SCRAM users exist before the worker logs in as one of them
    ensure_scram_users(BOOTSTRAP)
    for name, text in _expected_configs().items():
        write_config(name, text)


def https_get(path: str, auth: bool = True, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET on the secured worker's REST API over HTTPS verified with the CA, with the REST credentials unless
    `auth` is False: (status, body), status 0 when unreachable."""
    req = urllib.request.Request(CONNECT_SECURE_URL + path)
    if auth:
        token = base64.b64encode(f"{CONNECT_USER}:{CONNECT_PASSWORD}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        context = ssl.create_default_context(cafile=str(ca_file()))
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError, ssl.SSLError):
        return 0, b""


def _ready() -> bool:
    return https_get("/health")[0] == 200


def connect_secure_service() -> Service:
    def command(dist: Path) -> list[str]:
        return java_cmd(dist, worker.marker, "1g", "org.apache.kafka.connect.cli.ConnectDistributed",
                        str(stack_dir() / "conf" / CONFIG),
                        jvm=(f"-Djava.security.auth.login.config={stack_dir() / 'conf' / JAAS}",))

    def outdated() -> str | None:
        return config_changed(_expected_configs())

    worker = Service(NAME, (CONNECT_SECURE_PORT,), _ready, command, _prepare, restart_on_new_dist=True,
                     outdated=outdated)
    return worker

