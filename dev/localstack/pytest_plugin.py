"""The local stack's pytest plugin, registered in pyproject.toml (`addopts = -p localstack.pytest_plugin`, with
`pythonpath = ["dev"]`), so no test module edits the import path.

- `stack` (session fixture): a real Kafka broker and Kafka Connect worker (with the databases and the schema
  registry, whose Confluent-compatible URL is `stack.schema_registry_url`). It starts the local
  stack or reuses a running one, and stops it at the end only if it started it (`KPLAN_KEEP_STACK=1` keeps it).
- `secured` (session fixture): the secured side — the broker's SASL_SSL listener and the secured Connect worker
  (HTTPS, basic auth) — as a SecuredStack of endpoints, credentials and TLS files. It runs `up(secured=True)`,
  reusing whatever runs, and at the end stops only the services it started (`KPLAN_KEEP_STACK=1` keeps them).
- `multibroker` (session fixture): the 3-broker cluster (`localstack.cluster3`); `multibroker_connect` its Connect
  worker's URL. Each started on first use and stopped at the end if this session started it.
- `forge` (session fixture): the local forge (Gitea) as a forge_api.Forge (URL, users, tokens; a repository, a
  push, a pull request, an approval, a comment, a merge; a pull request's workflow run by act), started once per
  session when a test uses it, stopped at the end if this session started it (`KPLAN_KEEP_STACK=1` keeps it).
- `kubernetes` (session fixture): the local Kubernetes API server (kube-apiserver on kine), started once per
  session when a test uses it, stopped at the end if this session started it (`KPLAN_KEEP_STACK=1` keeps it).
- `gitlab_ci_local`: runs one job of a project's .gitlab-ci.yml with gitlab-ci-local in shell mode
  (runners.run_gitlab_ci_local), installed on first use.
- `unique`: a factory of unique resource names.
- Every test that uses one of FIXTURES, directly or through another fixture, is marked `integration`, so
  `pytest -m 'not integration'` runs exactly the tests that need no stack.
- The summary line "integration tests against the real stack (...): N passed" counts those tests only — not
  tests that merely live under tests/integration/ (a folder name is a keyword, not a use of the stack) — and is
  not printed when none ran.
- Under pytest-xdist (`-n N`) every worker runs the session fixtures: a file lock in the stack's directory makes
  the first worker start what is missing and the others reuse it; a worker never stops what it started (another
  may still be using it) but hands it to the controller, which stops it after the last worker is done. Each
  worker hands its tally to the controller too, which prints the one summary line.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import pytest

from . import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    BOOTSTRAP,
    CONNECT_PASSWORD,
    CONNECT_SECURE_URL,
    CONNECT_URL,
    CONNECT_USER,
    REGISTRY_URL,
    REGISTRY_V3_URL,
    SASL_BOOTSTRAP,
    SASL_MECHANISMS,
    LocalStackError,
    ca_file,
    down,
    kafka_label,
    matrix,
    pom_versions,
    services,
    stack_dir,
    tls_dir,
    up,
)

# one makes an integration test
FIXTURES = ("stack", "secured", "multibroker", "oidc", "forge", "gitlab_ci_local", "kubernetes")


def _direct_params(item) -> set[str]:
    """The names a test's `parametrize` marks give values directly (not through a fixture): a parameter named
    `stack` is a stack name, not the local stack (three pure tests of `kplan ci` ran in the integration stage so, and
    never in the unit stage)."""
    names: set[str] = set()
    for mark in item.iter_markers("parametrize"):
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [a.strip() for a in argnames.split(",")]
        indirect = mark.kwargs.get("indirect", False)
        names.update(a for a in argnames
                     if not (indirect is True or (isinstance(indirect, (list, tuple)) and a in indirect)))
    return names


@dataclass(frozen=True)
class LocalStack:
    bootstrap_servers: str
    connect_url: str
    schema_registry_url: str  # Apicurio's Confluent-compatible API (.../apis/ccompat/v7); in memory, BACKWARD
    registry_v3_url: str  # Apicurio's own API (.../apis/registry/v3), what its Kafka Connect converters are given


@dataclass(frozen=True)
class SecuredStack:
    """The secured side of the local stack. Files are absolute paths (str) under the stack's tls/ directory."""

    bootstrap_servers: str  # the broker's SASL_SSL listener
    sasl_mechanisms: tuple[str, ...]  # enabled on it: SCRAM-SHA-512 and PLAIN
    admin_user: str  # kplan's principal: a super user, with SCRAM-SHA-512 and PLAIN credentials
    admin_password: str
    connect_url: str  # the secured Connect worker (https://...)
    connect_user: str  # its REST API's basic-auth credentials
    connect_password: str
    ca_file: str  # PEM: verifies both the broker and the worker
    client_cert: str  # PEM client certificate and key signed by the same CA, for mutual TLS
    client_key: str
    tls_dir: str

    def kafka_config(self, mechanism: str = "SCRAM-SHA-512", user: str | None = None,
                     password: str | None = None) -> dict[str, str]:
        """A confluent-kafka configuration for the SASL_SSL listener, verifying the broker with the CA (the admin's
        credentials by default)."""
        return {"bootstrap.servers": self.bootstrap_servers, "security.protocol": "SASL_SSL",
                "sasl.mechanism": mechanism, "sasl.username": user or self.admin_user,
                "sasl.password": self.admin_password if password is None else password, "ssl.ca.location": self.ca_file}

    @property
    def connect_auth(self) -> tuple[str, str]:
        """(user, password) for HTTP basic authentication, e.g. `requests.get(url, auth=..., verify=ca_file)`."""
        return self.connect_user, self.connect_password


