"""Fixtures shared by the end-to-end tests: an admin client, and a unique name prefix per test whose topics
and connectors are removed afterwards."""

from __future__ import annotations

import gc

import pytest
from confluent_kafka.admin import AdminClient
from kplan_helpers import cleanup

from kplan.transport.kafka import dispose


@pytest.fixture(autouse=True)
def _collect_in_this_thread():
    """Collect a test's garbage here, in the main thread: a librdkafka client left in a reference cycle and
    collected on librdkafka's background thread (where admin results are delivered) aborts the whole session."""
    yield
    gc.collect()


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
