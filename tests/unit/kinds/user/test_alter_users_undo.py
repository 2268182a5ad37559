"""The rollback of an AlterUsers step (irreversible: the password it replaces cannot be read back). One that never
made its request — the run was killed at the step's start (the journal says "started", no "requested" outcome), or
it failed resolving a password first — changed nothing, and the rollback says the cluster is as before; one that
made it is reported as not rolled back. On the real stack: the conformance kit's user kills
(tests/integration/conformance_kinds/user.py)."""

from __future__ import annotations

import io

from executor_runs import FailAt, FakeStore, topics_step
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.kinds.user.steps import AlterUsers, Credential
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, RunStatus, StepStatus

REF = "${secret:env:APP_PW}"
STEP = AlterUsers((Credential("app", "SCRAM-SHA-512", 8192, REF),))


def _writer() -> FakeWriter:
    w = FakeWriter()
    w.users = {"app": {"SCRAM-SHA-512": 4096}}
    return w


def _rollback(w, outcome: dict | None):
    journal = Journal("s", None, "c", "d")
    journal.steps = [{"index": 0, **STEP.to_json(), "status": StepStatus.STARTED, "error": "",
                      **({"outcome": outcome} if outcome is not None else {})}]
    ex = Executor(writers(w), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    return ex.rollback(journal, None, "interrupted"), journal


def test_an_alter_killed_before_its_request_is_rolled_back_as_nothing_changed():
    w = _writer()
    result, journal = _rollback(w, None)
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert result.not_rolled_back == [] and journal.steps[0]["status"] != StepStatus.IRREVERSIBLE
    assert "alter_scram_credentials" not in w.calls and w.users == {"app": {"SCRAM-SHA-512": 4096}}


def test_an_alter_whose_request_was_made_is_reported_irreversible():
    for outcome in ({"requested": True}, {"requested": True, "accepted": False}):  # sent, or refused: can't tell
        result, journal = _rollback(_writer(), outcome)
        assert result.status == RunStatus.ROLLBACK_INCOMPLETE, outcome
        [why] = result.not_rolled_back
        assert why == "set the credentials of SCRAM user(s) app: irreversible (cannot be undone)", why
        assert journal.steps[0]["status"] == StepStatus.IRREVERSIBLE


def test_an_alter_that_failed_resolving_its_password_changed_nothing():
    w = _writer()
    journal = Journal("s", None, "c", "d")
    secrets = SecretValues({}, {REF: "environment variable APP_PW is not set"})
    ex = Executor(writers(w), FakeStore(), secrets, Progress(io.StringIO()), lambda record: None, faults=FailAt(9))
    result = ex.execute(journal, [topics_step("t"), STEP])
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert "alter_scram_credentials" not in w.calls and w.users == {"app": {"SCRAM-SHA-512": 4096}}
    assert w.topics == set()  # the step before it undone
