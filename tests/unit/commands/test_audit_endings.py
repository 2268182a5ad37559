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


def test_a_run_interrupted_between_clusters_tells_what_each_part_did(monkeypatch):
    """Ctrl-C after east's part completed, before north's started (kplan.session.run.Interrupted): east's event says
    applied, north's cancelled; west had nothing to do."""
    import pytest

    from kplan.commands.apply import audited
    from kplan.session.run import Interrupted
    from kplan.state import audit

    east, west, north = _Plan(True), _Plan(False), _Plan(True)
    plan = _Plan(True, (east, west, north))
    assert [e[1] for e in _endings(MultiResult([ClusterOutcome("east", ApplyResult(RunStatus.COMPLETE))]), plan, 3)] \
        == ["applied", "nothing-to-do", "cancelled"]

    written = []
    monkeypatch.setattr(audit, "event", lambda command, stack, cluster_id, part, outcome, **kw: (part, outcome))
    monkeypatch.setattr(audit, "write", lambda cluster, topic, doc: written.append(doc))

    def call():
        stopped = Interrupted(MultiResult([ClusterOutcome("east", ApplyResult(RunStatus.COMPLETE)),
                                           ClusterOutcome("west", None)]))
        stopped.plan = plan
        raise stopped

    clusters = [type("C", (), {"stack": None, "cluster_id": c})() for c in ("e", "w", "n")]
    with pytest.raises(KeyboardInterrupt):
        audited(call, clusters, "audit", "apply", "run-1")
    assert written == [(east, "applied"), (west, "nothing-to-do"), (north, "cancelled")]
