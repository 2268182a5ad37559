"""ACLs as a resource kind, on the real secured stack (SASL_SSL, StandardAuthorizer, no ACL means no access): kplan
applies a principal's `produce` rights and that principal can then produce while another cannot; plan → apply →
plan is clean; a hand-made binding is drift and survives apply unless the principal is authoritative; destroy takes
the rights away again; a failed run rolls its bindings back; a principal without the right to read ACLs gets one
line naming the right it lacks."""

from __future__ import annotations

import by_hand
import pytest
import yaml
from confluent_kafka import Producer
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
)
from kplan_helpers import can_log_in, faulty_kplan, kplan, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

SECRET_VAR = "KPLAN_TEST_ACL_ADMIN_PASSWORD"
USER_PASSWORD = "acl-test-user-password"


@pytest.fixture
def users(secured, sadmin, unique):
    """Two SCRAM users made for the test (kplan's users kind is tested elsewhere); deleted afterwards, with every
    ACL binding left for them."""
    names = [unique("acl-writer"), unique("acl-other")]
    by_hand.upsert_scram(sadmin, dict.fromkeys(names, USER_PASSWORD))
    for n in names:  # the tests log in as them at once
        wait_for(lambda n=n: can_log_in(secured, n, USER_PASSWORD), 30, f"the new SCRAM user {n} to log in")
    yield names
    for f in sadmin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(n, ScramMechanism.SCRAM_SHA_512) for n in names]).values():
        f.result(30)
    for n in names:
        for f in sadmin.delete_acls([_principal_filter(f"User:{n}")]).values():
            f.result(30)


def _principal_filter(principal: str) -> AclBindingFilter:
    return AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None, AclOperation.ANY,
                            AclPermissionType.ANY)


def bindings(admin, principal: str) -> set[tuple[str, str, str, str]]:
    found = admin.describe_acls(_principal_filter(principal)).result(30)
    return {(b.restype.name, b.name, b.resource_pattern_type.name, b.operation.name) for b in found}


def produce_error(secured, user: str, topic: str) -> str | None:
    """The error name of producing one record to `topic` as `user`, or None when it was written."""
    errors: list[str] = []
    p = Producer({**secured.kafka_config(user=user, password=USER_PASSWORD), "message.timeout.ms": 8000})
    p.produce(topic, b"x", on_delivery=lambda err, msg: errors.append(err.name() if err else "ok"))
    p.flush(15)
    assert errors, "no delivery report"
    return None if errors[0] == "ok" else errors[0]


def stack_doc(secured, name: str, topic: str, acls: list[dict]) -> dict:
    return {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + SECRET_VAR + "}",
                   "ssl.ca.location": secured.ca_file}},
        "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
        "acls": acls}


def env(secured) -> dict:
    return {SECRET_VAR: secured.admin_password}


def test_drift_kplan_leaves_alone_is_reported_by_plan_and_status_and_neither_signals_changes(
        secured, sadmin, users, unique, tmp_path):
    """Issue 26 defect 6: a binding made by hand on a principal kplan manages non-authoritatively is drift apply will
    not touch. `plan --detailed-exitcode` and `status` both report it, and both exit 0 (nothing pending)."""
    writer, _ = users
    principal, topic, name = f"User:{writer}", unique("acl-drift"), unique("acl-drift-stack")
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, topic, [{"principal": principal,
                                                                              "produce": [topic]}]))
    assert kplan("apply", str(path), "--auto-approve", env=env(secured)).code == 0
    by_hand.create_acls(sadmin, [AclBinding(ResourceType.GROUP, "hand", ResourcePatternType.LITERAL, principal, "*",
                                            AclOperation.READ, AclPermissionType.ALLOW)])
    try:
        plan = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
        status = kplan("status", str(path), env=env(secured))
        assert '# drift: group["hand"]["READ"] = allow' in plan.out, plan.text
        assert "No changes." in plan.out, plan.text
        assert 'group hand READ: on the cluster, not declared (left alone)' in status.out, status.text
        assert (plan.code, status.code) == (0, 0), (plan.text, status.text)
    finally:
        assert kplan("destroy", str(path), "--auto-approve", env=env(secured)).code == 0


