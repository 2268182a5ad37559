"""Big topic-create batches are pipelined (kplan.apply.executor, issue 46): sent back to back, each one's outcome
journaled ("started", with what the controller confirmed) as soon as it is answered, then verified together and
journaled done. These tests pin the order of the requests and the verification, the journal at each point, and that
a failure or a kill while batches are sent and not verified rolls back every batch sent, whether the cluster lists it
yet or not."""

from __future__ import annotations

import io
import json

from executor_runs import FakeStore
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.errors import WriteError
from kplan.kinds.step import frozen
from kplan.kinds.topic.handlers import PIPELINE_MIN_PARTITIONS
from kplan.kinds.topic.steps import CreateTopics, TopicArgs
from kplan.secrets import SecretValues
from kplan.state.faults import Faults
from kplan.state.journal import Journal, RunStatus, StepStatus


def batch(name: str, partitions: int = PIPELINE_MIN_PARTITIONS) -> CreateTopics:
    """A create batch of one topic: pipelined when it has PIPELINE_MIN_PARTITIONS partitions or more."""
    return CreateTopics((TopicArgs(name, partitions, 1, frozen({})),), (name,))


class LoggingWriter(FakeWriter):
    """Logs each create request and each verification, with the journal as it was durably written then."""

    def __init__(self, store: FakeStore, fail_verify: str | None = None, **kw):
        super().__init__(**kw)
        self.store, self.fail_verify, self.log = store, fail_verify, []

    def create_topics(self, specs, results=None):
        self.log.append(("create", [s.name for s in specs], _statuses(self.store)))
        return super().create_topics(specs, results)

    def wait_topics(self, expected, timeout_s=None):
        self.log.append(("verify", sorted(expected), _statuses(self.store)))
        if self.fail_verify in expected:
            raise WriteError(f"verification failed: the cluster does not show the declared state of {self.fail_verify}")


def _statuses(store: FakeStore) -> list[str]:
    return [s["status"] for s in json.loads(store.last)["steps"]] if store.last else []


class Recording(Faults):
    def __init__(self):
        self.calls = []

    def step_started(self, index):
        self.calls.append(("started", index))

    def in_step(self, index):
        self.calls.append(("in", index))

    def after_step_ran(self, index):
        self.calls.append(("ran", index))

    def after_step(self, index):
        self.calls.append(("after", index))


def execute(writer, store, steps, faults=None):
    journal = Journal("s", None, "c", "d")
    out = io.StringIO()
    ex = Executor(writers(writer), store, SecretValues(), Progress(out), lambda record: None,
                  faults=faults or Faults())
    return ex.execute(journal, steps), journal, out.getvalue()


def test_big_batches_are_sent_back_to_back_and_done_only_once_all_are_verified():
    store = FakeStore()
    w = LoggingWriter(store)
    faults = Recording()
    result, journal, out = execute(w, store, [batch("a"), batch("b"), batch("c")], faults)
    assert result.status == RunStatus.COMPLETE
    S, D = StepStatus.STARTED, StepStatus.DONE
    assert w.log == [
        ("create", ["a"], [S, "pending", "pending"]),
        ("create", ["b"], [S, S, "pending"]),  # a is sent, not verified: its outcome is journaled, it is "started"
        ("create", ["c"], [S, S, S]),
        ("verify", ["a", "b", "c"], [S, S, S]),  # one verification for the three
    ]
    assert [e["status"] for e in journal.steps] == [D, D, D]
    assert [e["outcome"]["confirmed"] for e in journal.steps] == [["a"], ["b"], ["c"]]
    # each step's hooks in their documented places: in-step and after-step-ran once its request is answered,
    # after-step once the journal says it is done
    assert faults.calls == [("started", 0), ("in", 0), ("ran", 0), ("started", 1), ("in", 1), ("ran", 1),
                            ("started", 2), ("in", 2), ("ran", 2), ("after", 0), ("after", 1), ("after", 2)]
    assert "[1/3] create 1 topic(s): a ... sent" in out and "[1-3/3] verify ... done" in out


def test_small_batches_are_each_verified_before_the_next_is_sent():
    store = FakeStore()
    w = LoggingWriter(store)
    result, _, _ = execute(w, store, [batch("a", 1), batch("b", 1)])
    assert result.status == RunStatus.COMPLETE
    assert [(what, names) for what, names, _ in w.log] == [("create", ["a"]), ("verify", ["a"]),
                                                          ("create", ["b"]), ("verify", ["b"])]


