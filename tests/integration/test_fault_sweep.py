"""A sampled kill sweep (the whole one: `make fault-sweep`, tests/integration/fault_sweep.py): kplan SIGKILLed at
chosen transitions of its own state during an apply, a destroy, `recover --resume` and `recover --rollback`, then
recovered, ends exactly as before the run (irreversible steps named) or exactly as declared, with everything that
exists owned, no lock left, and the unfinished run reported by `kplan plan` at every crash point. The `subjects`
scenario does the same to a schema registration (a new version of an existing subject, a new subject with a level):
BEFORE there means every registry read (soft-deleted versions and subjects, subject levels) as before, and the
next apply registers version 2 again. A failing undo too: a topic the run's undo needs deleted out of band while
the run is dead; recover still ends the run."""

from __future__ import annotations

import pytest
from fault_sweep import Endpoints, Sweep

# Not `serial`: each trial has a stack name of its own and kills kplan at a transition of its own state (no timing),
# so it runs beside the other parallel tests; it was serial until 2026-11-25, when it took 171 of the serial stage's
# 316 s in a loaded CI run (the tools tests, the 3-broker cluster's tests and the version smoke run beside that stage).


@pytest.fixture(scope="module")
def sweep(stack, tmp_path_factory):
    s = Sweep(Endpoints(stack.bootstrap_servers, stack.connect_url), workdir=tmp_path_factory.mktemp("sweep"),
              log=lambda msg: None)
    s.learn("apply")  # the apply's transitions and the declared state (AFTER)
    return s


@pytest.fixture(scope="module")
def subject_sweep(stack, tmp_path_factory):
    s = Sweep(Endpoints(stack.bootstrap_servers, stack.connect_url, registry_url=stack.schema_registry_url),
              workdir=tmp_path_factory.mktemp("subject-sweep"), log=lambda msg: None, scenario="subjects")
    s.learn("apply")
    return s


# (mode, kill point of the run, kill point of its first recovery (nested modes), the acceptable outcomes).
# Points by name: "POINT:-1" is the last such transition of the uninterrupted run.
SAMPLES = [
    # killed inside a step (the connector's creation requested, its journal entry still "started")
    ("apply/rollback", "in-step:4", None, {"BEFORE"}),
    ("apply/resume", "in-step:4", None, {"AFTER"}),
    # between taking the lock and marking the run: nothing done, and no lock may outlive recover
    ("apply/rollback", "lock-taken:1", None, {"BEFORE"}),
    # right after the final ownership write (the run's work all done, the journal not yet complete)
    ("apply/resume", "ownership-written:-1", None, {"AFTER"}),
    ("apply/rollback", "ownership-written:-1", None, {"BEFORE", "AFTER"}),
    # a second crash inside `recover --resume` (a step of the resume journaled), then a rollback: the WHOLE run
    # is undone (issue 11, situation 1)
    ("apply/resume-killed/rollback", "in-step:2", "journal-written:5", {"BEFORE"}),
    # a crash inside `recover --rollback` after the irreversible partition increase, then a rollback again
    ("apply/rollback-killed/rollback", "in-step:5", "journal-written:2", {"BEFORE"}),
    # a destroy killed once its topics are deleted (irreversible), then finished
    ("destroy/resume", "in-step:2", None, {"AFTER"}),
]


@pytest.mark.parametrize("mode,kill,kill2,outcomes", SAMPLES,
                         ids=[f"{m}@{k}" + (f"+{k2}" if k2 else "") for m, k, k2, _ in SAMPLES])
def test_killed_run_recovers_to_before_or_after(sweep, mode, kill, kill2, outcomes):
    res = sweep.sample(mode, kill, kill2)
    detail = "\n".join([res.trial.label, *res.reasons, *res.outputs])
    assert res.outcome != "NOT-REACHED", f"the kill point was not reached: {detail}"
    assert res.outcome in outcomes, f"ended {res.outcome}, expected {sorted(outcomes)}:\n{detail}"
    assert not res.plan_missed_unfinished, f"`kplan plan` right after a kill: {res.plan_missed_unfinished}"
    assert not res.unowned_left, f"left outside the ownership record: {res.unowned_left}\n{detail}"
    assert not res.lock_left, f"the lock __kplan_lock.{res.prefix} was left behind\n{detail}"
    assert not res.unfinished_after, f"still reported unfinished after recovery: {res.unfinished_after}"


# The subjects scenario's apply: put-subject .s1 (version 2), put-subject .s2 (created, level FORWARD), then the
# ownership record.
SUBJECT_SAMPLES = [
    ("apply/rollback", "in-step:1", None, {"BEFORE"}),  # .s1's version 2 registered
    ("apply/rollback", "in-step:2", None, {"BEFORE"}),  # and .s2 created with its level
    ("apply/rollback-killed/rollback", "in-step:2", "journal-written:2", {"BEFORE"}),  # the rollback killed too
    ("apply/resume", "in-step:2", None, {"AFTER"}),
]


@pytest.mark.parametrize("mode,kill,kill2,outcomes", SUBJECT_SAMPLES,
                         ids=[f"{m}@{k}" + (f"+{k2}" if k2 else "") for m, k, k2, _ in SUBJECT_SAMPLES])
def test_killed_subject_registration_recovers_every_registry_read(subject_sweep, mode, kill, kill2, outcomes):
    res = subject_sweep.sample(mode, kill, kill2)
    detail = "\n".join([res.trial.label, *res.reasons, *res.outputs])
    assert res.outcome != "NOT-REACHED", f"the kill point was not reached: {detail}"
    assert res.outcome in outcomes, f"ended {res.outcome}, expected {sorted(outcomes)}:\n{detail}"
    assert not res.plan_missed_unfinished, f"`kplan plan` right after a kill: {res.plan_missed_unfinished}"
    assert not res.lock_left and not res.unfinished_after, detail
    if res.outcome == "BEFORE":  # no soft-deleted version 2 left behind: the next apply registers version 2
        assert res.reapplied_versions == [200, [1, 2]], f"{res.reapplied_versions}\n{detail}"


def test_an_undo_refused_during_recover_ends_the_run_named_with_no_stuck_stack(sweep):
    """Killed once the config change on .a is done (inside the next step), .a deleted by hand, `recover --rollback`:
    the undo of the config change is refused (the topic is gone); recover exits 3, names it with what to do by hand,
    undoes everything else, and leaves no lock, no run marker and no plan reporting an unfinished run."""
    res = sweep.sample("apply/rollback-undo-refused", "in-step:3")
    detail = "\n".join([res.trial.label, *res.reasons, *res.outputs])
    assert res.deleted_out_of_band == [f"{res.prefix}.a"], detail
    assert res.recover_code == 3, detail
    assert len(res.left_by_hand) == 1 and f"change the configs of 1 topic(s): {res.prefix}.a" in res.left_by_hand[0], \
        detail
    assert res.outcome == "BEFORE", f"ended {res.outcome}:\n{detail}"  # .a aside, which someone else deleted
    assert not res.unfinished_after, f"still reported unfinished after recovery: {res.unfinished_after}"
    assert not res.lock_left and not res.unowned_left, detail
