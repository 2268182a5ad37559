"""Every example stack under stacks/ converges on the real stack: validate, apply, then plan shows "No changes".
(The examples stay applied: they are what `make demo` and the README show; applying them again is a no-op.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from kplan_helpers import ROOT, kplan

import localstack

# Examples for the secured side of the local stack (SASL_SSL, the authorizer): applied with the `secured` fixture.
SECURED = {"secured-access.yaml"}
# Examples that need a second cluster: applied by tests/integration/test_two_clusters.py.
TWO_CLUSTERS = {"two-clusters.yaml"}
EXAMPLES = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if p.name not in SECURED | TWO_CLUSTERS)
ENV = localstack.stack_env()  # the endpoints of the stack the tests run against, whatever its ports


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_converges(stack, example: Path):
    _converges(example, ENV)


@pytest.mark.parametrize("name", sorted(SECURED))
def test_secured_example_converges(secured, name: str):
    _converges(ROOT / "stacks" / name, {**ENV, "KPLAN_SASL_BOOTSTRAP": secured.bootstrap_servers,
                                        "KPLAN_CA_FILE": secured.ca_file, "KPLAN_ADMIN_USER": secured.admin_user,
                                        "KPLAN_ADMIN_PASSWORD": secured.admin_password,
                                        "ORDERS_SERVICE_PASSWORD": "orders-service-example-pw"})


def _converges(example: Path, env: dict) -> None:
    assert kplan("validate", str(example), env=env).code == 0
    env_args = ["-e", "dev"] if "\n  dev:" in example.read_text() else []
    r = kplan("apply", str(example), *env_args, "--auto-approve", env=env)
    assert r.code == 0, r.text
    r = kplan("plan", str(example), *env_args, "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    r = kplan("apply", str(example), *env_args, "--auto-approve", env=env)
    assert r.code == 0 and "No changes" in r.out, r.text
