"""The Kafka controller's per-request record limit in force for this process: `MAX_RECORDS_PER_REQUEST`, lowered by
the environment variable `KPLAN_MAX_RECORDS_PER_REQUEST` (kplan.rules.batching, where requests are cut to it).
Read here, at the I/O edge, so that the step builders stay pure: apply builds its steps within it
(`kplan.apply.steps.build`), and plan-time validation and the settle check send their requests within it."""

from __future__ import annotations

import os

from kplan.rules.batching import limit_of


def records_per_request() -> int:
    return limit_of(os.environ)
