"""SCRAM users, the pure parts: what the plan does with a user's credentials and rotation token, what the record
keeps, and how alterations are split into requests Kafka accepts."""

from __future__ import annotations

import pytest
from builders import live_state

from kplan.apply.steps import build
from kplan.apply.steps.ownership import ownership_after
from kplan.kinds.base import PlanContext
from kplan.kinds.user.io import rounds
from kplan.kinds.user.kind import KIND
from kplan.kinds.user.live import LiveUser
from kplan.kinds.user.model import SHAPE, UserSpec
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, Flag
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues

REF = "${secret:env:APP_PASSWORD}"
SECRETS = SecretValues({REF: "app-canary-pw"})


def ctx(owned=True, secrets=SECRETS):
    return PlanContext(1, secrets, owned=owned)


def test_an_owned_user_in_sync_is_left_alone_whatever_its_secret_now_says():
    live = LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}), "")
    change, diags = KIND.plan(UserSpec("app", REF), live, ctx(secrets=SecretValues()))
    assert change.action == Action.NOOP and diags == []  # no password is set, so an unset variable is no error


def test_a_changed_rotation_token_sets_the_password_again_and_is_irreversible():
    live = LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}), "1")
    change, diags = KIND.plan(UserSpec("app", REF, rotation="2"), live, ctx())
    assert change.action == Action.UPDATE and Flag.IRREVERSIBLE in change.flags and diags == []
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        (("password",), "(sensitive)", "(sensitive)"), (("rotation",), "1", "2")]


def test_setting_a_password_that_cannot_be_resolved_is_a_plan_error_naming_the_variable():
    _, diags = KIND.plan(UserSpec("app", REF), None, ctx(secrets=SecretValues()))
    assert [d.code for d in diags] == ["secret-unresolved"] and "APP_PASSWORD" in diags[0].message
    _, diags = KIND.plan(UserSpec("app", REF), None, ctx(secrets=SecretValues({REF: ""})))
    assert [d.code for d in diags] == ["empty-password"]


def test_an_existing_user_kplan_does_not_own_is_adopted_by_setting_the_declared_password():
    live = LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}), None)
    change, _ = KIND.plan(UserSpec("app", REF), live, ctx(owned=False))
    assert change.action == Action.UPDATE and {Flag.ADOPT, Flag.IRREVERSIBLE} <= change.flags
    assert [a.path for a in change.attributes] == [("password",)]


def test_the_record_keeps_the_declared_token_and_forgets_deleted_users():
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"users": (UserSpec("app", REF, rotation="7"),)})
    live = live_state("c", 1, {}, {}, users={"app": LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}), "6"),
                                            "old": LiveUser("old", frozenset({("SCRAM-SHA-256", 4096)}), "")},
                     owned_users=frozenset({"app", "old"}))
    plan = make_plan(stack, live, secrets=SECRETS)
    assert ownership_after(plan, stack, live, False).of("users") == {"app": "7"}
    steps = list(build(plan, stack, live).steps)
    assert "app-canary-pw" not in str([s.to_json() for s in steps])


def test_while_a_run_is_unfinished_the_record_keeps_the_token_before_it():
    before, after = Ownership(kinds={"users": {"app": "1"}}), Ownership(kinds={"users": {"app": "2", "new": ""}})
    assert before.merged(after).of("users") == {"app": "1", "new": ""}  # the rotation is offered again until done
    assert Ownership.from_json(before.merged(after).to_json()).of("users") == {"app": "1", "new": ""}


def test_a_user_is_altered_at_most_once_per_request():
    batches = rounds([("a", "SCRAM-SHA-512", 4096, "x"), ("a", "SCRAM-SHA-256", 4096, "x"),
                      ("b", "SCRAM-SHA-512", 4096, "y")], [("a", "SCRAM-SHA-256")])
    assert [sorted(x.user for x in batch) for batch in batches] == [["a", "b"], ["a"], ["a"]]


@pytest.mark.parametrize("value", ["hunter2", "x-" + REF, 7])
def test_only_a_secret_reference_is_a_password(value):
    with pytest.raises(ValueError, match="the password must be a secret reference"):
        SHAPE["password"].read(value)
    assert SHAPE["password"].read(REF) == REF
