"""Recovery's rules over fakes: one run keeps one history across resumes, undos that fail are retried and hold
back what they still need, the journal says when a run is unfinished, the record while it is, and when a lock's
holder is provably dead. (The same paths on the real stack: tests/integration/test_recovery.py, the outage tests
and the fault sweep.)"""

from __future__ import annotations

import io
import os
import socket

from executor_runs import FailAt, FakeStore, put_step, topics_step
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.apply.steps.ownership import RecordOwnership
from kplan.errors import KplanError, WriteError
from kplan.model.ownership import Ownership
from kplan.secrets import SecretValues
from kplan.state.faults import Faults
from kplan.state.journal import Journal, RunStatus, StepStatus
from kplan.state.lock import Holder, process_identity
from kplan.transport.reach import ClusterUnreachable


def executor(writer, fail_at=None, store=None):
    return Executor(writers(writer), store or FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None,
                    faults=FailAt(fail_at) if fail_at is not None else Faults())


class ConnectDown(FakeWriter):
    """Connect unreachable while `down`: every connector call fails as a dead worker's would."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.down = False

    def delete_connector(self, name):
        if self.down:
            raise KplanError("Connect at http://127.0.0.1:1: still failing after 10s of retries: connection refused")
        super().delete_connector(name)


def test_a_resume_continues_the_journal_and_a_later_rollback_undoes_the_whole_run():
    w = FakeWriter()
    journal = Journal("s", None, "c", "d")
    # the interrupted run: its first step done, then it died (its second step never started)
    ex = executor(w)
    ex.execute(journal, [topics_step("a")])
    journal.status = RunStatus.RUNNING  # as a killed run leaves it
    # the resume appends what is left; it dies too
    journal.taken_over("resume", first_step=len(journal.steps))
    executor(w).execute(journal, [topics_step("b")])
    journal.status = RunStatus.RUNNING
    assert [s["index"] for s in journal.steps] == [0, 1] and w.topics == {"a", "b"}
    assert journal.recoveries[0]["action"] == "resume" and journal.recoveries[0]["first_step"] == 1
    # a rollback from the journal alone undoes both runs' steps, newest first
    result = executor(w).rollback(journal, None, "interrupted")
    assert result.status == RunStatus.ROLLED_BACK
    assert result.rolled_back == ["create 1 topic(s): b", "create 1 topic(s): a"] and w.topics == set()


def test_a_failure_inside_a_resume_rolls_back_the_interrupted_runs_steps_too():
    w = FakeWriter()
    journal = Journal("s", None, "c", "d")
    executor(w).execute(journal, [topics_step("a")])
    journal.status = RunStatus.RUNNING
    result = executor(w, fail_at=0).execute(journal, [topics_step("b")])
    assert result.status == RunStatus.ROLLED_BACK and w.topics == set()


def test_a_connector_that_could_not_be_deleted_keeps_the_topics_and_the_retry_finishes():
    w = ConnectDown()
    journal = Journal("s", None, "c", "d")
    # topics, then the connector; the run fails after the connector step and Connect is gone
    w.down = True
    result = executor(w, fail_at=1).execute(journal, [topics_step("t"), put_step("c")])
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    assert w.topics == {"t"} and "c" in w.connectors  # the connector may still write to t: t stays
    assert result.undo_left == ["create connector c (running)", "create 1 topic(s): t"]
    assert [s["status"] for s in journal.steps] == [StepStatus.UNDO_FAILED, StepStatus.UNDO_FAILED]
    assert "held back" in result.not_rolled_back[1]
    assert journal.unfinished  # recoverable
    # Connect comes back: recover --rollback retries both, connector first
    w.down = False
    again = executor(w).rollback(journal, None, journal.message)
    assert again.status == RunStatus.ROLLED_BACK and again.undo_left == []
    assert w.topics == set() and "c" not in w.connectors
    assert not journal.unfinished


def test_recover_gives_up_an_undo_that_is_refused_and_those_it_holds_back_so_the_run_ends():
    w = ConnectDown()
    journal = Journal("s", None, "c", "d")
    w.down = True
    executor(w, fail_at=1).execute(journal, [topics_step("t"), put_step("c")])
    assert journal.unfinished  # the run's own rollback leaves the undos to retry
    # `kplan recover --rollback` (final): Connect refuses the delete for good
    w.delete_connector = lambda name: (_ for _ in ()).throw(WriteError("Kafka Connect answered 403: forbidden"))
    result = executor(w).rollback(journal, None, journal.message, final=True)
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and result.undo_left == []
    assert [s["status"] for s in journal.steps] == [StepStatus.NOT_UNDONE, StepStatus.NOT_UNDONE]
    assert not journal.unfinished  # the run is over
    assert w.topics == {"t"} and "c" in w.connectors  # never claimed undone
    assert result.left_by_hand == ["create connector c (running): delete connector c by hand (DELETE "
                                   "/connectors/c; this run created it)",
                                   "create 1 topic(s): t: delete by hand those of the topics t that still exist "
                                   "(this run created them)"]
    assert "403: forbidden; to do: delete connector c by hand" in journal.steps[1]["error"]
    assert "not retried" in result.not_rolled_back[0] and "held back, not retried" in result.not_rolled_back[1]
    # a later rollback retries nothing and names them again
    again = executor(w).rollback(journal, None, journal.message, final=True)
    assert again.rolled_back == [] and len(again.left_by_hand) == 2 and w.topics == {"t"}


def test_recover_keeps_retrying_an_undo_whose_system_did_not_answer():
    w = ConnectDown()
    journal = Journal("s", None, "c", "d")
    w.down = True
    executor(w, fail_at=1).execute(journal, [topics_step("t"), put_step("c")])
    w.delete_connector = lambda name: (_ for _ in ()).throw(ClusterUnreachable("Kafka Connect did not answer"))
    result = executor(w).rollback(journal, None, journal.message, final=True)
    assert [s["status"] for s in journal.steps] == [StepStatus.UNDO_FAILED, StepStatus.UNDO_FAILED]
    assert result.left_by_hand == [] and len(result.undo_left) == 2 and journal.unfinished


def test_an_irreversible_step_is_final_and_a_run_with_only_those_left_is_finished():
    from kplan.kinds.topic.steps import IncreasePartitions

    w = FakeWriter(topics={"t"}, partitions={"t": 1})
    journal = Journal("s", None, "c", "d")
    result = executor(w, fail_at=1).execute(journal, [IncreasePartitions({"t": 2}, {"t": 1}), topics_step("u")])
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and result.undo_left == []
    assert journal.steps[0]["status"] == StepStatus.IRREVERSIBLE
    assert not journal.unfinished
    assert [s["kind"] for s in journal.steps_in(StepStatus.IRREVERSIBLE)] == ["increase-partitions"]


def test_an_old_journal_whose_irreversible_step_says_undo_failed_converges():
    from kplan.kinds.topic.steps import IncreasePartitions

    journal = Journal("s", None, "c", "d", status=RunStatus.ROLLBACK_INCOMPLETE)
    step = IncreasePartitions({"t": 2}, {"t": 1})
    journal.steps = [{"index": 0, **step.to_json(), "status": StepStatus.UNDO_FAILED,
                      "error": "irreversible (cannot be undone)", "outcome": {"requested": True}}]
    assert journal.unfinished  # written by an older version: retried once
    result = executor(FakeWriter(partitions={"t": 2})).rollback(journal, None, "")
    assert result.undo_left == [] and journal.steps[0]["status"] == StepStatus.IRREVERSIBLE
    assert not journal.unfinished


def test_the_pending_record_owns_everything_before_and_every_record_the_run_writes():
    journal = Journal("s", None, "c", "d")
    journal.ownership_before = Ownership(names={"topics": frozenset({"a", "gone"}), "connectors": frozenset({"x"})},
                                         sensitive={"x": ("password",)})
    first = RecordOwnership(Ownership(names={"topics": frozenset({"a", "b"}), "connectors": frozenset({"x", "y"})},
                                      protected={"topics": frozenset({"b"})}, sensitive={"y": ("token",)}))
    second = RecordOwnership(Ownership(names={"topics": frozenset({"a", "b", "c"})}))
    journal.steps = [{"index": i, **s.to_json(), "status": StepStatus.PENDING, "error": ""}
                     for i, s in enumerate([topics_step("b"), first, second])]
    pending = journal.pending_ownership()
    assert pending.owned("topics") == {"a", "gone", "b", "c"} and pending.owned("connectors") == {"x", "y"}
    assert pending.protects("topics") == {"b"} and dict(pending.sensitive) == {"x": ("password",), "y": ("token",)}
    assert pending.run is None


def test_which_runs_are_unfinished():
    def journal(status, *step_statuses):
        j = Journal("s", None, "c", "d", status=status)
        j.steps = [{"index": i, "kind": "create-topics", "status": s} for i, s in enumerate(step_statuses)]
        return j

    assert journal(RunStatus.RUNNING).unfinished and journal(RunStatus.ROLLING_BACK).unfinished
    assert journal(RunStatus.ROLLBACK_INCOMPLETE, StepStatus.UNDONE, StepStatus.UNDO_FAILED).unfinished
    assert not journal(RunStatus.ROLLBACK_INCOMPLETE, StepStatus.IRREVERSIBLE, StepStatus.UNDONE).unfinished
    assert not journal(RunStatus.COMPLETE).unfinished and not journal(RunStatus.ROLLED_BACK).unfinished


def test_taking_over_a_run_makes_this_process_its_holder_and_keeps_the_history():
    j = Journal("s", None, "c", "d", host="elsewhere", pid=1)
    j.taken_over("rollback")
    assert (j.host, j.pid) == (socket.gethostname(), os.getpid())
    assert j.recoveries == [{"action": "rollback", "at": j.recoveries[0]["at"], "host": socket.gethostname(),
                             "pid": os.getpid(), "previous_host": "elsewhere", "previous_pid": 1}]
    assert Journal.from_json(j.to_json()).recoveries == j.recoveries


def _dead_pid() -> int:
    pid = 2 ** 22 - 7
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        pid -= 1


def test_a_lock_holder_is_dead_only_when_this_machine_can_tell():
    me = socket.gethostname()
    alive = Holder(me, os.getpid(), "r", "t", process_identity(os.getpid()))
    assert not alive.provably_dead()
    assert Holder(me, _dead_pid(), "r", "t").provably_dead()
    # the pid now belongs to another process (started later): the holder is gone
    assert Holder(me, os.getpid(), "r", "t", "another-boot:1").provably_dead()
    # another host: cannot tell from here
    assert not Holder(me + "-other", _dead_pid(), "r", "t").provably_dead()
    # a holder written by an older version (no process identity) whose pid is alive: alive
    assert not Holder(me, os.getpid(), "r", "t").provably_dead()


def test_a_lock_holder_is_alive_only_when_this_machine_can_tell():
    me = socket.gethostname()
    assert Holder(me, os.getpid(), "r", "t", process_identity(os.getpid())).alive_here()
    assert not Holder(me, _dead_pid(), "r", "t").alive_here()
    assert not Holder(me, os.getpid(), "r", "t", "another-boot:1").alive_here()  # the pid was reused
    assert not Holder(me + "-other", os.getpid(), "r", "t").alive_here()  # another host: cannot tell
    assert Holder.from_json({"host": me, "pid": 1, "run_id": "r", "since": "t"}).process == ""


def test_a_resumed_runs_own_rollback_is_final_too():
    """`kplan recover --resume` sets `Executor.final` (kplan.session.run.execute_steps): a step of the resume that
    fails is rolled back, and an undo refused there is given up, so the recovery ends the run."""
    w = ConnectDown()
    journal = Journal("s", None, "c", "d")
    w.delete_connector = lambda name: (_ for _ in ()).throw(WriteError("Kafka Connect answered 403: forbidden"))
    ex = executor(w, fail_at=1)
    ex.final = True
    result = ex.execute(journal, [topics_step("t"), put_step("c")])
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and result.undo_left == []
    assert len(result.left_by_hand) == 2 and not journal.unfinished
