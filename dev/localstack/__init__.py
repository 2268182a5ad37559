"""The local stack: a real Kafka broker (KRaft combined mode), a real Kafka Connect worker with the Debezium
plugins and Apicurio's Avro/JSON converters, a schema registry (Apicurio Registry, Confluent-compatible API),
PostgreSQL and MariaDB — from Maven Central and Debian's packages, on 127.0.0.1 — and, beside that plain side, a
secured one: a SASL_SSL listener on the same broker (SCRAM-SHA-512 and PLAIN over TLS, ACLs enforced) and a
second Connect worker with HTTPS and basic authentication.

No Docker: the jars come from `dev/pom.xml` (the one place versions are pinned) through Maven into
`.stack/dist/`, the databases from Debian's `postgresql` and `mariadb-server` packages, and the processes run from
there. Everything the stack writes (data, logs, pid files, rendered configs, the generated TLS material under
`tls/`) lives under one directory, `.stack/` by default (`KPLAN_STACK_DIR` overrides it);
`KPLAN_STACK_{BROKER,CONTROLLER,CONNECT,REGISTRY,PG,MARIADB,SASL,CONNECT_SECURE}_PORT` move its ports and
`KPLAN_STACK_START_TIMEOUT` bounds each service's start. The secured worker is lazy: only `up(secured=True)`
(`dev/stack up --secured`) starts it. The registry keeps its schemas in memory: a restart loses them.

This package is the API: up(), down(), status(), the endpoints (BOOTSTRAP, CONNECT_URL, REGISTRY_URL, PG_*, MY_*;
for the secured side SASL_BOOTSTRAP, CONNECT_SECURE_URL, ADMIN_USER/ADMIN_PASSWORD, CONNECT_USER/CONNECT_PASSWORD,
ca_file(), tls_dir(), sasl_client_config()) and SQL helpers (psql, mysql). Its modules, one job each: common (shared
basics), process (the Service class), dist (Maven assembly), tls (the certificates), kafka (broker and Connect),
registry (the schema registry), sasl (the secured listener's users), connect_secure (the secured Connect worker),
postgres, mariadb, oidc (Keycloak, lazy: `up --oidc`, and the broker's OIDC listener settings), msk_local (the
broker's MSK listener and its stand-in token validator), matrix (a bare broker + Connect at a chosen Kafka version,
`KPLAN_KAFKA_VERSION`: docs/compatibility.md), forge (Gitea, lazy: `up --forge`), runners (act and gitlab-ci-local,
the CI examples' runners), buildcache (what is built once per machine, under ~/.m2/kplan/); __main__ is the
`dev/stack` command line and pytest_plugin the `stack`, `secured`, `multibroker`, `oidc` and `forge` fixtures for
the tests.
"""

from __future__ import annotations

import os
import shutil

from . import forge, kubernetes, matrix
from .common import HOST, ROOT, LocalStackError, say, stack_dir
from .connect_secure import (
    CONNECT_PASSWORD,
    CONNECT_SECURE_PORT,
    CONNECT_SECURE_URL,
    CONNECT_USER,
    connect_secure_service,
)
from .dist import check_maven, dist_current, dist_dir, ensure_dist, pom_digest, pom_versions
from .kafka import (
    BOOTSTRAP,
    BROKER_PORT,
    CONNECT_PORT,
    CONNECT_URL,
    CONTROLLER_PORT,
    MIN_JAVA,
    broker_service,
    check_java,
    connect_service,
    plugins,
)
from .mariadb import (
    MY_DATABASE,
    MY_PASSWORD,
    MY_PORT,
    MY_SERVER_ID,
    MY_USER,
    mariadb_endpoint,
    mariadb_service,
    my_bins,
    my_data,
    mysql,
)
from .postgres import PG_DATABASE, PG_PASSWORD, PG_PORT, PG_USER, pg_data, pg_endpoint, postgres_service, psql
from .process import Service, stop_together, tail
from .registry import REGISTRY_PORT, REGISTRY_URL, REGISTRY_V3_URL, global_compatibility, registry_service
from .sasl import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CONNECT_WORKER_PASSWORD,
    CONNECT_WORKER_USER,
    SASL_BOOTSTRAP,
    SASL_MECHANISMS,
    SASL_PORT,
    ensure_scram_users,
)
from .sasl import client_config as sasl_client_config
from .tls import TLS_PASSWORD, ca_file, ensure_tls, tls_dir