@contextmanager
def _one_starter() -> Iterator[None]:
    """Held while a session fixture starts services: xdist workers start their sessions together, and two
    launchers starting the same broker would fight over its ports and data."""
    d = stack_dir()
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "pytest-session.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _stop_later(config, what: str, names: list[str]) -> bool:
    """On an xdist worker, hand what this session started to the controller (which stops it once every worker is
    done) and return True; elsewhere return False (the caller stops it now)."""
    out = getattr(config, "workeroutput", None)
    if out is None:
        return False
    out.setdefault("localstack_started", []).append((what, names))
    return True


def _stop(what: str, names: list[str]) -> None:
    if what == "stack":
        down()
    elif what == "secured":
        for svc in reversed(services(secured=True)):
            if svc.name in names:
                svc.stop()
    elif what == "multibroker":
        from . import cluster3

        cluster3.down()
    elif what == "multibroker-connect":
        from . import cluster3

        cluster3.CONNECT.down()
    elif what == "oidc":
        from . import oidc

        oidc.keycloak_service().stop()
    elif what == "forge":
        from . import forge

        forge.forge_service().stop()
    elif what == "kubernetes":
        from . import kubernetes

        kubernetes.down()


@pytest.fixture(scope="session")
def stack(pytestconfig):
    try:
        with _one_starter():
            started = up()
    except LocalStackError as e:
        pytest.fail(f"the local stack could not be started: {e}", pytrace=False)
    yield LocalStack(BOOTSTRAP, CONNECT_URL, REGISTRY_URL, REGISTRY_V3_URL)
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "stack", []):
        _stop("stack", [])


@pytest.fixture(scope="session")
def secured(pytestconfig):
    try:
        with _one_starter():
            running_before = {svc.name for svc in services(secured=True) if svc.pid() is not None}
            up(secured=True)
    except LocalStackError as e:
        pytest.fail(f"the secured side of the local stack could not be started: {e}", pytrace=False)
    tls = tls_dir()
    yield SecuredStack(SASL_BOOTSTRAP, SASL_MECHANISMS, ADMIN_USER, ADMIN_PASSWORD, CONNECT_SECURE_URL,
                       CONNECT_USER, CONNECT_PASSWORD, str(ca_file()), str(tls / "client.pem"),
                       str(tls / "client.key"), str(tls))
    # only what this fixture started: a stack that was running before (or that `stack` owns) stays up
    mine = [svc.name for svc in services(secured=True) if svc.name not in running_before]
    if mine and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "secured", mine):
        _stop("secured", mine)


