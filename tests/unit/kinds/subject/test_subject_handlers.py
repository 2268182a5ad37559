"""Schema registry subject steps over the fake writer (pure logic: what a run registers and journals, and what
its undo — from the journal, or after a crash that left no outcome — removes); and the pure attach of a
registry read to the live state. (Against the real registry: tests/integration/test_registry_io.py.)"""

from __future__ import annotations

import pytest
from builders import live_state
from executor_runs import run
from fakes import FakeWriter, writers

from kplan.apply.executor import StepContext, handler_for
from kplan.errors import WriteError
from kplan.kinds.subject.attach import attach, wanted
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.kinds.subject.steps import DeleteSubjects, PutSubject
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.live import LiveState, Problem
from kplan.model.plan import ResourceType
from kplan.secrets import SecretValues
from kplan.state.journal import RunStatus

SUBJECT = ResourceType.SUBJECT
V1 = '{"type":"record","name":"U","fields":[{"name":"a","type":"string"}]}'
V2 = '{"type":"record","name":"U","fields":[{"name":"a","type":"string"},{"name":"b","type":"int","default":0}]}'


def _ctx(writer, outcome=None) -> StepContext:
    outcomes = {0: dict(outcome)} if outcome is not None else {}
    return StepContext(0, writers(writer), SecretValues(), lambda o: None, None, None, outcomes, lambda: None)


def _existing(writer, name="u", level=None):
    writer.register_schema(name, V1, "AVRO", ())
    if level:
        writer.set_subject_level(name, level)


# -- PutSubject ------------------------------------------------------------------------------------------------------


def test_an_existing_subject_gets_its_level_before_the_new_version_and_both_are_journaled():
    w = FakeWriter()
    _existing(w, level="BACKWARD")
    step = PutSubject("u", V2, "AVRO", (), "FULL", True, before_version=1, before_level="BACKWARD")
    result, journal = run(w, [step])
    assert result.status == RunStatus.COMPLETE
    assert w.calls[-2:] == ["set_subject_level u FULL", "register_schema u"]
    assert journal.steps[0]["outcome"] == {"level_set": True, "version": 2, "new": True}
    assert w.subject_versions("u") == [1, 2] and w.subject_level("u") == "FULL"


def test_a_new_subject_is_registered_first_and_gets_its_level_after():
    w = FakeWriter()
    step = PutSubject("n", V1, "AVRO", (), "FORWARD", True)
    result, journal = run(w, [step])
    assert result.status == RunStatus.COMPLETE
    assert w.calls == ["register_schema n", "set_subject_level n FORWARD"]
    assert journal.steps[0]["outcome"] == {"version": 1, "new": True, "level_set": True}


def test_a_rollback_deletes_the_version_the_run_registered_and_puts_the_level_back():
    w = FakeWriter()
    _existing(w)
    step = PutSubject("u", V2, "AVRO", (), "FULL", True, before_version=1, before_level=None)
    result, _ = run(w, [step], fail_at=0)
    assert result.status == RunStatus.ROLLED_BACK
    assert w.subject_versions("u") == [1] and w.subject_level("u") is None
    assert "delete_schema_version u 2" in w.calls
    # no soft-deleted version 2 left: the next registration is version 2 again
    assert w.subject_versions("u", deleted=True) == [1]
    assert w.register_schema("u", V2, "AVRO", ()) == 2


def test_the_rollback_of_a_created_registry_deletes_it_permanently_with_its_level():
    w = FakeWriter()
    step = PutSubject("n", V1, "AVRO", (), "FORWARD", True)
    result, _ = run(w, [step], fail_at=0)
    assert result.status == RunStatus.ROLLED_BACK
    assert not w.subject_listed("n") and w.own_level_answer("n") is None
    assert "delete_subjects n True" in w.calls


def test_a_subject_with_soft_deleted_versions_from_before_is_kept_by_the_rollback():
    w = FakeWriter()
    _existing(w, name="n")
    w.schemas["n"][1] = (w.schemas["n"][1][0], False)  # soft-deleted before the run: the subject has no live version
    step = PutSubject("n", V2, "AVRO", (), before_version=None)
    result, _ = run(w, [step], fail_at=0)
    assert result.status == RunStatus.ROLLED_BACK
    assert w.subject_listed("n") and w.subject_versions("n", deleted=True) == [1] and w.subject_versions("n") == []


def test_an_undo_that_finds_the_version_by_lookup_journals_it_before_deleting():
    w = FakeWriter()
    _existing(w)
    w.register_schema("u", V2, "AVRO", ())  # the run registered it, then died before journaling
    journaled = []
    step = PutSubject("u", V2, "AVRO", (), before_version=1)
    ctx = StepContext(0, writers(w), SecretValues(), lambda o: None, None, None, {},
                      lambda: journaled.append(dict(ctx.outcome or {})))
    handler_for(step).undo(step, ctx)
    assert journaled == [{"version": 2, "new": True}] and w.subject_versions("u", deleted=True) == [1]


def test_an_undo_that_the_registry_does_not_show_done_fails():
    w = FakeWriter()
    _existing(w)
    w.register_schema("u", V2, "AVRO", ())
    w.delete_schema_version = lambda *a, **k: None  # a registry that answers but keeps the version
    step = PutSubject("u", V2, "AVRO", (), before_version=1)
    with pytest.raises(WriteError, match="still holds version 2: not as before the run"):
        handler_for(step).undo(step, _ctx(w, {"version": 2, "new": True}))