def test_produce_rights_granted_drift_kept_authoritative_removal_and_destroy(secured, sadmin, users, unique, tmp_path):
    writer, other = users
    topic, principal, name = unique("acl-orders"), f"User:{writer}", unique("acl-stack")
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, topic,
                                                      [{"principal": principal, "produce": [topic]}]))
    r = kplan("plan", str(path), env=env(secured))
    assert r.code == 0, r.text
    assert f'+ acl "{principal}"' in r.out and f'topic["{topic}"]["WRITE"]' in r.out
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == {("TOPIC", topic, "LITERAL", "WRITE"), ("TOPIC", topic, "LITERAL",
                                                                                   "DESCRIBE")}
    # the rights work: the writer may produce, the other user may not
    wait_for(lambda: produce_error(secured, writer, topic) is None, 30, "the writer's produce to succeed")
    assert produce_error(secured, other, topic) == "TOPIC_AUTHORIZATION_FAILED"
    r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
    assert r.code == 0 and "No changes." in r.out, r.text

    # a binding set by hand is drift: shown in plan and status, left alone by apply
    by_hand.create_acls(sadmin, [AclBinding(ResourceType.GROUP, "hand", ResourcePatternType.LITERAL, principal, "*",
                                            AclOperation.READ, AclPermissionType.ALLOW)])
    r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
    assert r.code == 0, r.text  # drift alone is no change
    assert '# drift: group["hand"]["READ"] = allow' in r.out
    r = kplan("status", str(path), env=env(secured))
    assert "left alone" in r.out and "hand" in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert ("GROUP", "hand", "LITERAL", "READ") in bindings(sadmin, principal)

    # authoritative: the hand-made binding is deleted
    write_stack(path, stack_doc(secured, name, topic,
                                [{"principal": principal, "authoritative": True, "produce": [topic]}]))
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert ("GROUP", "hand", "LITERAL", "READ") not in bindings(sadmin, principal)
    r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
    assert r.code == 0, r.text

    # destroy takes the rights away
    r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == set()
    wait_for(lambda: produce_error(secured, writer, topic) == "TOPIC_AUTHORIZATION_FAILED", 30,
             "the writer to be refused again")


def test_a_failed_run_rolls_its_bindings_back(secured, sadmin, users, unique, tmp_path):
    writer, _ = users
    topic, principal = unique("acl-rb"), f"User:{writer}"
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, unique("acl-rb-stack"), topic, [
        {"principal": principal, "produce": [topic], "consume": {"topics": [topic], "groups": [writer]}}]))
    # steps: create topics (1), create ACLs (2), record ownership (3): fail the last one after its writes
    r = faulty_kplan("apply", str(path), "--auto-approve", env=env(secured), fail_at="step:3")
    assert r.code != 0, r.text
    assert "rolled back" in r.text.lower(), r.text
    assert bindings(sadmin, principal) == set()
    assert topic not in sadmin.list_topics(timeout=20).topics
    r = kplan("plan", str(path), env=env(secured))
    assert r.code == 0 and f'+ acl "{principal}"' in r.out, r.text


def test_a_principal_that_may_not_read_acls_gets_one_line_naming_the_right(secured, sadmin, users, unique,
                                                                           tmp_path):
    writer, _ = users  # a user without any ACL: not even DESCRIBE on the cluster
    doc = stack_doc(secured, unique("acl-denied"), unique("acl-denied-t"), [{"principal": "User:x",
                                                                              "produce": ["t"]}])
    doc["cluster"]["client"]["sasl.username"] = writer
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path), env={SECRET_VAR: USER_PASSWORD})
    assert r.code != 0
    # describe_acls answers such a principal with an empty list, not an error: the plan knows from the operations
    # describe_cluster says it may do on the cluster
    assert "kplan's principal may not read ACLs (needs DESCRIBE on the cluster)" in r.text, r.text
    assert USER_PASSWORD not in r.text

    # allowed to read ACLs but not to alter them: the plan names the missing right
    by_hand.create_acls(sadmin, [AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL,
                                            f"User:{writer}", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
    wait_for(lambda: "may not alter ACLs (needs ALTER on the cluster)" in kplan(
        "plan", str(path), env={SECRET_VAR: USER_PASSWORD}).text, 20, "the plan to name ALTER on the cluster")


def test_a_cluster_acl_is_applied_on_the_cluster_resource_read_back_destroyed_and_imported(secured, sadmin, users,
                                                                                            unique, tmp_path):
    """`resource: cluster` is Kafka's CLUSTER resource (`kafka-cluster`; confluent-kafka calls its type BROKER):
    apply creates it there, the next plan matches it, destroy removes it, import keeps it."""
    writer, _ = users
    principal, name = f"User:{writer}", unique("acl-cluster")
    acls = [{"principal": principal, "allow": [{"resource": "cluster", "operations": ["DESCRIBE_CONFIGS"]}]}]
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, unique("acl-cluster-t"), acls))
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == {("BROKER", "kafka-cluster", "LITERAL", "DESCRIBE_CONFIGS")}
    r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
    assert r.code == 0 and "No changes." in r.out, r.text

    out = tmp_path / "imported.yaml"
    r = kplan("import", "--stack", name, "--cluster-from", str(path), "--prefix", writer, "--no-topics",
              "-o", str(out), env=env(secured))
    assert r.code == 0, r.text
    imported = yaml.safe_load(out.read_text())
    assert imported["acls"] == acls, r.text

    r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == set()
