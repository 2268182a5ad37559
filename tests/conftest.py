"""Shared fixtures come from the local stack's pytest plugin, dev/localstack/pytest_plugin.py, which
pyproject.toml registers (`-p localstack.pytest_plugin`): `stack` (a real Kafka broker and Kafka Connect
worker, started or reused for the session) and `unique` (unique resource names).

It also orders the integration tests longest file first, by the per-file seconds stored in
tests/integration/durations.json (`make durations` refreshes them): pytest-xdist hands whole files to its workers
in collection order (`--dist loadfile`), so a long file collected last would run alone at the end while the other
workers idle. A file the record does not know counts as the record's median."""

import json
import os
from pathlib import Path

import pytest

DURATIONS = Path(__file__).parent / "integration" / "durations.json"
_spent: dict[str, float] = {}


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    try:
        known = json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not known:
        return
    median = sorted(known.values())[len(known) // 2]
    # a stable sort: each file's tests keep their order, and files of equal weight theirs
    items.sort(key=lambda item: -known.get(_file_of(item.nodeid), median)
               if _file_of(item.nodeid).startswith("tests/integration/") else 0)


def pytest_runtest_logreport(report):
    """Setup, call and teardown of every test, per file (under xdist the controller gets every worker's reports)."""
    if os.environ.get("KPLAN_STORE_DURATIONS"):
        _spent[_file_of(report.nodeid)] = _spent.get(_file_of(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session):
    """With KPLAN_STORE_DURATIONS=FILE, the integration files this session ran are written (merged) into FILE."""
    target = os.environ.get("KPLAN_STORE_DURATIONS")
    if not target or hasattr(session.config, "workerinput"):
        return
    path = Path(target)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    stored.update({f: round(s, 1) for f, s in _spent.items() if f.startswith("tests/integration/")})
    path.write_text(json.dumps(dict(sorted(stored.items())), indent=1) + "\n", encoding="utf-8")


@pytest.fixture(autouse=True)
def _forget_known_secrets():
    """The run-wide known secret values (kplan.secrets.KNOWN) are per process: each test starts with none."""
    from kplan.secrets import KNOWN
    from kplan.stackfile.secret_run import forget

    KNOWN.clear()
    forget()  # and the secret commands' values, cached per process (one run)
    yield
    KNOWN.clear()
    forget()


@pytest.fixture(autouse=True)
def _end_ctrl_c_deferral():
    """A run executed in the test's process defers Ctrl-C once its last step is done (kplan.transport.interrupts);
    kplan.cli ends that deferral, a test that runs the executor itself does not: pytest's own handler comes back."""
    yield
    from kplan.transport import interrupts

    interrupts.undefer()


@pytest.fixture(autouse=True)
def _no_ctrl_c_left():
    """Ctrl-C's record (kplan.transport.interrupts: `came`, `ending`) is per process: a test's stays its own (left
    recorded, the next test's run in this process would stop before its first step, or take no Ctrl-C at all)."""
    yield
    from kplan.transport import interrupts

    interrupts.came = interrupts.ending = False
