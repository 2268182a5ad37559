"""The local stack's pytest plugin, registered in pyproject.toml (`addopts = -p localstack.pytest_plugin`, with
`pythonpath = ["dev"]`), so no test module edits the import path.

- `stack` (session fixture): a real Kafka broker and Kafka Connect worker (with the databases). It starts the local
  stack or reuses a running one, and stops it at the end only if it started it (`KPLAN_KEEP_STACK=1` keeps it).
- `unique`: a factory of unique resource names.
- Every test that uses `stack`, directly or through another fixture, is marked `integration`, so
  `pytest -m 'not integration'` runs exactly the tests that need no stack.
- The summary line "integration tests against the real stack (...): N passed" counts those tests only — not
  tests that merely live under tests/integration/ (a folder name is a keyword, not a use of the stack) — and is
  not printed when none ran.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from . import BOOTSTRAP, CONNECT_URL, LocalStackError, down, pom_versions, up

FIXTURE = "stack"


@dataclass(frozen=True)
class LocalStack:
    bootstrap_servers: str
    connect_url: str


@pytest.fixture(scope="session")
def stack():
    try:
        started = up()
    except LocalStackError as e:
        pytest.fail(f"the local stack could not be started: {e}", pytrace=False)
    yield LocalStack(BOOTSTRAP, CONNECT_URL)
    if started and not os.environ.get("KPLAN_KEEP_STACK"):
        down()


@pytest.fixture
def unique():
    """A factory of unique resource names, so tests never collide with each other or with earlier runs."""
    run = uuid.uuid4().hex[:8]

    def make(prefix: str) -> str:
        return f"kplantest-{prefix}-{run}-{uuid.uuid4().hex[:4]}"

    return make


class _StackTests:
    """Marks the tests that use the stack and tallies their outcomes for the summary line."""

    def __init__(self) -> None:
        self.nodeids: set[str] = set()
        self.outcomes: dict[str, int] = {}

    # First, so that `-m 'not integration'` (the mark plugin's own modifyitems) sees the marker.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            if FIXTURE in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.integration)
                self.nodeids.add(item.nodeid)

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.nodeid in self.nodeids:
            self.outcomes[report.outcome] = self.outcomes.get(report.outcome, 0) + 1

    def pytest_terminal_summary(self, terminalreporter):
        if self.outcomes:
            versions = pom_versions()
            parts = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
            terminalreporter.write_line(
                f"integration tests against the real stack (Kafka {versions.get('kafka')}, Debezium "
                f"{versions.get('debezium')} at {BOOTSTRAP} / {CONNECT_URL}): {parts}"
            )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "integration: uses the real local Kafka + Connect stack (the `stack` fixture; set automatically)"
    )
    config.pluginmanager.register(_StackTests(), "localstack-stack-tests")
