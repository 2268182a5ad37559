"""Fixtures shared by the end-to-end tests: an admin client, and a unique name prefix per test whose topics
and connectors are removed afterwards."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AdminClient
from kplan_helpers import cleanup


@pytest.fixture
def admin(stack):
    return AdminClient({"bootstrap.servers": stack.bootstrap_servers})


@pytest.fixture
def prefix(request, stack, admin, unique):
    """`kplantest-<module>-...`: the test's stack name and the prefix of everything it creates."""
    p = unique(request.module.__name__.removeprefix("test_").replace("_", "-"))
    yield p
    cleanup(admin, stack.connect_url, p)
