"""Every example stack under stacks/ that needs only the plain local stack makes the round trip on it (validate,
apply, "No changes", a no-op apply, destroy as shipped, nothing left: example_round_trip.py). The CDC example, the
secured one and the two-cluster one have files of their own (test_examples_cdc.py, test_examples_secured.py,
test_two_clusters.py), so that pytest-xdist (a file per work unit) runs them beside these."""

from __future__ import annotations

from pathlib import Path

import pytest
from example_round_trip import round_trip
from kplan_helpers import ROOT

import localstack

# Examples with a file of their own (see above).
OWN_FILE = {"cdc-postgres.yaml", "secured-access.yaml", "two-clusters.yaml"}
EXAMPLES = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if p.name not in OWN_FILE)
ENV = localstack.stack_env()  # the endpoints of the stack the tests run against, whatever its ports


def test_every_example_has_a_round_trip_test():
    """A new example under stacks/ is round-tripped here, or named by the test file of its own."""
    own_files = [Path(__file__).parent / f for f in ("test_examples_cdc.py", "test_examples_secured.py",
                                                    "test_two_clusters.py")]
    for name in OWN_FILE:
        assert any(f'"{name}"' in f.read_text() for f in own_files), name


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_round_trip(stack, example: Path, tmp_path):
    round_trip(example, ENV, tmp_path)