START_TIMEOUT_S = float(os.environ.get("KPLAN_STACK_START_TIMEOUT", "180"))
# How long `status` gives a running service that missed a health check to answer one (a loaded Connect worker
# rebalancing for several clients at once can take seconds to answer /health) before it says NOT ready.
STATUS_PATIENCE_S = 30.0


__all__ = [
    "stack_env",
    "ADMIN_PASSWORD", "ADMIN_USER", "BOOTSTRAP", "BROKER_PORT", "CONNECT_PASSWORD", "CONNECT_PORT",
    "CONNECT_SECURE_PORT", "CONNECT_SECURE_URL", "CONNECT_URL", "CONNECT_USER", "CONNECT_WORKER_PASSWORD",
    "CONNECT_WORKER_USER", "CONTROLLER_PORT", "HOST", "MIN_JAVA", "MY_DATABASE", "MY_PASSWORD", "MY_PORT",
    "MY_SERVER_ID", "MY_USER", "PG_DATABASE", "PG_PASSWORD", "PG_PORT", "PG_USER", "REGISTRY_PORT", "REGISTRY_URL",
    "REGISTRY_V3_URL", "ROOT", "SASL_BOOTSTRAP", "SASL_MECHANISMS", "SASL_PORT", "START_TIMEOUT_S", "TLS_PASSWORD",
    "LocalStackError", "Service", "ca_file", "check_java", "check_maven", "connect_secure_service", "dist_current",
    "dist_dir", "down", "endpoints", "ensure_dist", "ensure_scram_users", "ensure_tls", "global_compatibility",
    "kafka_label", "logs",
    "mariadb_endpoint", "my_bins", "mysql", "pg_endpoint", "plugins", "pom_digest", "pom_versions", "psql",
    "registry_service", "sasl_client_config", "services", "stack_dir", "status", "tls_dir", "up",
]

# Services that nothing else depends on: restarting one of them leaves the others alone.
_LEAVES = ("registry", "connect", "connect-secure")
# Services that only an option of `up` starts: not running, they leave `status` healthy.
_LAZY = {"connect-secure": "--secured", forge.NAME: "--forge", kubernetes.KINE: "--kubernetes",
         kubernetes.APISERVER: "--kubernetes"}
# Services started without waiting: the others start while they come up, and they are waited for at the end.
_IN_BACKGROUND = ("registry",)


def services(secured: bool = False) -> list[Service]:
    """In start order; stopped in reverse (the Connect workers, then the broker, then MariaDB, then PostgreSQL, then
    the registry). The secured Connect worker is in the list only when `secured`. The registry depends on nothing
    and nothing on it; it comes first so that it starts in the background while the others start."""
    if matrix.kafka_version():  # a chosen Kafka version: the bare broker and Connect worker (matrix.py)
        return [broker_service(), connect_service()]
    plain = [registry_service(), postgres_service(), mariadb_service(), broker_service(), connect_service()]
    return [*plain, connect_secure_service()] if secured else plain


def stack_env() -> dict[str, str]:
    """The variables the example stacks read the local stack's endpoints and credentials from (`dev/stack env`
    prints them as exports): the demo and the example tests set them, so that a stack on ports of its own
    (KPLAN_STACK_*_PORT) is the one they plan and apply against."""
    return {
        "KPLAN_BOOTSTRAP": BOOTSTRAP, "KPLAN_CONNECT_URL": CONNECT_URL, "KPLAN_SCHEMA_REGISTRY_URL": REGISTRY_URL,
        "KPLAN_PG_HOST": HOST, "KPLAN_PG_PORT": str(PG_PORT), "KPLAN_PG_PASSWORD": PG_PASSWORD,
        "KPLAN_MARIADB_HOST": HOST, "KPLAN_MARIADB_PORT": str(MY_PORT), "KPLAN_MARIADB_PASSWORD": MY_PASSWORD,
        "KPLAN_SASL_BOOTSTRAP": SASL_BOOTSTRAP, "KPLAN_CA_FILE": str(ca_file()), "KPLAN_ADMIN_USER": ADMIN_USER,
        "KPLAN_ADMIN_PASSWORD": ADMIN_PASSWORD, "KPLAN_CONNECT_SECURE_URL": CONNECT_SECURE_URL,
        "KPLAN_CONNECT_USER": CONNECT_USER, "KPLAN_CONNECT_PASSWORD": CONNECT_PASSWORD,
        "KPLAN_FORGE_URL": forge.FORGE_URL, "KPLAN_FORGE_ADMIN": forge.ADMIN,
        "KPLAN_FORGE_ADMIN_TOKEN_FILE": str(forge.token_file(forge.ADMIN)), "KPLAN_FORGE_REVIEWER": forge.REVIEWER,
        "KPLAN_FORGE_REVIEWER_TOKEN_FILE": str(forge.token_file(forge.REVIEWER)),
        "KPLAN_KUBECONFIG": str(kubernetes.kubeconfig()),
    }


