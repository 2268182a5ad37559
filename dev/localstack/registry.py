"""The schema registry of the stack: Apicurio Registry, a Quarkus app run from `<dist>/registry/` (laid out by
Maven from dev/pom.xml), with its Confluent-compatible API at REGISTRY_URL (`/apis/ccompat/v7`).

It counts as ready when `GET /subjects` answers 200 (~6 s after start). Its storage is an in-memory database: a
restart loses every subject, schema and level. Apicurio's default global compatibility is NONE, so after each start
the launcher sets BACKWARD, Confluent's default, so that the local stack checks schemas as a Confluent registry would.
Nothing else in the stack needs it to start (Debezium's Avro converter reaches it only when a connector uses it).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from .common import HOST, JIT, LocalStackError
from .dist import pom_versions
from .kafka import check_java
from .process import Service

REGISTRY_PORT = int(os.environ.get("KPLAN_STACK_REGISTRY_PORT", "18081"))
REGISTRY_URL = f"http://{HOST}:{REGISTRY_PORT}/apis/ccompat/v7"  # the Confluent-compatible API
REGISTRY_V3_URL = f"http://{HOST}:{REGISTRY_PORT}/apis/registry/v3"  # Apicurio's own API (its converters use it)
GLOBAL_COMPATIBILITY = "BACKWARD"
_CT = "application/vnd.schemaregistry.v1+json"


def _request(method: str, path: str, body: dict | None = None, timeout: float = 2.0) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(REGISTRY_URL + path, data=data, method=method,
                                 headers={"Content-Type": _CT, "Accept": _CT})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def _registry_ready() -> bool:
    return _request("GET", "/subjects")[0] == 200


def global_compatibility() -> str | None:
    """The registry's global level as its ccompat API reports it (None when it does not answer)."""
    code, body = _request("GET", "/config")
    if code != 200:
        return None
    answer = json.loads(body)
    return answer.get("compatibilityLevel") or answer.get("compatibility")


def _set_backward() -> None:
    """The body must say `compatibility` (Apicurio answers `compatibilityLevel`, and a 500 to that key)."""
    code, body = _request("PUT", "/config", {"compatibility": GLOBAL_COMPATIBILITY}, timeout=10)
    if code != 200:
        raise LocalStackError(f"the registry refused the global compatibility {GLOBAL_COMPATIBILITY} "
                              f"(HTTP {code or 'unreachable'}): {body.decode(errors='replace')[:300]}")


def registry_service() -> Service:
    def command(dist: Path) -> list[str]:
        jar = dist / "registry" / f"apicurio-registry-app-{pom_versions()['apicurio']}-runner.jar"
        # java itself is the process started (no wrapping shell), so the pid file names the JVM
        return [check_java(), registry.marker, "-Xmx384m", *JIT, f"-Dquarkus.http.host={HOST}",
                f"-Dquarkus.http.port={REGISTRY_PORT}", "-Dquarkus.log.console.color=false", "-jar", str(jar)]

    registry = Service("registry", (REGISTRY_PORT,), _registry_ready, command, after_start=_set_backward)
    return registry
