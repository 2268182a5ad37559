"""How each cluster's part of a run ended, as its audit event says it (kplan.commands.apply._endings): one
cluster's result, or a several-cluster run's, part by part (docs/operations.md, "The audit feed")."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.apply.executor import ApplyResult
from kplan.commands.apply import _endings
from kplan.session.run import ClusterOutcome, MultiResult
from kplan.state.journal import RunStatus


@dataclass
class _Plan:
    has_changes: bool
    groups: tuple = ()


def test_one_cluster():
    plan = _Plan(True)
    assert _endings(None, plan, 1) == [(plan, "cancelled", "")]  # not approved
    assert _endings(None, _Plan(False), 1)[0][1:] == ("nothing-to-do", "")
    assert _endings(ApplyResult(RunStatus.COMPLETE), plan, 1) == [(plan, "applied", "")]
    assert _endings(ApplyResult(RunStatus.ROLLBACK_INCOMPLETE, "boom"), plan, 1) == [
        (plan, "rollback-incomplete", "boom")]
    assert _endings(None, None, 1) == [(None, "nothing-to-do", "")]  # a recovery with nothing to recover


def test_several_clusters_each_part_its_own():
    east, west, north = _Plan(True), _Plan(False), _Plan(True)
    plan = _Plan(True, (east, west, north))
    # not approved: a part with changes was cancelled, one without had nothing to do
    assert [e[1] for e in _endings(None, plan, 3)] == ["cancelled", "nothing-to-do", "cancelled"]
    result = MultiResult([
        ClusterOutcome("east", ApplyResult(RunStatus.ROLLED_BACK, "rolled back: cluster north failed: x"),
                       rolled_back_for="cluster north failed: x"),
        ClusterOutcome("west", None),
        ClusterOutcome("north", ApplyResult(RunStatus.ROLLED_BACK, "x")),
    ])
    assert _endings(result, plan, 3) == [(east, "rolled-back", "rolled back: cluster north failed: x"),
                                         (west, "nothing-to-do", ""), (north, "rolled-back", "x")]
    # the run stopped at east: north, which had changes, was never started
    result = MultiResult([ClusterOutcome("east", ApplyResult(RunStatus.ROLLED_BACK, "x")),
                          ClusterOutcome("west", None), ClusterOutcome("north", None, skipped=True)])
    assert [e[1:] for e in _endings(result, plan, 3)] == [
        ("rolled-back", "x"), ("nothing-to-do", ""), ("error", "not applied: cluster east failed: x")]
