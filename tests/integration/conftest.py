"""Fixtures shared by the end-to-end tests: an admin client, and a unique name prefix per test whose topics
and connectors are removed afterwards; the local Kubernetes API server's admin and a namespace per test."""

from __future__ import annotations

import gc
import time

import pytest
import requests
from confluent_kafka.admin import AdminClient
from features_broker import FEATURES
from kplan_helpers import cleanup
from kube_helpers import STACKS, Api, cluster_binding, install_crd
from second_stack import SharedSecond

from kplan.transport.kafka import dispose


@pytest.fixture(autouse=True)
def _collect_in_this_thread(request):
    """Collect a test's garbage here, in the main thread: a librdkafka client left in a reference cycle and
    collected on librdkafka's background thread (where admin results are delivered) aborts the whole session.
    What survives an integration test is then frozen (`gc.freeze`), so that the next test's collection walks only
    what was made since, not every object of the modules imported again (~100,000: a full collection took ~50 ms in
    a test process); `_collect_all_after_a_file` collects the frozen ones too once a file's module fixtures are gone.
    Not after the tests here that use no stack: the unit stage runs them first, and a frozen heap would stay so for
    its every later test, where each stack loaded in-process asks `gc.get_freeze_count()` (kplan.stackfile.pipeline),
    which walks every frozen object (~40 ms a load)."""
    yield
    gc.collect()
    if request.node.get_closest_marker("integration"):
        gc.freeze()


_TRANSIENT = ("rebalance", "stale configuration", "conflicting operation")


@pytest.fixture(autouse=True, scope="session")
def _tests_read_connect_through_rebalances():
    """The tests' own requests to Connect (never kplan's: kplan speaks HTTP through kplan.transport.http_session)
    are retried for up to 60 s while a Connect worker answers that it is rebalancing: with several test files running
    at once, another file's connector creations rebalance the shared worker, and a test's read of its own connector,
    or its by-hand restart, then gets 409 (or 500 naming the rebalance) for a moment. Only those answers; a write
    only on such a 409, which the worker gives before acting on it (a 500 may be a timed-out request the worker
    still carries out: a write is not sent twice for it)."""
    original = requests.Session.request

    def request(self, method, url, *args, **kwargs):
        deadline = time.monotonic() + 60
        read = method.upper() == "GET"
        while True:
            response = original(self, method, url, *args, **kwargs)
            transient = response.status_code in ((409, 500) if read else (409,)) and any(
                word in response.text.lower() for word in _TRANSIENT)
            if not transient or time.monotonic() > deadline:
                return response
            time.sleep(0.5)

    requests.Session.request = request
    yield
    requests.Session.request = original


@pytest.fixture
def admin(stack):
    client = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    yield client
    dispose(client)


@pytest.fixture
def sadmin(secured):
    """An admin client of the secured listener, as the local stack's super user."""
    client = AdminClient(secured.kafka_config())
    yield client
    dispose(client)


@pytest.fixture
def prefix(request, stack, admin, unique):
    """`kplantest-<module>-...`: the test's stack name and the prefix of everything it creates."""
    p = unique(request.module.__name__.removeprefix("test_").replace("_", "-"))
    yield p
    cleanup(admin, stack.connect_url, p)


_SECOND = SharedSecond()


@pytest.fixture(scope="session")
def features_cluster(stack):
    """The broker of its own with share.version off (features_broker.py), started on first use."""
    try:
        yield FEATURES.get()
    finally:
        FEATURES.close()


@pytest.fixture(scope="session")
def second_cluster():
    """This test process's second cluster (second_stack.SharedSecond): `second_cluster.get("kafka", "connect")`."""
    try:
        yield _SECOND
    finally:
        _SECOND.close()


def _collect_all_after_a_file(item) -> None:
    """Everything, the frozen objects too, once a file's tests and module fixtures are torn down: what such a fixture
    left in a reference cycle is collected here, in the main thread, not kept for the rest of the session (and frozen
    again after an integration test's file, as `_collect_in_this_thread` does)."""
    gc.unfreeze()
    gc.collect()
    if item.get_closest_marker("integration"):
        gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Stop the second cluster as soon as the last test of this process that uses it is torn down (its files run
    one after the other, tests/conftest.py's JOINED), not at the session's end: left running, its broker, worker and
    registry took ~6 % of a core for the last six minutes of a CI run's parallel stage."""
    try:
        return (yield)
    finally:
        if "second_cluster" in item.fixturenames and (nextitem is None or
                                                      "second_cluster" not in nextitem.fixturenames):
            _SECOND.close()
        if nextitem is None or nextitem.module is not item.module:
            _collect_all_after_a_file(item)


@pytest.fixture
def admin_api(kubernetes):
    """The local API server as its admin, the KafkaStack CRD installed."""
    api = Api(kubernetes, kubernetes.admin_token())
    install_crd(api)
    return api


@pytest.fixture
def namespace(admin_api, unique):
    """A namespace of its own on the local API server, deleted after (the KafkaStacks a failed test left first)."""
    name = unique("k8s").lower()[:63]
    assert admin_api("POST", "/api/v1/namespaces", json={"metadata": {"name": name}}).status_code == 201
    yield name
    for item in admin_api("GET", STACKS.format(ns=name)).json().get("items", []):  # what a failed test left
        admin_api("PATCH", f"{STACKS.format(ns=name)}/{item['metadata']['name']}",
                  json={"metadata": {"finalizers": None}})
    admin_api("DELETE", f"/api/v1/namespaces/{name}")
    admin_api("DELETE", f"/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{cluster_binding(name)}")
