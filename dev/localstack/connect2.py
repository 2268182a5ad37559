"""A second plain Kafka Connect worker on the same local Kafka: its own Connect cluster (its own group.id and
config/offset/status topics) with its REST API on `KPLAN_STACK_CONNECT2_PORT` (default 18084), for stacks that
declare several Connect clusters on one Kafka cluster (docs/stack-format.md, `cluster.connect` as a map).

Its config is the plain worker's (the same plugin.path, converters and config providers) with the keys below laid
over it. It is lazy: only `dev/stack up --connect2` or the `connect2` fixture (`up()` here) starts it; `dev/stack
down` stops it first. It counts as ready when `GET /health` answers 200."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from .common import HOST, say, stack_dir
from .connect_secure import _overlay
from .dist import dist_dir, ensure_dist
from .kafka import config_changed, java_cmd, rendered, write_config
from .process import Service

CONNECT2_PORT = int(os.environ.get("KPLAN_STACK_CONNECT2_PORT", "18084"))
CONNECT2_URL = f"http://{HOST}:{CONNECT2_PORT}"
NAME = "connect2"
CONFIG = "connect2.properties"
_OVERRIDES = f"""# the second Connect cluster on the same Kafka (dev/localstack/connect2.py)
group.id=kplan-dev-connect2
listeners=http://{HOST}:{CONNECT2_PORT}
rest.advertised.port={CONNECT2_PORT}
config.storage.topic=connect2-configs
offset.storage.topic=connect2-offsets
status.storage.topic=connect2-status
"""


def _expected() -> dict[str, str]:
    return {CONFIG: _overlay(rendered("connect.properties", dist_dir()), _OVERRIDES)}


def http_get(path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET on the second worker's REST API: (status, body), status 0 when unreachable."""
    try:
        with urllib.request.urlopen(CONNECT2_URL + path, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def connect2_service() -> Service:
    def prepare(dist: Path) -> None:
        for name, text in _expected().items():
            write_config(name, text)

    def command(dist: Path) -> list[str]:
        return java_cmd(dist, worker.marker, "1g", "org.apache.kafka.connect.cli.ConnectDistributed",
                        str(stack_dir() / "conf" / CONFIG))

    worker = Service(NAME, (CONNECT2_PORT,), lambda: http_get("/health")[0] == 200, command, prepare,
                     restart_on_new_dist=True, outdated=lambda: config_changed(_expected()))
    return worker


def up(timeout_s: float) -> bool:
    """Start the second worker if it does not run (the plain stack must be up: it needs the broker); True if it
    was started."""
    svc = connect2_service()
    if svc.pid() is not None and svc.restart_reason() is None:
        svc.wait_ready(timeout_s)
        return False
    if svc.pid() is not None:
        svc.stop()
    say(f"starting {NAME} (log: {svc.log_file})")
    svc.start(ensure_dist())
    svc.wait_ready(timeout_s)
    say(f"ready: second Connect worker {CONNECT2_URL}")
    return True


def down() -> None:
    connect2_service().stop()
