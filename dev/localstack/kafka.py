"""The Kafka side of the stack: a broker in KRaft combined mode and a distributed Kafka Connect worker.

Both are java processes run from the Maven dist (dist.py) with configs rendered from dev/conf/ into
`<stack dir>/conf/`. The broker's storage is formatted on first use; it counts as ready when an admin metadata
request succeeds (not merely when its port accepts connections), Connect when `GET /health` answers 200. Connect
is restarted when dev/pom.xml changes, because it loads its plugins only on start; either is restarted when its
rendered config differs from the one it was started from (a broker from before the SASL_SSL listener, a new TLS
keystore). The broker's secured listener and its users are in sasl.py, the secured Connect worker in
connect_secure.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from . import cds
from .common import DEV, HOST, JIT, LocalStackError, jit_of, new_cluster_id, quiet_logger, say, stack_dir
from .dist import dist_dir
from .msk_local import MSK_PORT, ensure_validator
from .msk_local import broker_placeholders as msk_placeholders
from .oidc import OIDC_PORT, broker_jvm_options, broker_placeholders
from .process import Service, cmdline_of
from .sasl import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CONNECT_WORKER_PASSWORD,
    CONNECT_WORKER_USER,
    SASL_PORT,
    ensure_scram_users,
)
from .tls import TLS_PASSWORD, ensure_tls, tls_dir, tls_id

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


def rendered(template: str, dist: Path, extra: dict[str, str] | None = None) -> str:
    """A dev/conf/ template with its @NAME@ placeholders filled in (`extra` adds some). @TLS_ID@ (the keystore's
    fingerprint) makes sure the TLS material exists first."""
    text = (DEV / "conf" / template).read_text()
    values = broker_placeholders() | msk_placeholders() | {k: (lambda v=v: v) for k, v in (extra or {}).items()} | {
        "@DATA@": lambda: str(stack_dir() / "data"),
        "@CONF@": lambda: str(stack_dir() / "conf"),
        "@DIST@": lambda: str(dist),
        "@BROKER_PORT@": lambda: str(BROKER_PORT),
        "@CONTROLLER_PORT@": lambda: str(CONTROLLER_PORT),
        "@CONNECT_PORT@": lambda: str(CONNECT_PORT),
        "@SASL_PORT@": lambda: str(SASL_PORT),
        "@TLS@": lambda: str(tls_dir()),
        "@TLS_ID@": _current_tls_id,
        "@TLS_PASSWORD@": lambda: TLS_PASSWORD,
        "@ADMIN_USER@": lambda: ADMIN_USER,
        "@ADMIN_PASSWORD@": lambda: ADMIN_PASSWORD,
        "@CONNECT_WORKER_USER@": lambda: CONNECT_WORKER_USER,
        "@CONNECT_WORKER_PASSWORD@": lambda: CONNECT_WORKER_PASSWORD,
    }
    for k, v in values.items():
        if k in text:
            text = text.replace(k, v())
    return text


def tiered_jar(dist: Path) -> Path | None:
    """kafka-storage's test jar (Kafka's own LocalTieredStorage) when dev/pom.xml laid it out in this dist."""
    found = sorted((dist / "tiered").glob("kafka-storage-*-test.jar"))
    return found[0] if found else None


def tiered_settings(dist: Path, store: Path) -> str:
    """A broker's tiered-storage settings (the 3-broker cluster's, cluster3.py): segments of topics with
    remote.storage.enable=true are copied to a "remote" store, here LocalTieredStorage (the directory `store`, one
    for every broker, as a real remote store is), with the default topic-based metadata manager on the plain
    listener. Its task runs every second (default 30 s) and the brokers look for segments to delete every 5 s
    (default 5 min: local copies past local.retention.* waited up to that long), so tests see uploads and local
    deletions quickly. A dist without the jar (the version matrix's bare dists) leaves tiered storage off."""
    jar = tiered_jar(dist)
    if jar is None:
        return "# (off: this dist has no remote storage manager)"
    return "\n".join([
        "remote.log.storage.system.enable=true",
        "remote.log.storage.manager.class.name=org.apache.kafka.server.log.remote.storage.LocalTieredStorage",
        f"remote.log.storage.manager.class.path={jar}",
        f"rsm.config.dir={store}",
        "remote.log.metadata.manager.listener.name=PLAINTEXT",
        "rlmm.config.remote.log.metadata.topic.num.partitions=1",
        "remote.log.manager.task.interval.ms=1000",
        "log.retention.check.interval.ms=5000",
    ])


def _current_tls_id() -> str:
    ensure_tls()
    return tls_id()


def write_config(name: str, text: str) -> Path:
    dest = stack_dir() / "conf" / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text)
    return dest


