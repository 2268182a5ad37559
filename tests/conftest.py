"""Shared fixtures. The `stack` fixture gives integration tests a real Kafka broker and Kafka Connect worker:
it starts the local stack (dev/localstack/) or reuses a running one, and stops it at the end only if it
started it (set KPLAN_KEEP_STACK=1 to keep it running)."""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dev"))

import localstack  # noqa: E402

_integration_outcomes: dict[str, int] = {}


@dataclass(frozen=True)
class LocalStack:
    bootstrap_servers: str
    connect_url: str


@pytest.fixture(scope="session")
def stack() -> LocalStack:
    try:
        started = localstack.up()
    except localstack.LocalStackError as e:
        pytest.fail(f"the local stack could not be started: {e}", pytrace=False)
    yield LocalStack(localstack.BOOTSTRAP, localstack.CONNECT_URL)
    if started and not os.environ.get("KPLAN_KEEP_STACK"):
        localstack.down()


@pytest.fixture
def unique():
    """A factory of unique resource names, so tests never collide with each other or with earlier runs."""
    run = uuid.uuid4().hex[:8]

    def make(prefix: str) -> str:
        return f"kplantest-{prefix}-{run}-{uuid.uuid4().hex[:4]}"

    return make


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


def pytest_runtest_logreport(report):
    if report.when == "call" and "integration" in report.keywords:
        _integration_outcomes[report.outcome] = _integration_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    if _integration_outcomes:
        versions = localstack.pom_versions()
        parts = ", ".join(f"{n} {k}" for k, n in sorted(_integration_outcomes.items()))
        terminalreporter.write_line(
            f"integration tests against the real stack (Kafka {versions.get('kafka')}, Debezium "
            f"{versions.get('debezium')} at {localstack.BOOTSTRAP} / {localstack.CONNECT_URL}): {parts}"
        )
