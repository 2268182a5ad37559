"""The executor's rollback logic over a fake writer: what a run may undo, and what it must report it could not.
(The same paths run against the real stack in tests/integration/test_apply.py and test_safety.py.)
Also: the fake writer (tests/unit/fakes.py) implements every kind's io its handlers call (`ctx.io(...)`), exactly."""

from __future__ import annotations

import ast
import inspect
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from executor_runs import FailAt, FakeStore, put_step, run, topics_step
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.apply.steps import Step
from kplan.apply.steps.ownership import RecordOwnership
from kplan.errors import KplanError
from kplan.kinds.connector.steps import ConnectorImage, ConnectorSecrets, DeleteConnector
from kplan.kinds.step import Phase, StepBase, frozen, step_types
from kplan.kinds.topic.steps import DeleteTopics, IncreasePartitions, ReplaceTopics, TopicArgs
from kplan.kinds.user.steps import AlterUsers
from kplan.model.desired import ConnectorState
from kplan.model.ownership import Ownership
from kplan.secrets import MASKED, SecretValues
from kplan.state.faults import Faults
from kplan.state.journal import Journal, RunStatus, StepStatus

# -- what a rollback may undo ------------------------------------------------------------------------------------


def test_a_topic_someone_else_created_meanwhile_is_never_deleted_by_the_rollback():
    w = FakeWriter(foreign={"theirs"})
    result, journal = run(w, [topics_step("ours", "theirs")])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.deleted == ["ours"] and "theirs" in w.topics
    assert journal.steps[0]["outcome"] == {"created": ["ours"], "confirmed": ["ours"]}


def test_a_confirmed_creation_is_deleted_even_before_metadata_shows_it():
    w = FakeWriter(lagging={"slow"})
    result, _ = run(w, [topics_step("slow")], fail_at=0)
    assert result.status == RunStatus.ROLLED_BACK and w.deleted == ["slow"]


def test_a_connector_someone_else_created_meanwhile_is_never_deleted_by_the_rollback():
    w = FakeWriter(connectors={"c": {"connector.class": "X", "topic": "theirs"}})
    result, _ = run(w, [put_step("c")])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors == {"c": {"connector.class": "X", "topic": "theirs"}}


def test_an_accepted_deletion_that_was_cut_short_is_reported_not_rolled_back():
    w = FakeWriter(topics={"t"}, fail_wait_gone=True)
    step = DeleteTopics(("t",), frozen({"t": TopicArgs("t", 1, 1)}))
    result, journal = run(w, [step])
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and result.exit_code == 3
    assert "irreversible" in result.not_rolled_back[0]
    assert journal.steps[0]["outcome"] == {"requested": True}


def test_a_refused_deletion_changed_nothing_and_counts_as_rolled_back():
    w = FakeWriter(topics={"t"}, refuse_delete=True)
    step = DeleteTopics(("t",), frozen({"t": TopicArgs("t", 1, 1)}))
    result, journal = run(w, [step])
    assert result.status == RunStatus.ROLLED_BACK and result.exit_code == 1
    assert "t" in w.topics
    assert journal.steps[0]["outcome"] == {"requested": True, "accepted": False}


def test_an_irreversible_step_that_ran_is_reported_when_a_later_step_fails():
    w = FakeWriter(topics={"t"}, partitions={"t": 1})
    grow = IncreasePartitions(frozen({"t": 2}), frozen({"t": 1}))
    result, journal = run(w, [grow, topics_step("u")], fail_at=1)
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    assert result.rolled_back == ["create 1 topic(s): u"]
    assert result.not_rolled_back == ["increase partitions of t: irreversible (cannot be undone)"]
    assert [e["status"] for e in journal.steps] == [StepStatus.IRREVERSIBLE, StepStatus.UNDONE]


