"""SCRAM users as a resource kind, on the real secured stack (SASL_SSL, SCRAM-SHA-512/256): a user kplan creates
can log in with the declared password (and produce where the stack's ACLs let it); a rotation makes the old
password fail and the new one work; changed iterations are what the broker then reports; a user made by hand is
adopted by setting the declared password; a failed run deletes the users it created; destroy deletes them; and
no password ever appears in kplan's output."""

from __future__ import annotations

import uuid

import by_hand
import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion
from kplan_helpers import can_log_in, faulty_kplan, kplan, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

ADMIN_VAR = "KPLAN_TEST_USERS_ADMIN_PASSWORD"
USER_VAR = "KPLAN_TEST_USER_PASSWORD"


def credentials(admin, user: str) -> dict[str, int]:
    """mechanism -> iterations as the broker reports them; {} when the user has none."""
    try:
        found = admin.describe_user_scram_credentials([user])[user].result(30)
    except KafkaException as e:
        if e.args[0].name() == "RESOURCE_NOT_FOUND":
            return {}
        raise
    return {i.mechanism.name.replace("_", "-"): i.iterations for i in found.scram_credential_infos}


def stack_doc(secured, name: str, topic: str, users: list[dict], acls: list[dict] | None = None) -> dict:
    doc = {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + ADMIN_VAR + "}",
                   "ssl.ca.location": secured.ca_file}},
        "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
        "users": users}
    if acls:
        doc["acls"] = acls
    return doc


def user_entry(name: str, **more) -> dict:
    return {"name": name, "password": "${secret:env:" + USER_VAR + "}", **more}


def run(secured, password: str, *args: str):
    return kplan(*args, env={ADMIN_VAR: secured.admin_password, USER_VAR: password})


