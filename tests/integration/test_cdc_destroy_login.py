"""Issue 26 defect 3, on the real secured stack: a PostgreSQL CDC source with `on_destroy` and a `principal` (its
SCRAM user and ACLs declared in the same stack) whose database login fails. Destroy must refuse before it deletes
anything — at plan time, and again just before the first deletion when the login breaks after the plan — and
succeed once the login works again."""

from __future__ import annotations

import subprocess
import threading

import pytest
from kplan_helpers import ROOT, faulty_command, kplan, run_env, wait_for, write_stack
from test_acls import bindings
from test_cdc_principal import env, jaas, names, no_secret, rest, stack_doc, task_state  # noqa: F401 - names: a fixture

import localstack

# It changes the password of the local PostgreSQL's shared user (every CDC test logs in as it): never beside them.
pytestmark = pytest.mark.serial

WRONG = "not-the-password-26"


def _objects(slot: str, publication: str) -> tuple[bool, bool]:
    s = localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    p = localstack.psql(f"SELECT count(*) FROM pg_publication WHERE pubname = '{publication}'").strip()
    return s == "1", p == "1"


def _users(sadmin, user: str) -> bool:
    try:
        found = sadmin.describe_user_scram_credentials([user])[user].result(30)
    except Exception:  # noqa: BLE001 - RESOURCE_NOT_FOUND: no such user
        return False
    return bool(found.scram_credential_infos)


def _everything(secured, sadmin, prefix: str, source: str, user: str):
    """What destroy would delete, as the cluster, Connect and PostgreSQL show it."""
    slot = source.replace("-", "_")
    topics = sorted(t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix))
    connector = rest(secured, "GET", f"/connectors/{source}").status_code == 200
    return {"topics": topics, "connector": connector, "acls": sorted(bindings(sadmin, f"User:{user}")),
            "user": _users(sadmin, user), "db": _objects(slot, f"{slot}_pub")}


def _password(value: str) -> None:
    localstack.psql(f"ALTER USER {localstack.PG_USER} PASSWORD '{value}'")


def test_destroy_with_a_failing_database_login_deletes_nothing(secured, sadmin, names, unique, tmp_path):  # noqa: F811
    prefix, source = names
    user = unique("cdc-login")
    path = write_stack(tmp_path / "s.yaml", {**stack_doc(secured, prefix, {
        "name": source, "engine": "postgres", "topic_prefix": prefix, "principal": f"User:{user}",
        "connection": {"host": localstack.HOST, "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_CP_DB_PW}", "database": localstack.PG_DATABASE},
        "tables": ["orders"], "snapshot_mode": "no_data",
        "on_destroy": {"drop_replication_slot": True, "drop_publication": True},
        "connector": {"config": {"producer.override.sasl.jaas.config": jaas(user)}}}),
        "users": [{"name": user, "password": "${secret:env:KPLAN_TEST_CP_USER_PW}"}]})
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    slot = source.replace("-", "_")
    wait_for(lambda: _objects(slot, f"{slot}_pub") == (True, True), 90, "Debezium's slot and publication")
    wait_for(lambda: task_state(secured, source)[0] == "RUNNING", 60, "the task RUNNING")
    before = _everything(secured, sadmin, prefix, source, user)
    assert before["connector"] and before["user"] and before["acls"] and before["topics"], before
    try:
        # the login fails already when destroy plans: the plan says so and nothing is deleted
        _password(WRONG)
        r = kplan("plan", str(path), "--destroy", env=env(secured))
        assert r.code == 1, r.text
        assert (f"on_destroy of connector '{source}' cannot drop its replication slot and publication in "
                f"PostgreSQL") in r.text and "password authentication failed" in r.text, r.text
        r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
        assert r.code == 1 and "on_destroy of connector" in r.out and "nothing was applied" in r.err, r.text
        assert "password authentication failed" in r.text, r.text
        assert _everything(secured, sadmin, prefix, source, user) == before
        no_secret(r, secured)

        # the login breaks after the plan, before the first deletion: refused before anything is deleted
        _password(localstack.PG_PASSWORD)
        proc = subprocess.Popen(faulty_command("destroy", str(path), "--auto-approve", pause_at="ownership-written:1",
                                               pause_s=5), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=run_env(env(secured)), cwd=ROOT)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 120, "destroy to have planned")
        _password(WRONG)
        code = proc.wait(120)
        text = "".join(lines)
        assert code == 1, text
        assert "password authentication failed" in text and "nothing was deleted" in text, text
        assert "delete connector" not in text, text  # no step ran
        assert _everything(secured, sadmin, prefix, source, user) == before
    finally:
        _password(localstack.PG_PASSWORD)

    r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    after = _everything(secured, sadmin, prefix, source, user)
    assert after == {"topics": [], "connector": False, "acls": [], "user": False, "db": (False, False)}, after