def test_a_version_the_subject_had_already_is_never_deleted_by_the_rollback():
    w = FakeWriter()
    _existing(w)
    w.register_schema("u", V2, "AVRO", ())  # someone registered the same schema meanwhile
    step = PutSubject("u", V2, "AVRO", (), before_version=1)
    result, journal = run(w, [step], fail_at=0)
    assert result.status == RunStatus.ROLLED_BACK
    assert journal.steps[0]["outcome"] == {"version": 2, "new": False}
    assert w.subject_versions("u") == [1, 2] and not any(c.startswith("delete_schema_version") for c in w.calls)


def test_a_refused_registration_rolls_the_level_back():
    w = FakeWriter()
    _existing(w, level="BACKWARD")
    w.incompatible.add("u")
    step = PutSubject("u", V2, "AVRO", (), "NONE", True, before_version=1, before_level="BACKWARD")
    result, journal = run(w, [step])
    assert result.status == RunStatus.ROLLED_BACK
    assert w.subject_level("u") == "BACKWARD" and w.subject_versions("u") == [1]
    assert journal.steps[0]["outcome"] == {"level_set": True}


def test_undo_after_a_crash_looks_the_schema_up_and_deletes_only_a_newer_version():
    step = PutSubject("u", V2, "AVRO", (), before_version=1)
    w = FakeWriter()
    _existing(w)
    w.register_schema("u", V2, "AVRO", ())  # the run registered it, then died before journaling
    handler_for(step).undo(step, _ctx(w))
    assert w.subject_versions("u") == [1]
    # a schema that was the latest version before the run is not the run's: left alone
    w = FakeWriter()
    _existing(w)
    same = PutSubject("u", V1, "AVRO", (), before_version=1)
    handler_for(same).undo(same, _ctx(w))
    assert w.subject_versions("u") == [1]


def test_undo_is_idempotent():
    w = FakeWriter()
    _existing(w)
    step = PutSubject("u", V2, "AVRO", (), "FULL", True, before_version=1, before_level=None)
    ctx = _ctx(w)
    handler_for(step).run(step, ctx)
    for _ in range(2):
        handler_for(step).undo(step, _ctx(w, ctx.outcome))
    assert w.subject_versions("u") == [1] and w.subject_level("u") is None
    assert sum(c.startswith("delete_schema_version") for c in w.calls) == 1
    assert w.calls.count("set_subject_level u None") == 1


def test_a_reference_to_latest_is_resolved_when_registering():
    w = FakeWriter()
    w.register_schema("addr", '"string"', "AVRO", ())
    w.register_schema("addr", '"int"', "AVRO", ())
    ref = (SchemaReference("x.A", "addr"),)
    version = w.register_schema("u", V1, "AVRO", ref)
    assert w.schemas["u"][version][0][2] == (("x.A", "addr", 2),)


# -- DeleteSubjects --------------------------------------------------------------------------------------------------


def test_deleting_subjects_is_irreversible_and_reported():
    w = FakeWriter()
    _existing(w, "a")
    result, journal = run(w, [DeleteSubjects(("a",), permanent=True)])
    assert result.status == RunStatus.COMPLETE and "a" not in w.schemas
    assert journal.steps[0]["outcome"] == {"requested": True}


def test_a_deletion_cut_short_before_anything_was_deleted_left_no_trace():
    w = FakeWriter()
    _existing(w, "a")
    step = DeleteSubjects(("a",))
    assert handler_for(step).left_no_trace(step, _ctx(w))
    w.delete_subjects(["a"], False)
    assert not handler_for(step).left_no_trace(step, _ctx(w))


# -- attach ----------------------------------------------------------------------------------------------------------


def _stack(url="http://r:8081", names=("u",)) -> Stack:
    return Stack("s", None, ClusterSpec("b:1", schema_registry_url=url),
                 kinds={"subjects": tuple(SubjectSpec(n, V1) for n in names)})


def _live(**kw) -> LiveState:
    return live_state("c", 1, {}, {}, **kw)


def _attach(stack: Stack, live: LiveState, read):
    return attach(stack, live, read, wanted(stack, live))


def test_the_plan_reads_the_declared_and_the_owned_subjects_only():
    assert wanted(_stack(names=("b", "a")), _live(owned_subjects=frozenset({"c", "a"}))) == ["a", "b", "c"]
    assert wanted(_stack(names=()), _live()) == []


def test_attach_puts_the_read_into_the_live_state():
    u = LiveSubject("u", 1, V1, versions=(1,), effective_compatibility="BACKWARD")
    other = LiveSubject("x", 1, V1)
    live = _attach(_stack(), _live(), ({"u": u, "x": other}, "BACKWARD", None))
    subjects = live.of(SUBJECT)
    assert dict(subjects.resources) == {"u": u} and live.registry_level == "BACKWARD" and subjects.problem is None
    live = _attach(_stack(), _live(), ({}, None, "unreachable: cannot reach the schema registry"))
    assert live.of(SUBJECT).resources == {}
    assert live.of(SUBJECT).problem is Problem.UNREACHABLE
    assert live.of(SUBJECT).problem_detail == "unreachable: cannot reach the schema registry"


def test_a_stack_with_subjects_but_no_registry_has_the_no_registry_problem():
    assert _attach(_stack(url=None), _live(), None).of(SUBJECT).problem is Problem.NO_REGISTRY
    owning = _live(owned_subjects=frozenset({"u"}))
    assert _attach(_stack(url=None, names=()), owning, None).of(SUBJECT).problem is Problem.NO_REGISTRY


def test_nothing_read_leaves_the_live_state_alone():
    u = LiveSubject("u", 1, V1)
    live = _live(subjects={"u": u}, registry_level="FULL")
    assert _attach(_stack(), live, None) is live  # a live-state file keeps what it says
    plain = _live()
    assert _attach(_stack(names=()), plain, ({}, "FULL", None)) is plain  # no subjects: nothing to read