def test_done_steps_are_undone_in_reverse_and_a_clean_run_completes():
    w = FakeWriter()
    result, _ = run(w, [topics_step("a"), topics_step("b")], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK
    assert w.deleted == ["b", "a"]
    result, journal = run(FakeWriter(), [topics_step("a")])
    assert result.status == RunStatus.COMPLETE and journal.status == RunStatus.COMPLETE


def test_a_connector_update_is_undone_from_memory_with_its_secrets():
    live = {"connector.class": "X", "db.password": "old-Secret-1", "topic": "a"}
    w = FakeWriter(connectors={"c": dict(live)})
    new = {"connector.class": "X", "db.password": "new-Secret-2", "topic": "b"}
    previous = ConnectorImage(frozen(live), "running")
    step = put_step("c", config={**new, "db.password": dict(MASKED)}, create=False,
                    previous=previous.masked(frozenset({"db.password"})), changed_keys=("db.password", "topic"))
    store = FakeStore()
    result, _ = run(w, [step, topics_step("t")], fail_at=1, store=store,
                    unmasked={0: ConnectorSecrets(frozen(new), previous)})
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors["c"] == live  # the secret put back from memory
    assert "Secret" not in store.last  # and never journaled


def test_from_the_journal_alone_a_secret_the_step_changed_cannot_be_restored():
    live = {"connector.class": "X", "db.password": "old-Secret-1", "topic": "a"}
    w = FakeWriter(connectors={"c": dict(live)})
    step = put_step("c", config={"connector.class": "X", "db.password": dict(MASKED), "topic": "b"}, create=False,
                    previous=ConnectorImage(frozen(live), "running").masked(frozenset({"db.password"})),
                    changed_keys=("db.password", "topic"))
    result, journal = run(w, [step, topics_step("t")], fail_at=1, unmasked={0: ConnectorSecrets()})
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    assert "db.password are secrets" in result.not_rolled_back[0]
    # a recovery that reads the journal sees the same
    ex = Executor(writers(w), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    journal.steps[0]["status"] = StepStatus.DONE
    again = ex.rollback(Journal.from_json(json.loads(json.dumps(journal.to_json()))), None, "interrupted")
    assert again.status == RunStatus.ROLLBACK_INCOMPLETE


def test_a_deleted_connector_is_recreated_with_its_previous_config():
    cfg = {"connector.class": "X", "topic": "a"}
    w = FakeWriter(connectors={"c": dict(cfg)})
    step = DeleteConnector("c", ConnectorImage(frozen(cfg), "paused"))
    result, _ = run(w, [step, topics_step("t")], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK
    assert w.connectors["c"] == cfg and w.states["c"] == ConnectorState.PAUSED


def test_the_record_step_keeps_the_run_marker_and_its_undo_keeps_everything_either_record_owns():
    records = []
    ex = Executor(writers(FakeWriter()), FakeStore(), SecretValues(), Progress(io.StringIO()), records.append,
                  faults=FailAt(0))
    step = RecordOwnership(Ownership(names={"topics": frozenset({"b"})}), Ownership(names={"topics": frozenset({"a"})}))
    journal = Journal("s", None, "c", "d")
    ex.marker = journal.marker()
    ex.execute(journal, [step])
    # the marker is cleared only once the journal says the run is complete (by the caller, kplan.session.run);
    # while the rollback runs, what either record names may exist, so it stays owned
    assert [r.to_json() for r in records] == [
        {**Ownership(names={"topics": frozenset({"b"})}).to_json(), "run": journal.marker()},
        {**Ownership(names={"topics": frozenset({"a", "b"})}).to_json(), "run": journal.marker()}]


def test_a_snapshot_signal_is_sent_with_its_arguments():
    from kplan.kinds.connector.steps import SnapshotSignal

    w = FakeWriter()
    result, _ = run(w, [SnapshotSignal("cdc", ("public.b",), "sig", "p", "p.signals")])
    assert result.status == RunStatus.COMPLETE
    assert w.signals == [("cdc", ("public.b",), "sig", "p", "p.signals")]


# -- the fault hooks, and steps nobody handles ----------------------------------------------------------------------


def test_the_fault_hooks_are_called_in_order_around_each_step():
    calls = []

    class Recording(Faults):
        def in_step(self, index):
            calls.append(("in", index))

        def after_step_ran(self, index):
            calls.append(("ran", index))

        def after_step(self, index):
            calls.append(("after", index))

    ex = Executor(writers(FakeWriter()), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda r: None,
                  faults=Recording())
    ex.execute(Journal("s", None, "c", "d"), [topics_step("a"), topics_step("b")])
    assert calls == [("in", 0), ("ran", 0), ("after", 0), ("in", 1), ("ran", 1), ("after", 1)]


def test_product_code_reads_no_test_switch_and_never_installs_faults():
    """Faults reach a run only from test code: no KPLAN_TEST_* variable is read, and nothing in kplan but
    kplan/state/faults.py itself names `install`."""
    import kplan

    for path in Path(kplan.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert "KPLAN_TEST_" not in text, path
        if path.name == "faults.py":
            continue
        names = {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom) for a in n.names}
        assert "install" not in names, path


def test_an_injected_failure_fails_the_step_after_its_writes():
    w = FakeWriter()
    result, journal = run(w, [topics_step("a")], fail_at=0)
    assert result.error == "injected failure after step 1"
    assert journal.steps[0]["status"] == StepStatus.UNDONE and w.deleted == ["a"]


@dataclass(frozen=True)
class Unhandled(StepBase):  # no `kind`: not registered as a journal kind either
    phase: ClassVar[Phase] = Phase.CREATE_TOPICS

    def describe(self) -> str:
        return "nothing"


def test_a_step_without_a_handler_stops_the_run_before_anything_is_done():
    store = FakeStore()
    ex = Executor(writers(FakeWriter()), store, SecretValues(), Progress(io.StringIO()), lambda r: None)
    with pytest.raises(KplanError, match="no handler for apply step Unhandled"):
        ex.execute(Journal("s", None, "c", "d"), [topics_step("a"), Unhandled()])
    assert store.writes == 0


def test_a_journal_with_an_unknown_step_kind_cannot_be_rolled_back_blindly():
    with pytest.raises(KplanError, match="'no-such-kind'"):
        Step.from_json({"kind": "no-such-kind", "args": {}, "before": {}})


def test_every_step_type_has_a_handler_and_the_irreversible_ones_are_flagged():
    from kplan.kinds.handler import _HANDLERS

    assert set(step_types().values()) <= set(_HANDLERS)
    from kplan.kinds.connector.steps import DropCdcDatabaseObjects
    from kplan.kinds.group_request.steps import DeleteConsumerGroup
    from kplan.kinds.records.steps import DeleteRecords
    from kplan.kinds.streams_app.steps import DeleteInternalTopics
    from kplan.kinds.subject.steps import DeleteSubjects
    from kplan.kinds.topic.steps import ChangeTieredStorage

    # DeleteUsers is undone where the stack declares the password kplan set (its handler reports the others)
    irreversible = {t for t in step_types().values() if t.irreversible}
    assert irreversible == {IncreasePartitions, ReplaceTopics, DeleteTopics, AlterUsers,
                            DropCdcDatabaseObjects, DeleteSubjects, DeleteConsumerGroup,
                            DeleteInternalTopics, ChangeTieredStorage, DeleteRecords}
    assert all(t.phase >= Phase.INCREASE_PARTITIONS for t in irreversible)


# -- the writer interface --------------------------------------------------------------------------------------------


def _shape(sig: inspect.Signature) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def _kinds_ios() -> dict[str, type]:
    """The kinds' io classes their handlers call through the step context (`ctx.io(<class>)`, or a shared handler's
    `ctx.io(self.writes)`: its subclass's `writes = <class>`), by name."""
    import importlib

    import kplan.kinds

    root = Path(kplan.kinds.__file__).parent
    found = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "io"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "ctx"
                    and node.args and isinstance(node.args[0], ast.Name)):
                name = node.args[0].id
            elif (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["writes"]
                  and isinstance(node.value, ast.Name)):
                name = node.value.id
            else:
                continue
            module = "kplan.kinds." + ".".join(path.relative_to(root).with_suffix("").parts)
            found[name] = getattr(importlib.import_module(module), name)
    return found


def _io_methods(cls: type) -> dict[str, inspect.Signature]:
    """An io's reads and writes; not `close`, which the run's Writers.close calls, never a handler."""
    return {name: inspect.signature(f) for name, f in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_") and name != "close"}


def test_the_fake_implements_every_kinds_io_its_handlers_call_with_its_exact_signatures():
    ios = _kinds_ios()
    assert ios, "no handler calls its kind's io"
    for cls in ios.values():
        for name, sig in _io_methods(cls).items():
            assert callable(getattr(FakeWriter, name, None)), f"FakeWriter lacks {cls.__name__}.{name}"
            assert _shape(inspect.signature(getattr(FakeWriter, name))) == _shape(sig), \
                f"FakeWriter.{name} drifted from {cls.__name__}.{name}"


def test_every_method_of_a_kinds_io_is_called_by_a_handler():
    """An io method no handler calls would be a write nothing makes (or a read nothing needs)."""
    import kplan.kinds

    called = set()
    for path in Path(kplan.kinds.__file__).parent.rglob("*.py"):
        called |= {n.attr for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Attribute)}
    for cls in _kinds_ios().values():
        assert not set(_io_methods(cls)) - called, f"{cls.__name__}: {set(_io_methods(cls)) - called}"


def test_the_fake_is_nothing_but_the_kinds_ios():
    """A method of the fake's own would hide a gap."""
    own = {n for n, v in vars(FakeWriter).items() if callable(v) and not n.startswith("_")}
    assert own == {n for cls in _kinds_ios().values() for n in _io_methods(cls)}


def test_apply_and_the_handlers_write_through_no_session_directly():
    """No `ctx.writer.<session>.<method>` / `w.<session>.<method>` in kplan/apply or the kinds' handlers, for Kafka's
    admin session and kplan's own client's (`kafka`, `wire`): every write is a kind's io's (`ctx.io`)."""
    import kplan.apply
    import kplan.kinds

    called = set()
    paths = [*Path(kplan.apply.__file__).parent.rglob("*.py"), *Path(kplan.kinds.__file__).parent.rglob("*.py")]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if path.name in ("run.py", "writers.py") or not isinstance(node, ast.Attribute):
                continue  # run.py opens the cluster: it uses the writer's admin client and closes it
            system = node.value
            if not isinstance(system, ast.Attribute) or system.attr not in ("kafka", "wire"):
                continue
            target = system.value
            if (isinstance(target, ast.Attribute) and target.attr in ("writer", "w")) or \
                    (isinstance(target, ast.Name) and target.id == "w"):
                called.add((system.attr, node.attr))
    assert called == set()


def test_a_restart_of_failed_instances_has_nothing_to_undo_and_one_that_fails_again_fails_the_step():
    from kplan.kinds.connector.steps import RestartConnector

    w = FakeWriter(connectors={"c": {"connector.class": "X"}})
    restart = RestartConnector("c", False, (0,))
    result, journal = run(w, [restart, topics_step("t")], fail_at=1)
    # a restart changes nothing declared: the rollback is complete, the step recorded undone, no second call
    assert result.status == RunStatus.ROLLED_BACK and result.exit_code == 1
    assert [e["status"] for e in journal.steps] == [StepStatus.UNDONE, StepStatus.UNDONE]
    assert w.calls.count("restart_failed c") == 1
    w.failing_again.add("c")
    result, journal = run(w, [restart])
    assert result.status == RunStatus.ROLLED_BACK
    assert result.error == "connector c task 0 FAILED again after its restart: boom"


def test_an_update_with_restart_failed_restarts_the_failed_instances_after_writing_the_config():
    w = FakeWriter(connectors={"c": {"connector.class": "X", "topic": "a"}})
    step = put_step("c", config={"connector.class": "X", "topic": "b"}, create=False,
                    previous=ConnectorImage(frozen({"connector.class": "X", "topic": "a"}), "running"),
                    changed_keys=("topic",), restart_failed=True)
    result, _ = run(w, [step])
    assert result.status == RunStatus.COMPLETE
    assert w.calls.index("restart_failed c") > w.calls.index("put_connector_config c")


def test_dropping_a_cdc_sources_slot_is_irreversible_unless_it_failed_before_the_drop():
    from kplan.kinds.connector.steps import DropCdcDatabaseObjects

    drop = DropCdcDatabaseObjects("pg", "db", 5432, "u", "demo", "${secret:env:PG_PW}", "pg_slot", "pg_pub")
    w = FakeWriter()
    secrets = SecretValues({"${secret:env:PG_PW}": "pw-Secret-9"})
    ex = Executor(writers(w), FakeStore(), secrets, Progress(io.StringIO()), lambda record: None, faults=FailAt(1))
    result = ex.execute(Journal("s", None, "c", "d"), [drop, topics_step("t")])
    assert w.calls[:2] == ["check_cdc_drop demo pg_slot pg_pub", "drop_cdc_database_objects demo pg_slot pg_pub"]
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    assert result.not_rolled_back == [f"{drop.describe()}: irreversible (cannot be undone)"]
    # a password reference that cannot be resolved stops the run before its first step: nothing is done
    w = FakeWriter()
    with pytest.raises(KplanError, match="PG_PW.*nothing was deleted or changed"):
        run(w, [drop])
    assert w.calls == []


def test_a_cdc_drop_whose_login_fails_stops_the_run_before_the_deletions_before_it():
    """Issue 26 defect 3: the drop runs last (after the connector, its ACLs, user and topics are deleted); a login
    that fails now must stop the run before the first deletion, not after it."""
    from kplan.kinds.connector.steps import DropCdcDatabaseObjects

    drop = DropCdcDatabaseObjects("pg", "db", 5432, "u", "demo", "${secret:env:PG_PW}", "pg_slot", "pg_pub")
    w = FakeWriter(topics={"t"})
    w.cdc_login_fails = True
    secrets = SecretValues({"${secret:env:PG_PW}": "pw-Secret-9"})
    store = FakeStore()
    ex = Executor(writers(w), store, secrets, Progress(io.StringIO()), lambda record: None)
    with pytest.raises(KplanError, match="password authentication failed; apply stopped before its first step"):
        ex.execute(Journal("s", None, "c", "d"), [DeleteTopics(("t",)), drop])
    assert w.deleted == [] and "t" in w.topics and w.calls == ["check_cdc_drop demo pg_slot pg_pub"]


def test_a_ctrl_c_that_came_but_was_lost_stops_the_run_before_its_next_step(monkeypatch):
    """A KeyboardInterrupt raised inside a C extension's callback can be swallowed there (a loaded CI run of
    test_interrupt applied every step after a SIGINT sent before the first, exit 0): the executor asks
    `interrupts.check` before it starts anything and before each step."""
    from kplan.transport import interrupts

    w = FakeWriter()
    monkeypatch.setattr(interrupts, "came", True)
    with pytest.raises(KeyboardInterrupt):
        run(w, [topics_step("a")])
    assert "a" not in w.topics

    class LosesTheInterrupt(FakeWriter):
        asked: list = []

        def create_topics(self, specs, results=None):
            self.asked.append([t.name for t in specs])
            monkeypatch.setattr(interrupts, "came", True)  # Ctrl-C came during the step, and was swallowed
            return super().create_topics(specs, results)

    monkeypatch.setattr(interrupts, "came", False)
    w = LosesTheInterrupt()
    result, journal = run(w, [topics_step("a"), topics_step("b")])
    assert result.status == RunStatus.ROLLED_BACK and result.interrupted
    assert "b" not in w.topics and w.deleted == ["a"]
    assert w.asked == [["a"]]  # step 2 never sent its create
