"""Every one-time request kind killed at the start and in the middle of its step, then `kplan recover --resume`:
the request is applied (AFTER: the offsets are the request's target, or the group is gone, and the next plan has
nothing to do). Before issue 41 a first request (no token recorded) killed at the start of its step was recorded as
applied by the resume without moving anything ("nothing was left to do; it is complete"). A `--rollback` at the
same points ends BEFORE (the offsets as they were and the request still to apply), or AFTER once an irreversible
delete was requested. The trials: tests/integration/request_sweep.py (its docstring says how they are judged)."""

from __future__ import annotations

import pytest
from kplan_helpers import one_point_per_kind, sampled
from request_sweep import POINTS, RequestSweep

# CI: each kind once, at the start or in the middle in turn (KPLAN_ALL_CASES=1: both points of every kind)
CASES = sampled([(k, pt) for k, points in POINTS.items() for pt in ("start", "middle") if pt in points],
                one_point_per_kind)


@pytest.fixture(scope="module")
def sweep(stack, tmp_path_factory):
    return RequestSweep(stack.bootstrap_servers, stack.connect_url, tmp_path_factory.mktemp("requests"))


@pytest.mark.parametrize("kind,point", CASES, ids=[f"{k}@{p}" for k, p in CASES])
def test_a_request_killed_in_its_step_is_applied_by_resume(sweep, kind, point):
    res = sweep.trial(kind, point, "resume")
    assert res.verdict == "AFTER", res.detail()


ROLLBACKS = [("group-earliest", "middle", "BEFORE"), ("group-delete", "start", "BEFORE"),
             ("group-delete", "end", "AFTER"), ("connector-reset", "stopped", "BEFORE"),
             ("records-offsets", "middle", "BEFORE"), ("records-time", "end", "AFTER")]


@pytest.mark.parametrize("kind,point,verdict", ROLLBACKS, ids=[f"{k}@{p}" for k, p, _ in ROLLBACKS])
def test_a_request_killed_in_its_step_is_rolled_back(sweep, kind, point, verdict):
    """BEFORE; or, once the group's or the records' deletion was done (irreversible, named by the rollback), AFTER."""
    res = sweep.trial(kind, point, "rollback")
    assert res.verdict == verdict, res.detail()
