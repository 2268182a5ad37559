"""The undo of a SCRAM user deletion (issue 26 defect 3): Kafka never gives a password back, so a deleted user is
created again only with the password the stack declares and kplan itself set (the step's `restore`, a reference
resolved when the undo runs), read back, and otherwise reported by name, never claimed restored. On the real
stack: tests/integration/test_cdc_destroy_undo.py."""

from __future__ import annotations

import io
import json

from executor_runs import FailAt, FakeStore, topics_step
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.kinds.user.steps import Credential, DeleteUsers, Removal
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, RunStatus

REF = "${secret:env:APP_PW}"
RESOLVED = SecretValues({REF: "app-secret-pw"})


def _run(w, step, secrets=RESOLVED, fail_at=1):
    journal = Journal("s", None, "c", "d")
    out = io.StringIO()
    ex = Executor(writers(w), FakeStore(), secrets, Progress(out), lambda record: None, faults=FailAt(fail_at))
    return ex.execute(journal, [step, topics_step("t")]), journal, out.getvalue()


def _step(*restore: Credential) -> DeleteUsers:
    return DeleteUsers((Removal("app", "SCRAM-SHA-512", 8192), Removal("old", "SCRAM-SHA-256", 4096)), restore)


def test_a_deleted_user_whose_password_the_stack_declares_is_created_again_with_it():
    w = FakeWriter()
    w.users = {"app": {"SCRAM-SHA-512": 8192}}
    step = DeleteUsers((Removal("app", "SCRAM-SHA-512", 8192),), (Credential("app", "SCRAM-SHA-512", 8192, REF),))
    result, journal, out = _run(w, step)
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert w.users == {"app": {"SCRAM-SHA-512": 8192}} and w.passwords[("app", "SCRAM-SHA-512")] == "app-secret-pw"
    assert "app-secret-pw" not in json.dumps(journal.to_json()) + out  # the journal keeps the reference only
    assert REF in json.dumps(journal.to_json())


def test_a_deleted_user_without_a_declared_password_is_reported_by_name_not_claimed_restored():
    w = FakeWriter()
    w.users = {"app": {"SCRAM-SHA-512": 8192}, "old": {"SCRAM-SHA-256": 4096}}
    result, journal, _ = _run(w, _step(Credential("app", "SCRAM-SHA-512", 8192, REF)))
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE
    assert w.users["app"] == {"SCRAM-SHA-512": 8192} and not w.users["old"]  # what could be restored is
    [why] = result.not_rolled_back
    assert "SCRAM user(s) old deleted and not re-created" in why and "create the user again by hand" in why, why
    assert journal.steps[0]["status"] == "irreversible"


def test_a_declared_password_that_cannot_be_resolved_now_names_the_reference_never_a_value():
    w = FakeWriter()
    w.users = {"app": {"SCRAM-SHA-512": 8192}}
    step = DeleteUsers((Removal("app", "SCRAM-SHA-512", 8192),), (Credential("app", "SCRAM-SHA-512", 8192, REF),))
    result, _, _ = _run(w, step, SecretValues({}, {REF: "environment variable APP_PW is not set"}))
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE and not w.users.get("app")
    [why] = result.not_rolled_back
    assert "SCRAM user app deleted and not re-created" in why and "APP_PW is not set" in why, why


def test_a_deletion_cut_short_before_its_request_needs_no_password():
    """Killed before the request (the journal says "started"): the users are still there, so nothing is written."""
    w = FakeWriter()
    w.users = {"app": {"SCRAM-SHA-512": 8192}, "old": {"SCRAM-SHA-256": 4096}}
    journal = Journal("s", None, "c", "d")
    journal.steps = [{"index": 0, **_step().to_json(), "status": "started", "error": ""}]
    ex = Executor(writers(w), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None)
    result = ex.rollback(journal, None, "interrupted")
    assert result.status == RunStatus.ROLLED_BACK, result.not_rolled_back
    assert "alter_scram_credentials" not in w.calls


def test_the_journal_form_round_trips_its_restore_credentials():
    step = _step(Credential("app", "SCRAM-SHA-512", 8192, REF))
    assert DeleteUsers.from_json(step.to_json()) == step
    assert "restore" not in _step().to_json()["args"]  # a step without one journals as before
