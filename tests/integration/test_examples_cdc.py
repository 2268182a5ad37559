"""stacks/cdc-postgres.yaml (a Debezium source on the local PostgreSQL, `-e dev` as its header runs it) makes the
round trip (example_round_trip.py) — in a file of its own: its connector makes it the slowest example."""

from __future__ import annotations

from example_round_trip import round_trip
from kplan_helpers import ROOT

import localstack


def test_cdc_postgres_example_round_trip(stack, tmp_path):
    round_trip(ROOT / "stacks" / "cdc-postgres.yaml", localstack.stack_env(), tmp_path)
