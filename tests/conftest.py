"""Shared fixtures come from the local stack's pytest plugin, dev/localstack/pytest_plugin.py, which
pyproject.toml registers (`-p localstack.pytest_plugin`): `stack` (a real Kafka broker and Kafka Connect
worker, started or reused for the session) and `unique` (unique resource names)."""

import pytest


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
