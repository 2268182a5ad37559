"""A run whose undo the cluster refuses never leaves a stack that no command can move, on the real secured stack.

kplan runs as a principal with every right on the cluster, on every group, on kplan's own topics and on the stack's
topics; out of band, the right to delete the stack's topics is taken away. An apply that
creates a topic then fails: its own rollback cannot delete the topic (TOPIC_AUTHORIZATION_FAILED), so the run is
left unfinished (exit 3, `undo-failed`) and plans say so. `kplan recover --rollback` meets the same refusal: it
ends the run anyway (exit 3), names the step it could not undo and what to do by hand, marks it `not-undone` in
the journal, and releases the stack; the next plan and apply work, and the next recover has nothing to do."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kplan_helpers import acls_in_effect, can_log_in, faulty_kplan, kplan, lock_exists, wait_for, write_stack

from kplan.state.journal import RunStatus, StepStatus, local_path
from kplan.state.ownership import read_ownership

SECRET_VAR = "KPLAN_TEST_OPERATOR_PASSWORD"
PASSWORD = "operator-test-password"
CLUSTER_RIGHTS = (AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER,
                  AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE)
NOT_DELETE = (AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER,
              AclOperation.ALTER_CONFIGS, AclOperation.READ, AclOperation.WRITE)


def _acl(resource, name, pattern, principal, operation, permission=AclPermissionType.ALLOW):
    return AclBinding(resource, name, pattern, principal, "*", operation, permission)


def _wait(futures) -> None:
    for f in futures.values():
        f.result(30)


@pytest.fixture
def operator(secured, sadmin, unique):
    """A SCRAM user (not a super user, so its ACLs bind it), as an operator's CI principal would be, able to log
    in (a new credential refuses logins for a moment); deleted afterwards, with its bindings. The test grants its
    rights."""
    name = unique("operator")
    _wait(sadmin.alter_user_scram_credentials([UserScramCredentialUpsertion(
        name, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), PASSWORD.encode())]))
    wait_for(lambda: can_log_in(secured, name, PASSWORD), 30, f"the new user {name} to log in")
    yield name
    _wait(sadmin.delete_acls([_every_binding(f"User:{name}")]))
    _wait(sadmin.alter_user_scram_credentials([UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)]))


def _grant_only(sadmin, principal: str, bindings: list[AclBinding]) -> None:
    """Make `bindings` the principal's only ones, in effect on the broker (an apply started at once was refused its
    lock topic once under a loaded CI run)."""
    _wait(sadmin.delete_acls([_every_binding(principal)]))
    _wait(sadmin.create_acls(bindings))
    acls_in_effect(sadmin, principal, bindings)


def _every_binding(principal: str) -> AclBindingFilter:
    return AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None, AclOperation.ANY,
                            AclPermissionType.ANY)


def _rights(principal: str, prefix: str, topic_operations) -> list[AclBinding]:
    """Every group and kplan's own topics; on the cluster, all but DELETE (KRaft lets DELETE on the cluster delete
    any topic); `topic_operations` on the stack's topics."""
    pre, lit = ResourcePatternType.PREFIXED, ResourcePatternType.LITERAL
    return [_acl(ResourceType.BROKER, "kafka-cluster", lit, principal, op) for op in CLUSTER_RIGHTS] + [
            _acl(ResourceType.GROUP, "*", lit, principal, AclOperation.ALL),
            _acl(ResourceType.TOPIC, "__kplan", pre, principal, AclOperation.ALL)] + [
        _acl(ResourceType.TOPIC, prefix, pre, principal, op) for op in topic_operations]


def _doc(secured, user, name, topics):
    return {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user,
                   "sasl.password": "${secret:env:" + SECRET_VAR + "}", "ssl.ca.location": secured.ca_file}},
        "topics": [{"name": t, "partitions": 1, "replication_factor": 1} for t in topics]}


def _topics(sadmin) -> set[str]:
    return set(sadmin.list_topics(timeout=20).topics)


def test_recover_ends_a_run_whose_undo_is_refused_and_the_next_commands_work(secured, sadmin, operator, unique,
                                                                             tmp_path):
    name = unique("refused-undo")
    a, b = f"{name}.a", f"{name}.b"
    env = {SECRET_VAR: PASSWORD}
    principal = f"User:{operator}"
    _grant_only(sadmin, principal, _rights(principal, f"{name}.", [AclOperation.ALL]))
    path = write_stack(tmp_path / "s.yaml", _doc(secured, operator, name, [a]))
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    cluster_id = sadmin.describe_cluster().result(30).cluster_id

    # out of band: the operator may no longer delete the stack's topics (ALL replaced by every operation but DELETE)
    _grant_only(sadmin, principal, _rights(principal, f"{name}.", NOT_DELETE))
    try:
        # steps: create topics (1), record ownership (2): the second fails after its writes, and the undo of the
        # first (deleting b) is refused
        write_stack(path, _doc(secured, operator, name, [a, b]))
        r = faulty_kplan("apply", str(path), "--auto-approve", env=env, fail_at="step:2")
        assert r.code == 3, r.text
        assert "TOPIC_AUTHORIZATION_FAILED" in r.text, r.text
        assert b in _topics(sadmin)
        r = kplan("plan", str(path), env=env)
        assert r.code == 1 and "an earlier apply did not finish" in r.text, r.text

        # recover meets the same refusal: it ends the run anyway, naming what to do by hand
        r = kplan("recover", str(path), "--rollback", env=env)
        assert r.code == 3, r.text
        assert f"create 1 topic(s): {b}: delete by hand those of the topics {b} that still exist" in r.text, r.text
        assert "the run is over and the stack released" in r.text, r.text
        assert b in _topics(sadmin)  # the cluster shows it: never claimed undone
        journal = _journal(name, cluster_id)
        assert journal["status"] == RunStatus.ROLLBACK_INCOMPLETE.value
        assert [s["status"] for s in journal["steps"]] == [StepStatus.NOT_UNDONE.value,
                                                           StepStatus.UNDONE.value], journal["steps"]
        wait_for(lambda: not lock_exists(sadmin, name, secured.kafka_config()), what="the lock's release")
        assert read_ownership(secured.kafka_config(), name, 20).run is None  # the run's marker is cleared

        # the next commands work: plan no longer reports an unfinished run (b, left by the run, is on the cluster
        # as the stack declares it, not owned: the next apply adopts it); recover has nothing to do
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "did not finish" not in r.text, r.text
        assert "1 existing resource matches the stack but is not yet recorded as owned" in r.out, r.text
        r = kplan("recover", str(path), "--rollback", env=env)
        assert r.code == 0 and "Nothing to recover" in r.out and "not undone, to undo by hand" in r.out, r.text
    finally:
        _grant_only(sadmin, principal, _rights(principal, f"{name}.", [*NOT_DELETE, AclOperation.DELETE]))
    # with the right back, the stack applies and destroys as usual
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    r = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    r = kplan("destroy", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text
    assert not {a, b} & _topics(sadmin)


def _journal(stack: str, cluster_id: str) -> dict:
    import json

    return json.loads(local_path(stack, cluster_id).read_text())
