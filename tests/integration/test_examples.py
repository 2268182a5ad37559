"""Every example stack under stacks/ converges on the real stack: validate, apply, then plan shows "No changes".
(The examples stay applied: they are what `make demo` and the README show; applying them again is a no-op.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from kplan_helpers import ROOT, kplan

import localstack

EXAMPLES = sorted((ROOT / "stacks").glob("*.yaml"))
ENV = {"KPLAN_PG_PASSWORD": localstack.PG_PASSWORD}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_converges(stack, example: Path):
    assert kplan("validate", str(example), env=ENV).code == 0
    env_args = ["-e", "dev"] if "\n  dev:" in example.read_text() else []
    r = kplan("apply", str(example), *env_args, "--auto-approve", env=ENV)
    assert r.code == 0, r.text
    r = kplan("plan", str(example), *env_args, "--detailed-exitcode", env=ENV)
    assert r.code == 0 and "No changes." in r.out, r.text
    r = kplan("apply", str(example), *env_args, "--auto-approve", env=ENV)
    assert r.code == 0 and "No changes" in r.out, r.text
