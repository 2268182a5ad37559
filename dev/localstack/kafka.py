"""The Kafka side of the stack: a broker in KRaft combined mode and a distributed Kafka Connect worker.

Both are java processes run from the Maven dist (dist.py) with configs rendered from dev/conf/ into
`<stack dir>/conf/`. The broker's storage is formatted on first use; it counts as ready when an admin metadata
request succeeds (not merely when its port accepts connections), Connect when `GET /health` answers 200. Connect
is restarted when dev/pom.xml changes, because it loads its plugins only on start.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from .common import DEV, HOST, LocalStackError, say, stack_dir
from .process import Service

BROKER_PORT = int(os.environ.get("KPLAN_STACK_BROKER_PORT", "19092"))
CONTROLLER_PORT = int(os.environ.get("KPLAN_STACK_CONTROLLER_PORT", "19093"))
CONNECT_PORT = int(os.environ.get("KPLAN_STACK_CONNECT_PORT", "18083"))
BOOTSTRAP = f"{HOST}:{BROKER_PORT}"
CONNECT_URL = f"http://{HOST}:{CONNECT_PORT}"
MIN_JAVA = 17


def check_java() -> str:
    java = shutil.which("java")
    if not java:
        raise LocalStackError(
            "Java is not installed (need Java 17 or newer): install a JDK, "
            "e.g. `apt-get install openjdk-17-jdk-headless`"
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(m.group(1)) if m else 0
    if major == 1 and m and m.group(2):
        major = int(m.group(2))
    if major < MIN_JAVA:
        raise LocalStackError(f"Java {MIN_JAVA}+ is required, found {major or 'an unknown version'} at {java}")
    return java


def _render(template: str, dest: Path, dist: Path) -> Path:
    text = (DEV / "conf" / template).read_text()
    values = {
        "@DATA@": str(stack_dir() / "data"),
        "@DIST@": str(dist),
        "@BROKER_PORT@": str(BROKER_PORT),
        "@CONTROLLER_PORT@": str(CONTROLLER_PORT),
        "@CONNECT_PORT@": str(CONNECT_PORT),
    }
    for k, v in values.items():
        text = text.replace(k, v)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)
    return dest


def _java_cmd(dist: Path, marker: str, heap: str, main: str, *args: str) -> list[str]:
    return [
        check_java(),
        marker,
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
        "-cp",
        str(dist / "lib" / "*"),
        main,
        *args,
    ]


def _broker_config(dist: Path) -> Path:
    return _render("broker.properties", stack_dir() / "conf" / "broker.properties", dist)


def _format_storage(dist: Path) -> None:
    """Format KRaft storage on first use (meta.properties marks a formatted log dir)."""
    config = _broker_config(dist)
    if (stack_dir() / "data" / "kafka" / "meta.properties").exists():
        return
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    say(f"formatting broker storage (cluster id {cluster_id})")
    proc = subprocess.run(
        [check_java(), "-cp", str(dist / "lib" / "*"),
         f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
         "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise LocalStackError(f"formatting Kafka storage failed:\n{(proc.stdout + proc.stderr).strip()[-2000:]}")


def _broker_ready() -> bool:
    """Ready when an admin metadata request succeeds (not merely when the port accepts connections)."""
    try:
        from confluent_kafka.admin import AdminClient
    except ImportError as e:  # the launcher runs in the project's virtualenv
        raise LocalStackError("confluent-kafka is not installed: run `make venv` (or use `make stack-up`)") from e
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 2000, "logger": _quiet_logger()})
    try:
        md = admin.list_topics(timeout=2)
        return bool(md.brokers)
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    finally:
        admin.__exit__(None, None, None)  # destroyed here, not by a garbage collection on a librdkafka thread


def _quiet_logger():
    """librdkafka logs connection refusals while the broker starts; readiness polling expects them."""
    import logging

    log = logging.getLogger("kplan.stack.readiness")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


def _http_get(path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(CONNECT_URL + path, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def _connect_ready() -> bool:
    return _http_get("/health")[0] == 200


def broker_service() -> Service:
    def command(dist: Path) -> list[str]:
        return _java_cmd(dist, broker.marker, "1g", "kafka.Kafka", str(stack_dir() / "conf" / "broker.properties"))

    broker = Service("kafka", (BROKER_PORT, CONTROLLER_PORT), _broker_ready, command, _format_storage)
    return broker


def connect_service() -> Service:
    def prepare(dist: Path) -> None:
        _render("connect.properties", stack_dir() / "conf" / "connect.properties", dist)

    def command(dist: Path) -> list[str]:
        return _java_cmd(dist, connect.marker, "1g", "org.apache.kafka.connect.cli.ConnectDistributed",
                         str(stack_dir() / "conf" / "connect.properties"))

    connect = Service("connect", (CONNECT_PORT,), _connect_ready, command, prepare, restart_on_new_dist=True)
    return connect


def plugins() -> list[dict]:
    """Connect's connector plugins, as `GET /connector-plugins` lists them."""
    code, body = _http_get("/connector-plugins", timeout=10)
    if code != 200:
        raise LocalStackError(f"Connect at {CONNECT_URL} did not list its plugins (HTTP {code or 'unreachable'})")
    return json.loads(body)