def endpoints(secured: bool = False) -> dict[str, str]:
    plain = {"bootstrap_servers": BOOTSTRAP, "connect_url": CONNECT_URL, "schema_registry_url": REGISTRY_URL}
    if not secured:
        return plain
    return {**plain, "sasl_bootstrap_servers": SASL_BOOTSTRAP, "connect_secure_url": CONNECT_SECURE_URL,
            "ca_file": str(ca_file())}


def _stop_with_dependents(name: str) -> None:
    """Stop a service and, first, everything that depends on it (every service after it in start order, except
    that the two Connect workers do not depend on each other)."""
    every = services(secured=True)
    i = next(i for i, s in enumerate(every) if s.name == name)
    chain = [every[i]] if name in _LEAVES else every[i:]
    for svc in reversed(chain):
        svc.stop()


def up(timeout_s: float = START_TIMEOUT_S, secured: bool = False, only: tuple[str, ...] | None = None) -> bool:
    """Start what is not running; return True if anything was started. Idempotent on a healthy stack.

    `secured` also starts the secured Connect worker (the broker's SASL_SSL listener is always on). A secured
    worker that runs is kept running: restarting a service it depends on restarts it too. `only` names the
    services to start (e.g. ("kafka",): a bare broker, for a test that starts one on ports of its own)."""
    secured = secured or connect_secure_service().pid() is not None
    svcs = services(secured)
    if only is not None:
        unknown = sorted(set(only) - {s.name for s in services(secured=True)})
        if unknown:
            raise LocalStackError(f"no such service: {', '.join(unknown)} "
                                  f"(known: {', '.join(s.name for s in services(secured=True))})")
        svcs = [s for s in svcs if s.name in only]
    if dist_current() and all(s.pid() is not None and s.ready() and s.restart_reason() is None for s in svcs):
        say("already running and healthy")
        return False
    check_java()
    ensure_tls()
    dist = ensure_dist()
    started = False
    background: list[Service] = []
    for svc in svcs:
        pid = svc.pid()
        reason = svc.restart_reason() if pid is not None else None
        if reason is not None:
            say(f"{svc.name} (pid {pid}) {reason}")
            _stop_with_dependents(svc.name)
            pid = None
        if pid is not None:
            try:
                svc.wait_ready(min(timeout_s, 60.0))
                continue
            except LocalStackError:
                say(f"{svc.name} (pid {pid}) is running but not healthy; restarting it and what depends on it")
                _stop_with_dependents(svc.name)
        elif svc.has_stale_pid_file():
            say(f"{svc.name} was left behind by a crashed run (stale pid file); restarting it cleanly")
            svc.pid_file.unlink(missing_ok=True)
            # what depends on a restarted service is restarted too, so it reconnects cleanly
            _stop_with_dependents(svc.name)
        say(f"starting {svc.name} (log: {svc.log_file})")
        svc.start(dist)
        started = True
        if svc.name in _IN_BACKGROUND:
            background.append(svc)
            continue
        svc.wait_ready(timeout_s)
        svc.after_start()
    for svc in background:
        svc.wait_ready(timeout_s)
        svc.after_start()
    if matrix.kafka_version():
        say(f"ready ({kafka_label()}): bootstrap servers {BOOTSTRAP}, SASL_SSL {SASL_BOOTSTRAP}, Connect {CONNECT_URL}")
        return started
    if only is not None:
        say(f"ready: {', '.join(s.name for s in svcs)} (bootstrap servers {BOOTSTRAP}, Connect {CONNECT_URL}, "
            f"schema registry {REGISTRY_URL})")
        return started
    say(f"ready: bootstrap servers {BOOTSTRAP}, Connect {CONNECT_URL}, schema registry {REGISTRY_URL}, "
        f"PostgreSQL {HOST}:{PG_PORT}/{PG_DATABASE}, MariaDB {HOST}:{MY_PORT}/{MY_DATABASE}")
    say(f"secured: SASL_SSL bootstrap servers {SASL_BOOTSTRAP} (CA {ca_file()}), Connect "
        + (CONNECT_SECURE_URL if secured else "not started (up --secured starts it)"))
    return started