def test_a_small_last_batch_goes_with_the_big_ones_before_it():
    store = FakeStore()
    w = LoggingWriter(store)
    result, _, _ = execute(w, store, [batch("a"), batch("b"), batch("c", 1)])
    assert result.status == RunStatus.COMPLETE
    assert [(what, names) for what, names, _ in w.log] == [("create", ["a"]), ("create", ["b"]), ("create", ["c"]),
                                                          ("verify", ["a", "b", "c"])]


def test_a_batch_alone_or_before_another_step_type_is_run_as_one_step():
    from kplan.kinds.topic.steps import AlterTopicConfigs, ConfigChange

    store = FakeStore()
    w = LoggingWriter(store, topics={"x"})
    alter = AlterTopicConfigs({"x": ConfigChange({"retention.ms": "1"})}, {"x": {"retention.ms": None}})
    result, _, _ = execute(w, store, [batch("a"), alter, batch("b")])
    assert result.status == RunStatus.COMPLETE
    assert [(what, names) for what, names, _ in w.log] == [("create", ["a"]), ("verify", ["a"]), ("verify", ["x"]),
                                                          ("create", ["b"]), ("verify", ["b"])]


def test_a_failed_verification_rolls_back_every_batch_sent_even_if_not_listed_yet():
    store = FakeStore()
    w = LoggingWriter(store, fail_verify="a", lagging={"b"})  # b confirmed by the controller, not listed yet
    result, journal, _ = execute(w, store, [batch("a"), batch("b"), batch("c")])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.deleted == ["c", "b", "a"]  # newest first
    assert [e["status"] for e in journal.steps] == [StepStatus.UNDONE] * 3
    assert journal.message.startswith("steps 1-3 (create-topics) failed: verification failed")


def test_a_failed_send_rolls_back_the_batches_sent_before_it_and_sends_no_more():
    store = FakeStore()
    w = LoggingWriter(store, foreign={"b"})  # someone else created b meanwhile: its create is refused
    result, journal, _ = execute(w, store, [batch("a"), batch("b"), batch("c")])
    assert result.status == RunStatus.ROLLED_BACK
    assert [(what, names) for what, names, _ in w.log] == [("create", ["a"]), ("create", ["b"])]
    assert w.deleted == ["a"]  # b is someone else's: never deleted
    assert [e["status"] for e in journal.steps] == [StepStatus.UNDONE, StepStatus.UNDONE, StepStatus.PENDING]
    assert journal.message.startswith("step 2 (create-topics) failed")


class KilledAt(Faults):
    """Keeps the journal as durably written when step `index` started (a SIGKILL there leaves exactly that)."""

    def __init__(self, store: FakeStore, index: int):
        self.store, self.index, self.journal = store, index, None

    def step_started(self, index):
        if index == self.index:
            self.journal = self.store.last
            # the run stops here (and this process rolls back, as after Ctrl-C); the test recovers, in another
            # writer, from the journal kept above, as `kplan recover --rollback` would after a SIGKILL
            raise SystemExit("killed")


def test_a_kill_between_two_sends_is_rolled_back_from_the_journal_alone_even_before_the_cluster_lists_them():
    store = FakeStore()
    w = FakeWriter(lagging={"b"})
    kill = KilledAt(store, 2)
    execute(w, store, [batch("a"), batch("b"), batch("c")], kill)
    journal = Journal.from_json(json.loads(kill.journal))
    # a and b sent and answered: "started", with what the controller confirmed; c not sent yet
    assert [e["status"] for e in journal.steps] == [StepStatus.STARTED] * 3
    assert [e.get("outcome") for e in journal.steps] == [{"created": ["a"], "confirmed": ["a"]},
                                                         {"created": ["b"], "confirmed": ["b"]}, None]

    recovered = FakeWriter(topics={"a"})  # b is not listed yet
    ex = Executor(writers(recovered), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    result = ex.rollback(journal, None, "interrupted", final=True)
    assert result.status == RunStatus.ROLLED_BACK, result
    assert recovered.deleted == ["b", "a"]  # c was never sent: nothing of it to delete
