"""A secret from a command (`${secret:cmd:NAME}`) on the real secured stack: kplan's own SASL password and a SCRAM
user's password come from small scripts in the test's directory; the user kplan creates logs in to the SASL_SSL
listener with that password (a confluent-kafka client); each script runs once per kplan run; and neither value
appears in any output (--debug, librdkafka's log shown), the saved plan, the journal (local copy and the
cluster's record) or the ownership record. A failing command is one line naming it, without its output."""

from __future__ import annotations

import stat
import sys
import uuid

from confluent_kafka import KafkaException
from confluent_kafka.admin import ScramMechanism, UserScramCredentialDeletion
from kplan_helpers import kplan, wait_for, write_stack
from test_users import can_log_in, credentials

from kplan.state.journal import JOURNAL_TOPIC, local_state_dir
from kplan.state.ownership import OWNERSHIP_TOPIC
from kplan.state.records import read_compacted


def script(path, body: str):
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def printing(tmp_path, name: str, value: str):
    """A script that prints `value` and counts its runs (one line per run in `<name>.runs`)."""
    runs = tmp_path / f"{name}.runs"
    return script(tmp_path / name, f"open({str(runs)!r}, 'a').write('run\\n')\nprint({value!r})"), runs


def stack_doc(secured, name: str, topic: str, user: str, admin_cmd, user_cmd) -> dict:
    return {"stack": name,
            "secret_commands": {"kafka-admin": {"command": [str(admin_cmd)], "timeout": "5s"},
                                "app-user": {"command": [str(user_cmd), "--field", "password"]}},
            "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
                        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                                   "sasl.username": secured.admin_user,
                                   "sasl.password": "${secret:cmd:kafka-admin}", "ssl.ca.location": secured.ca_file}},
            "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
            "users": [{"name": user, "password": "${secret:cmd:app-user}"}],
            "acls": [{"principal": f"User:{user}", "produce": [topic]}]}


def cluster_records(secured, topic: str) -> str:
    """Every record of one of kplan's own topics (keys and values), as text."""
    conf = {"bootstrap.servers": secured.bootstrap_servers, "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": secured.admin_user,
            "sasl.password": secured.admin_password, "ssl.ca.location": secured.ca_file}
    return "\n".join(k.decode(errors="replace") + (v or b"").decode(errors="replace")
                     for k, v in read_compacted(conf, topic, 20).items())


def test_a_command_secret_reaches_the_cluster_and_nothing_shows_it(secured, sadmin, unique, tmp_path):
    user, topic, name = unique("cmd-user"), unique("cmd-t"), unique("cmd-stack")
    password = f"cmd-canary-{uuid.uuid4().hex}"
    admin_cmd, admin_runs = printing(tmp_path, "admin-password", secured.admin_password)
    user_cmd, user_runs = printing(tmp_path, "user-password", password)
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, name, topic, user, admin_cmd, user_cmd))
    planfile = tmp_path / "saved.plan"
    outputs = []
    try:
        r = kplan("--debug", "plan", str(path), "--out", str(planfile), env={"KPLAN_DEBUG": "1"})
        outputs.append(r.text)
        assert r.code == 0 and f'+ user "{user}"' in r.out, r.text
        # once per run each, though the admin password is resolved for the early read and again for the stack
        assert admin_runs.read_text() == "run\n" and user_runs.read_text() == "run\n"
        r = kplan("apply", str(planfile), "--auto-approve")
        outputs.append(r.text)
        assert r.code == 0, r.text
        assert credentials(sadmin, user) == {"SCRAM-SHA-512": 4096}
        wait_for(lambda: can_log_in(secured, user, password), 30, "the user to log in with the command's password")
        assert not can_log_in(secured, user, password + "-not")
        r = kplan("plan", str(path), "--detailed-exitcode")
        outputs.append(r.text)
        assert r.code == 0 and "No changes." in r.out, r.text
        r = kplan("status", str(path), "--format", "json")
        outputs.append(r.text)
        assert r.code == 0, r.text

        # a failing command (kplan's own password): one line naming it and its status, never its output
        secret = secured.admin_password
        script(admin_cmd, f"import sys\nprint({secret!r})\nprint({secret!r}, file=sys.stderr)\nsys.exit(7)")
        r = kplan("plan", str(path))
        outputs.append(r.text)
        assert r.code == 1 and len(r.err.strip().splitlines()) == 1, r.text
        assert f"secret command kafka-admin ({path}:" in r.err and "exited with status 7" in r.err, r.text

        printing(tmp_path, "admin-password", secured.admin_password)
        r = kplan("destroy", str(path), "--auto-approve")
        outputs.append(r.text)
        assert r.code == 0, r.text
        assert credentials(sadmin, user) == {}
    finally:
        for f in sadmin.alter_user_scram_credentials(
                [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]).values():
            try:
                f.result(30)
            except KafkaException:
                pass  # already gone (destroy)

    written = {"saved plan": planfile.read_text(),
               **{p.name: p.read_text() for p in (local_state_dir() / "journal").glob(f"{name}@*.json")},
               "journal topic": cluster_records(secured, JOURNAL_TOPIC),
               "ownership topic": cluster_records(secured, OWNERSHIP_TOPIC)}
    assert len(written) == 4 and name in written["journal topic"], list(written)
    for value in (password, secured.admin_password):
        for text in outputs:
            assert value not in text
        for where, text in written.items():
            assert value not in text, where