def down(wipe: bool = False, first: tuple[Service, ...] = (), beside_broker: tuple[Service, ...] = ()) -> None:
    """Stop the stack in three waves, the services of each at once (process.stop_together): the Connect workers and
    `first` (what uses the stack: Keycloak, the forge, the API server, another Connect cluster), then the broker
    and `beside_broker` (what the first wave used: the API server's kine), then the databases and the registry."""
    every = services(secured=True)
    broker = next(i for i, s in enumerate(every) if s.name == "kafka")
    stop_together([*every[broker + 1:], *first])
    stop_together([every[broker], *beside_broker])
    stop_together(every[:broker])
    if wipe:
        shutil.rmtree(pg_data(), ignore_errors=True)
        shutil.rmtree(my_data(), ignore_errors=True)
        for sub in ("data", "logs", "run", "conf", "tls", "forge", "kubernetes"):
            shutil.rmtree(stack_dir() / sub, ignore_errors=True)
        say(f"wiped data (the forge's and the API server's too), logs and TLS material under {stack_dir()} "
            f"(the jars in {dist_dir()} and "
            "what ~/.m2/kplan/ keeps are kept)")
    say("stopped")


def status() -> bool:
    """Print what runs; True when every service is running and healthy (the secured Connect worker, the forge and
    the API server, which only `up --secured`, `up --forge` and `up --kubernetes` start, count only when they run)."""
    healthy = True
    for svc in [*services(secured=True), forge.forge_service(), *kubernetes.services()]:
        pid = svc.pid()
        if pid is None:
            stale = svc.has_stale_pid_file()
            state = "not running" + (" (stale pid file from a crashed run)" if stale else "")
            if svc.name in _LAZY and not stale:
                state += f" (`dev/stack up {_LAZY[svc.name]}` starts it)"
            else:
                healthy = False
        elif svc.becomes_ready(STATUS_PATIENCE_S):
            state = f"running (pid {pid}), healthy"
        else:
            state = f"running (pid {pid}), NOT ready"
            healthy = False
        print(f"{svc.name:14} {state}")
    print(f"bootstrap servers: {BOOTSTRAP}")
    print(f"connect url:       {CONNECT_URL}")
    print(f"schema registry:   {REGISTRY_URL} (Apicurio; in memory, global compatibility "
          f"{global_compatibility() or 'unknown'})")
    print(f"postgresql:        {HOST}:{PG_PORT} database {PG_DATABASE!r} (user {PG_USER})")
    print(f"mariadb:           {HOST}:{MY_PORT} database {MY_DATABASE!r} (user {MY_USER})")
    print(f"sasl_ssl:          {SASL_BOOTSTRAP} ({', '.join(SASL_MECHANISMS)}; user {ADMIN_USER}, CA {ca_file()})")
    print(f"connect (secured): {CONNECT_SECURE_URL} (basic auth, user {CONNECT_USER})")
    print(f"forge:             {forge.FORGE_URL} (Gitea {forge.GITEA_VERSION}; users {forge.ADMIN}, {forge.REVIEWER}; "
          f"tokens in {forge.token_file(forge.ADMIN).parent})")
    print(f"kubernetes:        {kubernetes.KUBE_URL} (kube-apiserver {kubernetes.KUBERNETES_VERSION} on kine; "
          f"kubeconfig {kubernetes.kubeconfig()})")
    print("versions:          " + (kafka_label() if matrix.kafka_version()
                                   else ", ".join(f"{k} {v}" for k, v in sorted(pom_versions().items()))))
    print(f"data and logs:     {stack_dir()}")
    return healthy


def kafka_label() -> str:
    """The Kafka (and Connect) version this stack runs: the chosen one, or dev/pom.xml's."""
    return matrix.label() if matrix.kafka_version() else f"Kafka {pom_versions().get('kafka')}"


def logs(lines: int = 40) -> None:
    for svc in [*services(secured=True), forge.forge_service(), *kubernetes.services()]:
        print(f"==> {svc.log_file} <==")
        print(tail(svc.log_file, lines))
