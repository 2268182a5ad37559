"""The example stacks the docs (docs/stack-tour.md) and `make demo` point at exist (tests/integration/test_examples.py
applies each one to the real stack; this needs none)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_there_are_examples():
    examples = sorted((ROOT / "stacks").glob("*.yaml"))
    assert {p.name for p in examples} >= {"cdc-postgres.yaml", "request-response.yaml", "kafka-init.yaml",
                                              "secured-access.yaml"}
