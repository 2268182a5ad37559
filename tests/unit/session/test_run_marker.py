"""`kplan.session.run.execute_steps`: the run's marker in the ownership record goes when nothing was done — also
when Ctrl-C comes while the marker itself is written (it may have reached the cluster although its write did not
return) — and stays once a step has started, so that every later plan shows the unfinished run. The cluster and
the executor are fakes (the real record and kills at each write: tests/integration/test_fault_sweep.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from executor_runs import FakeStore

import kplan.session.run as run_mod
from kplan.apply.steps import Built
from kplan.model.ownership import Ownership
from kplan.state.journal import Journal, StepStatus


class FakeCluster:
    def __init__(self, interrupt_write: int | None = None):
        self.writes: list[Ownership] = []
        self.interrupt_write = interrupt_write
        self.stack = SimpleNamespace(name="s")
        self.writer = self.secrets = None

    def write_ownership(self, record: Ownership) -> None:
        self.writes.append(record)
        if len(self.writes) == self.interrupt_write:
            raise KeyboardInterrupt  # Ctrl-C while the record's write waits for its acknowledgement


def run(monkeypatch, cluster: FakeCluster, execute):
    class FakeExecutor:
        def __init__(self, *a, **kw):
            self.marker = None

        def execute(self, journal, steps, secrets):
            return execute(journal)

    monkeypatch.setattr(run_mod, "Executor", FakeExecutor)
    monkeypatch.setattr(run_mod, "run_secrets", lambda stack, live, secrets: None)
    journal = Journal("s", None, "c", "d")
    journal.ownership_before = Ownership(names={"topics": frozenset({"kept"})})
    with pytest.raises(KeyboardInterrupt):
        run_mod.execute_steps(cluster, FakeStore(), journal, Built(()), None)  # type: ignore[arg-type]
    return journal


def test_ctrl_c_while_the_marker_is_written_clears_it(monkeypatch):
    cluster = FakeCluster(interrupt_write=1)
    journal = run(monkeypatch, cluster, lambda journal: pytest.fail("no step may run"))
    marked, cleared = cluster.writes
    assert marked.run is not None and marked.owned("topics") == journal.ownership_before.owned("topics")
    assert cleared == journal.ownership_before and cleared.run is None


def test_ctrl_c_before_any_step_started_clears_the_marker(monkeypatch):
    def interrupted(journal):
        journal.steps = [{"index": 0, "kind": "create-topics", "status": StepStatus.PENDING}]
        raise KeyboardInterrupt

    cluster = FakeCluster()
    journal = run(monkeypatch, cluster, interrupted)
    assert cluster.writes[-1] == journal.ownership_before and cluster.writes[-1].run is None


def test_ctrl_c_once_a_step_started_leaves_the_run_marked(monkeypatch):
    """E.g. Ctrl-C again during the rollback of an interrupted run: the run is unfinished, and says so."""
    def interrupted(journal):
        journal.steps = [{"index": 0, "kind": "create-topics", "status": StepStatus.STARTED}]
        raise KeyboardInterrupt

    cluster = FakeCluster()
    run(monkeypatch, cluster, interrupted)
    assert [w.run is not None for w in cluster.writes] == [True]