def config_changed(expected: dict[str, str]) -> str | None:
    """Why a running process must be restarted: a config file it was started from (`<stack dir>/conf/<name>`)
    differs from what the templates render now. None when they agree."""
    for name, text in expected.items():
        try:
            current = (stack_dir() / "conf" / name).read_text()
        except OSError:
            current = None
        if current != text:
            return f"was started from an older {name}; restarting it with the current one"
    return None


def java_cmd(dist: Path, marker: str, heap: str, main: str, *args: str, jvm: tuple[str, ...] = (),
             classpath: tuple[str, ...] = (), lib: str = "lib") -> list[str]:
    java, path = check_java(), [str(dist / lib / "*"), *classpath]
    return [
        java,
        marker,
        f"-Xmx{heap}",
        *JIT,
        *cds.options(java, marker, main, path),
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
        *jvm,
        "-cp",
        os.pathsep.join(path),
        main,
        *args,
    ]


def _format_storage(dist: Path) -> None:
    """Render the broker's config and format KRaft storage on first use (meta.properties marks a formatted log
    dir)."""
    config = write_config("broker.properties", rendered("broker.properties", dist))
    if (stack_dir() / "data" / "kafka" / "meta.properties").exists():
        return
    cluster_id = new_cluster_id()
    say(f"formatting broker storage (cluster id {cluster_id})")
    proc = subprocess.run(
        [check_java(), *JIT, "-cp", str(dist / "lib" / "*"),
         f"-Dlog4j2.configurationFile={DEV / 'conf' / 'log4j2.properties'}",
         "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config), *_features()],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise LocalStackError(f"formatting Kafka storage failed:\n{(proc.stdout + proc.stderr).strip()[-2000:]}")


def _features() -> list[str]:
    """`--feature NAME=LEVEL` for each of KPLAN_STACK_KAFKA_FEATURES ("share.version=0,..."): a broker formatted with
    these finalized levels instead of its release's defaults (a cluster with a feature off, for kplan's features
    tests)."""
    wanted = os.environ.get("KPLAN_STACK_KAFKA_FEATURES", "")
    return [arg for f in wanted.split(",") if f.strip() for arg in ("--feature", f.strip())]


def _broker_ready() -> bool:
    """Ready when an admin metadata request succeeds (not merely when the port accepts connections)."""
    try:
        from confluent_kafka.admin import AdminClient
    except ImportError as e:  # the launcher runs in the project's virtualenv
        raise LocalStackError("confluent-kafka is not installed: run `make venv` (or use `make stack-up`)") from e
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP, "socket.timeout.ms": 2000, "logger": quiet_logger()})
    try:
        md = admin.list_topics(timeout=2)
        return bool(md.brokers)
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    finally:
        admin.__exit__(None, None, None)  # destroyed here, not by a garbage collection on a librdkafka thread


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
        return java_cmd(dist, broker.marker, "1g", "kafka.Kafka", str(stack_dir() / "conf" / "broker.properties"),
                        jvm=broker_jvm_options(), classpath=(str(ensure_validator(dist)),))

    def outdated() -> str | None:
        running = jit_of(cmdline_of(broker.pid() or 0))
        if running != jit_of(" ".join(JIT)):
            return f"runs with the {running} JIT; restarting it with the {jit_of(' '.join(JIT))} one"
        return config_changed({"broker.properties": rendered("broker.properties", dist_dir())})

    ports = (BROKER_PORT, CONTROLLER_PORT, SASL_PORT, OIDC_PORT, MSK_PORT)
    broker = Service("kafka", ports, _broker_ready, command, _format_storage,
                     after_start=lambda: ensure_scram_users(BOOTSTRAP), outdated=outdated)
    return broker


def connect_service() -> Service:
    def prepare(dist: Path) -> None:
        write_config("connect.properties", rendered("connect.properties", dist))

    def command(dist: Path) -> list[str]:
        # a matrix dist gives Connect a classpath of its own (it may run another version than the broker)
        lib = "connect-lib" if (dist / "connect-lib").is_dir() else "lib"
        return java_cmd(dist, connect.marker, "1g", "org.apache.kafka.connect.cli.ConnectDistributed",
                        str(stack_dir() / "conf" / "connect.properties"), lib=lib)

    def outdated() -> str | None:
        return config_changed({"connect.properties": rendered("connect.properties", dist_dir())})

    connect = Service("connect", (CONNECT_PORT,), _connect_ready, command, prepare, restart_on_new_dist=True,
                      outdated=outdated)
    return connect


def plugins() -> list[dict]:
    """Connect's connector plugins, as `GET /connector-plugins` lists them."""
    code, body = _http_get("/connector-plugins", timeout=10)
    if code != 200:
        raise LocalStackError(f"Connect at {CONNECT_URL} did not list its plugins (HTTP {code or 'unreachable'})")
    return json.loads(body)
