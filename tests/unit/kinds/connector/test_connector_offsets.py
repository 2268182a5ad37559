"""Connector offsets across deletion and rollback, over the fake writer (the fake keeps a deleted connector's
offsets, as Connect does; tests/integration/test_cdc_recreate.py runs the same against the real worker with
Debezium). A connector kplan deletes leaves no offsets behind; an undo puts back exactly what was there."""

from __future__ import annotations

import io
import json

from executor_runs import FakeStore, put_step, run, topics_step
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.kinds.connector.steps import ConnectorImage, DeleteConnector
from kplan.kinds.step import frozen
from kplan.model.desired import ConnectorState
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, RunStatus, StepStatus

CFG = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "topic.prefix": "p"}
LSN = [{"partition": {"server": "p"}, "offset": {"lsn": 12345, "txId": 77}}]


def _deleting(state="running"):
    w = FakeWriter(connectors={"c": dict(CFG)})
    w.states["c"] = ConnectorState(state)
    w.offsets["c"] = [dict(o) for o in LSN]
    return w, DeleteConnector("c", ConnectorImage(frozen(CFG), state))


def test_a_deleted_connector_leaves_no_offsets_behind():
    w, step = _deleting()
    store = FakeStore()
    result, journal = run(w, [step], store=store)
    assert result.status == RunStatus.COMPLETE
    assert "c" not in w.connectors and w.offsets["c"] == []
    # what was reset is journaled with the step, for an undo from the journal alone
    assert journal.steps[0]["outcome"] == {"offsets": LSN}
    assert json.loads(store.last)["steps"][0]["outcome"] == {"offsets": LSN}


def test_a_rolled_back_deletion_brings_the_connector_back_with_its_offsets_and_state():
    w, step = _deleting(state="paused")
    result, journal = run(w, [step, topics_step("t")], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors["c"] == CFG and w.states["c"] == ConnectorState.PAUSED
    assert w.offsets["c"] == LSN
    assert journal.steps[0]["status"] == StepStatus.UNDONE


def test_a_recovery_from_the_journal_alone_puts_the_offsets_back():
    w, step = _deleting()
    result, journal = run(w, [step, topics_step("t")], fail_at=1)
    # as if the process had died after the deletion: a later `kplan recover --rollback` reads the journal
    w2 = FakeWriter()
    w2.offsets["c"] = []  # what the deletion left
    again = Journal.from_json(json.loads(json.dumps(journal.to_json())))
    for entry in again.steps:
        entry["status"] = StepStatus.DONE
    ex = Executor(writers(w2), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    recovered = ex.rollback(again, None, "interrupted")
    assert recovered.status == RunStatus.ROLLED_BACK, recovered.not_rolled_back
    assert w2.connectors["c"] == CFG and w2.offsets["c"] == LSN and w2.states["c"] == ConnectorState.RUNNING


def test_a_deletion_that_failed_before_reading_the_offsets_only_resumes_the_connector():
    class StopRefused(FakeWriter):
        def connector_offsets(self, name):
            raise RuntimeError("Connect is gone")

    w = StopRefused(connectors={"c": dict(CFG)})
    w.offsets["c"] = [dict(o) for o in LSN]
    result, _ = run(w, [DeleteConnector("c", ConnectorImage(frozen(CFG), "running"))])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors["c"] == CFG and w.states["c"] == ConnectorState.RUNNING and w.offsets["c"] == LSN


class Committing(FakeWriter):
    """A connector that runs commits offsets of its own."""

    def set_connector_state(self, name, state):
        super().set_connector_state(name, state)
        if state == ConnectorState.RUNNING:
            self.offsets[name] = [{"partition": {"server": "p"}, "offset": {"lsn": 99999}}]


def test_a_created_connector_rolled_back_leaves_the_offsets_it_found():
    w = Committing()
    result, journal = run(w, [put_step("c", config=CFG), topics_step("t")], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK and "c" not in w.connectors
    assert w.offsets["c"] == []  # none found, none left (it had committed some while it ran)
    assert journal.steps[0]["outcome"] == {"created": True, "offsets_before": []}

    left = Committing()
    left.offsets["c"] = [dict(o) for o in LSN]  # left by an earlier connector of that name, deleted elsewhere
    result, _ = run(left, [put_step("c", config=CFG), topics_step("t")], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK and "c" not in left.connectors
    assert left.offsets["c"] == LSN


def test_a_connector_someone_else_deleted_meanwhile_is_not_brought_back_by_the_rollback():
    w = FakeWriter()  # planned for deletion, gone by the time the step runs
    result, journal = run(w, [DeleteConnector("c", ConnectorImage(frozen(CFG), "running")), topics_step("t")],
                          fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK
    assert "c" not in w.connectors and journal.steps[0]["outcome"] == {"gone": True}