@pytest.fixture(scope="session")
def multibroker(pytestconfig):
    """The 3-broker KRaft cluster (racks rack-a/b/c; `localstack.cluster3`), started once per session when a test
    uses it, beside the single-broker stack; stopped at the end if this session started it."""
    from . import cluster3

    try:
        with _one_starter():
            started = cluster3.up()
    except LocalStackError as e:
        pytest.fail(f"the 3-broker cluster could not be started: {e}", pytrace=False)
    yield cluster3
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "multibroker", []):
        _stop("multibroker", [])


@pytest.fixture(scope="session")
def multibroker_connect(multibroker, pytestconfig):
    """The 3-broker cluster's Connect worker (`cluster3.CONNECT`: internal topics with replication factor 3, the
    connect-file plugin), its URL; started once per session when a test uses it, stopped at the end if this session
    started it (before the cluster: this fixture is torn down before `multibroker`)."""
    from . import START_TIMEOUT_S

    try:
        with _one_starter():
            started = multibroker.CONNECT.up(START_TIMEOUT_S)
    except LocalStackError as e:
        pytest.fail(f"the 3-broker cluster's Connect worker could not be started: {e}", pytrace=False)
    yield multibroker.CONNECT.url
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "multibroker-connect", []):
        _stop("multibroker-connect", [])


@pytest.fixture(scope="session")
def oidc(stack, pytestconfig):
    """The OIDC provider (Keycloak, `localstack.oidc`) beside the stack, started once per session when a test uses
    it (~30 s on first use); the broker's OIDC and MSK listeners are always on. Stopped at the end if this session
    started it."""
    from . import oidc as provider

    try:
        with _one_starter():
            started = provider.up()
    except LocalStackError as e:
        pytest.fail(f"the OIDC provider could not be started: {e}", pytrace=False)
    yield provider
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "oidc", []):
        _stop("oidc", [])


@pytest.fixture(scope="session")
def forge(pytestconfig):
    """The local forge (Gitea, `localstack.forge`), started once per session when a test uses it (seconds; a
    machine's first start builds Gitea: 766 CPU-s), as a `localstack.forge_api.Forge`. Stopped at the end if this
    session started it."""
    from . import forge as gitea
    from .forge_api import Forge

    try:
        gitea.gitea_dir()  # a machine's first build, outside the lock that other sessions' starts take
        with _one_starter():
            started = gitea.up()
    except LocalStackError as e:
        pytest.fail(f"the forge could not be started: {e}", pytrace=False)
    forge = Forge.running()
    yield forge
    shutil.rmtree(forge.scratch, ignore_errors=True)
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "forge", []):
        _stop("forge", [])


@pytest.fixture(scope="session")
def kubernetes(pytestconfig):
    """The local Kubernetes API server (kube-apiserver on kine, `localstack.kubernetes`), started once per session
    when a test uses it (~25 s; a machine's first start builds both from their Go modules), as that module: its URL,
    kubeconfig and the admin's token. Stopped at the end if this session started it."""
    from . import kubernetes as k8s

    try:
        k8s.kine_dir(), k8s.apiserver_dir()  # a machine's first build, outside the lock other sessions' starts take
        with _one_starter():
            started = k8s.up()
    except LocalStackError as e:
        pytest.fail(f"the Kubernetes API server could not be started: {e}", pytrace=False)
    yield k8s
    if started and not os.environ.get("KPLAN_KEEP_STACK") and not _stop_later(pytestconfig, "kubernetes", []):
        _stop("kubernetes", [])


@pytest.fixture(scope="session")
def gitlab_ci_local():
    """`runners.run_gitlab_ci_local`, gitlab-ci-local installed first (once per machine, into the build cache)."""
    from . import runners

    try:
        runners.gitlab_ci_local()
    except LocalStackError as e:
        pytest.fail(f"gitlab-ci-local could not be installed: {e}", pytrace=False)
    return runners.run_gitlab_ci_local