def test_created_user_logs_in_rotation_iterations_and_destroy(secured, sadmin, unique, tmp_path):
    user, topic, name = unique("scram-app"), unique("scram-t"), unique("scram-stack")
    first, second = f"first-canary-{uuid.uuid4().hex}", f"second-canary-{uuid.uuid4().hex}"
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, topic, [user_entry(user)],
                                                      [{"principal": f"User:{user}", "produce": [topic]}]))
    outputs = []

    r = run(secured, first, "plan", str(path))
    outputs.append(r.text)
    assert r.code == 0, r.text
    assert f'+ user "{user}"' in r.out and '+ iterations["SCRAM-SHA-512"] = 4096' in r.out, r.out
    r = run(secured, first, "apply", str(path), "--auto-approve")
    outputs.append(r.text)
    assert r.code == 0, r.text
    assert credentials(sadmin, user) == {"SCRAM-SHA-512": 4096}
    wait_for(lambda: can_log_in(secured, user, first), 30, "the new user to log in")
    assert not can_log_in(secured, user, second)
    r = run(secured, first, "plan", str(path), "--detailed-exitcode")
    outputs.append(r.text)
    assert r.code == 0 and "No changes." in r.out, r.text

    # a new secret alone is not seen (credentials cannot be read back): the rotation token asks for it
    write_stack(path, stack_doc(secured, name, topic, [user_entry(user, rotation="2")],
                                [{"principal": f"User:{user}", "produce": [topic]}]))
    r = run(secured, second, "plan", str(path), "--format", "json")
    outputs.append(r.text)
    assert r.code == 0, r.text
    r = run(secured, second, "plan", str(path))
    outputs.append(r.text)
    assert "rotation requested" in r.out and "IRREVERSIBLE" in r.out, r.out
    r = run(secured, second, "apply", str(path), "--auto-approve")
    outputs.append(r.text)
    assert r.code == 0, r.text
    wait_for(lambda: can_log_in(secured, user, second), 30, "the rotated password to work")
    assert not can_log_in(secured, user, first)
    r = run(secured, second, "plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    # iterations and a second mechanism: what the broker then reports
    write_stack(path, stack_doc(secured, name, topic, [user_entry(user, rotation="2", iterations=8192,
                                                                  mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512"])]))
    r = run(secured, second, "apply", str(path), "--auto-approve")
    outputs.append(r.text)
    assert r.code == 0, r.text
    assert credentials(sadmin, user) == {"SCRAM-SHA-256": 8192, "SCRAM-SHA-512": 8192}
    # (the local listener enables SCRAM-SHA-512 and PLAIN only, so the SHA-256 credential is checked as reported)
    assert can_log_in(secured, user, second)
    r = run(secured, second, "status", str(path))
    outputs.append(r.text)
    assert r.code == 0 and "in sync" in r.out, r.text

    r = run(secured, second, "destroy", str(path), "--auto-approve")
    outputs.append(r.text)
    assert r.code == 0, r.text
    assert credentials(sadmin, user) == {}
    assert not can_log_in(secured, user, second)
    for text in outputs:
        assert first not in text and second not in text


def test_a_hand_made_user_is_adopted_and_a_failed_run_deletes_the_users_it_created(secured, sadmin, unique,
                                                                                   tmp_path):
    made, new, topic = unique("scram-hand"), unique("scram-new"), unique("scram-rb")
    declared = f"declared-canary-{uuid.uuid4().hex}"
    by_hand.upsert_scram(sadmin, {made: "by-hand"})  # described before the adopting plan below reads it
    try:
        path = write_stack(tmp_path / "s.yaml", stack_doc(secured, unique("scram-rb-stack"), topic,
                                                          [user_entry(new)]))
        # steps: create topics (1), create users (2), record ownership (3): fail the last one after its writes
        r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:3",
                         env={ADMIN_VAR: secured.admin_password, USER_VAR: declared})
        assert r.code != 0, r.text
        assert "rolled back" in r.text.lower(), r.text
        assert credentials(sadmin, new) == {}
        assert declared not in r.text

        write_stack(path, stack_doc(secured, unique("scram-adopt-stack"), topic, [user_entry(made)]))
        r = run(secured, declared, "plan", str(path))
        assert r.code == 0, r.text
        assert "replaces the existing password, which kplan cannot read or restore" in r.out and "adopt" in r.out
        r = run(secured, declared, "apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        wait_for(lambda: can_log_in(secured, made, declared), 30, "the adopted user to log in with the declared "
                                                                  "password")
        assert not can_log_in(secured, made, "by-hand")
        r = run(secured, declared, "plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text
        r = run(secured, declared, "destroy", str(path), "--auto-approve")
        assert r.code == 0, r.text
        assert credentials(sadmin, made) == {}  # adopted, so owned: destroy deletes it
    finally:
        for u in (made, new):
            for f in sadmin.alter_user_scram_credentials(
                    [UserScramCredentialDeletion(u, ScramMechanism.SCRAM_SHA_512)]).values():
                try:
                    f.result(30)
                except KafkaException:
                    pass  # already gone


def test_a_principal_that_may_not_read_users_gets_one_line_naming_the_right(secured, sadmin, unique, tmp_path):
    reader, password = unique("scram-reader"), f"reader-canary-{uuid.uuid4().hex}"
    by_hand.upsert_scram(sadmin, {reader: password})
    wait_for(lambda: can_log_in(secured, reader, password), 30, f"the new SCRAM user {reader} to log in")
    try:
        doc = stack_doc(secured, unique("scram-denied"), unique("scram-denied-t"), [user_entry(unique("x"))])
        doc["cluster"]["client"]["sasl.username"] = reader
        path = write_stack(tmp_path / "s.yaml", doc)
        r = kplan("plan", str(path), env={ADMIN_VAR: password, USER_VAR: "whatever-pw"})
        assert r.code != 0
        assert "may not read SCRAM credentials (needs DESCRIBE on the cluster)" in r.text, r.text
        assert "Traceback" not in r.text and password not in r.text
    finally:
        for f in sadmin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(reader, ScramMechanism.SCRAM_SHA_512)]).values():
            f.result(30)
