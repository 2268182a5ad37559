"""A secret reference that no longer resolves is an error on every plan, also when the plan does not need its value
(issue 41, defect 7), on the real secured stack: a SCRAM user whose password comes from `${secret:cmd:...}` is
applied; then the command exits 1 (an expired vault token) — plan, status and apply say so in one located line and
fail, where they used to say "No changes" / "in sync"; `${secret:env:UNSET}` likewise. Destroy still goes (it needs
no password to delete a user) and warns. The password never appears in any output."""

from __future__ import annotations

import uuid

from confluent_kafka import KafkaException
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion
from kplan_helpers import kplan, write_stack
from test_secret_commands import script
from test_users import credentials

ADMIN_VAR = "KPLAN_TEST_UNRESOLVED_ADMIN_PASSWORD"


def stack_doc(secured, name: str, topic: str, user: str, password_ref: str, command) -> dict:
    return {"stack": name,
            "secret_commands": {"app-user": {"command": [str(command)], "timeout": "5s"}},
            "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
                        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                   "sasl.username": secured.admin_user,
                                   "sasl.password": "${secret:env:" + ADMIN_VAR + "}",
                                   "ssl.ca.location": secured.ca_file}},
            "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
            "users": [{"name": user, "password": password_ref}]}


def user_line(path) -> int:
    """The line of the `users:` entry's name in the written stack file."""
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("users:")) + 1


def test_a_secret_that_no_longer_resolves_fails_plan_status_and_apply_but_not_destroy(secured, sadmin, unique,
                                                                                       tmp_path):
    user, topic, name = unique("unres-user"), unique("unres-t"), unique("unres-stack")
    password = f"unres-canary-{uuid.uuid4().hex}"
    command = script(tmp_path / "user-password", f"print({password!r})")
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, topic, user, "${secret:cmd:app-user}", command))
    env = {ADMIN_VAR: secured.admin_password}
    outputs = []

    def run(*args):
        r = kplan(*args, env=env)
        outputs.append(r.text)
        return r

    try:
        r = run("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        assert credentials(sadmin, user) == {"SCRAM-SHA-512": 4096}
        r = run("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text

        # the secret source breaks (it still prints the password, then fails: neither stream may be shown)
        script(command, f"import sys\nprint({password!r})\nprint({password!r}, file=sys.stderr)\nsys.exit(1)")
        where = f"{path}:{user_line(path)}"
        r = run("plan", str(path), "--detailed-exitcode")
        assert r.code == 1, r.text
        assert "No changes" not in r.text, r.text
        errors = [line for line in r.text.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, r.text
        assert where in errors[0] and f"user.{user}.password" in errors[0], r.text
        assert "secret command app-user" in errors[0] and "exited with status 1" in errors[0], r.text

        r = run("status", str(path))
        assert r.code == 2, r.text
        assert "secret command app-user" in r.text and where in r.text, r.text

        r = run("apply", str(path), "--auto-approve")
        assert r.code == 1 and "secret command app-user" in r.text, r.text

        # an unset environment variable: the same
        write_stack(path, stack_doc(secured, name, topic, user, "${secret:env:KPLAN_TEST_UNRESOLVED_UNSET}",
                                    command))
        r = run("plan", str(path), "--detailed-exitcode")
        assert r.code == 1, r.text
        errors = [line for line in r.text.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and where in errors[0], r.text
        assert "environment variable KPLAN_TEST_UNRESOLVED_UNSET is not set" in errors[0], r.text

        # destroy needs no password to delete a user: it goes, and says what did not resolve
        r = run("destroy", str(path), "--auto-approve")
        assert r.code == 0, r.text
        assert "KPLAN_TEST_UNRESOLVED_UNSET" in r.text and "destroy does not need this value" in r.text, r.text
        assert credentials(sadmin, user) == {}
    finally:
        for f in sadmin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
            try:
                f.result(30)
            except KafkaException:
                pass  # already gone (destroy)
    for text in outputs:
        assert password not in text