@pytest.fixture
def unique():
    """A factory of unique resource names, so tests never collide with each other or with earlier runs."""
    run = uuid.uuid4().hex[:8]

    def make(prefix: str) -> str:
        return f"kplantest-{prefix}-{run}-{uuid.uuid4().hex[:4]}"

    return make


class _StackTests:
    """Marks the tests that use the stack and tallies their outcomes for the summary line."""

    def __init__(self, config) -> None:
        self.config = config
        self.nodeids: set[str] = set()
        self.secured_nodeids: set[str] = set()
        self.outcomes: dict[str, int] = {}
        self.secured_ran = False
        self.to_stop: list[tuple[str, list[str]]] = []  # on the xdist controller: what the workers started

    # First, so that `-m 'not integration'` (the mark plugin's own modifyitems) sees the marker.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            if any(f in getattr(item, "fixturenames", ()) and f not in _direct_params(item) for f in FIXTURES):
                item.add_marker(pytest.mark.integration)
                self.nodeids.add(item.nodeid)
                if "secured" in item.fixturenames:
                    self.secured_nodeids.add(item.nodeid)
                if "multibroker" in item.fixturenames:
                    # serial and cluster3 too: `make integration` runs it with the others on the 3-broker cluster,
                    # while the cluster is up (in its parallel stage a worker started the cluster again, three
                    # brokers, which then ran to the stage's end: a clean clone's CI run, 2026-11-28)
                    for mark in (pytest.mark.multibroker, pytest.mark.serial, pytest.mark.cluster3):
                        item.add_marker(mark)
                if "forge" in item.fixturenames:
                    item.add_marker(pytest.mark.forge)

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.nodeid in self.nodeids:
            self.outcomes[report.outcome] = self.outcomes.get(report.outcome, 0) + 1
            self.secured_ran = self.secured_ran or report.nodeid in self.secured_nodeids

    def pytest_sessionfinish(self):
        """On an xdist worker: hand the tally to the controller (a worker's own summary is never shown)."""
        out = getattr(self.config, "workeroutput", None)
        if out is not None:
            out["localstack_outcomes"] = self.outcomes
            out["localstack_secured_ran"] = self.secured_ran

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """On the xdist controller (which collects and runs nothing itself): add up what each worker reports."""
        out = getattr(node, "workeroutput", None) or {}
        for outcome, n in out.get("localstack_outcomes", {}).items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + n
        self.secured_ran = self.secured_ran or out.get("localstack_secured_ran", False)
        self.to_stop.extend(tuple(x) for x in out.get("localstack_started", []))

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self):
        """On the xdist controller: stop what the workers started, now that none is using it (secured side first,
        the stack last)."""
        order = {"secured": 0, "oidc": 0, "forge": 0, "connect2": 0, "multibroker-connect": 0, "multibroker": 1,
                 "stack": 2}
        for what, names in sorted(self.to_stop, key=lambda x: order[x[0]]):
            _stop(what, list(names))

    def pytest_terminal_summary(self, terminalreporter):
        if self.outcomes:
            versions = pom_versions()
            parts = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
            where = f"{BOOTSTRAP} / {CONNECT_URL}"
            if self.secured_ran:
                where += f"; secured {SASL_BOOTSTRAP} / {CONNECT_SECURE_URL}"
            terminalreporter.write_line(
                f"integration tests against the real stack ({kafka_label()}"
                + ("" if matrix.kafka_version() else f", Debezium {versions.get('debezium')}")
                + f" at {where}): {parts}"
            )


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "integration: uses the real local Kafka + Connect stack (the `stack` or `secured` fixture; set automatically)",
    )
    config.addinivalue_line(
        "markers", "multibroker: uses the local 3-broker KRaft cluster (the `multibroker` fixture; set automatically, "
        "with serial and cluster3)")
    config.addinivalue_line("markers", "forge: uses the local forge, Gitea (the `forge` fixture; set automatically)")
    config.pluginmanager.register(_StackTests(config), "localstack-stack-tests")
