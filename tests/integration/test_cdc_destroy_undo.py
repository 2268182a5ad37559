"""Issue 26 defect 3 (the rollback), on the real secured stack: a PostgreSQL CDC source with `on_destroy` and a
`principal` (its SCRAM user and ACLs declared in the same stack) whose destroy fails or dies after deleting the
connector, its ACLs and its user. The rollback must bring back what it deleted, in an order that works: the SCRAM
user (with the password the stack declares: Kafka never gives one back), then its ACLs, and the connector with its
resolved config (the journal holds its secrets masked) — in the run itself, and in `kplan recover --rollback`."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import slot_holder
from confluent_kafka.admin import AdminClient
from kplan_helpers import ROOT, faulty_command, kplan, run_env, wait_for, write_stack
from test_acls import bindings
from test_cdc_principal import (  # noqa: F401 - names: a fixture
    USER_PASSWORD,
    env,
    jaas,
    names,
    no_secret,
    rest,
    stack_doc,
    task_state,
)

import localstack
from localstack.postgres import pg_data


def _stack(secured, tmp_path, prefix: str, source: str, user: str):
    return write_stack(tmp_path / "s.yaml", {**stack_doc(secured, prefix, {
        "name": source, "engine": "postgres", "topic_prefix": prefix, "principal": f"User:{user}",
        "connection": {"host": localstack.HOST, "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_CP_DB_PW}", "database": localstack.PG_DATABASE},
        "tables": ["orders"], "snapshot_mode": "no_data",
        "on_destroy": {"drop_replication_slot": True, "drop_publication": True},
        "connector": {"config": {"producer.override.sasl.jaas.config": jaas(user)}}}),
        "users": [{"name": user, "password": "${secret:env:KPLAN_TEST_CP_USER_PW}"}]})


def _credentials(sadmin, user: str) -> dict[str, int]:
    try:
        found = sadmin.describe_user_scram_credentials([user])[user].result(30)
    except Exception:  # noqa: BLE001 - RESOURCE_NOT_FOUND: no such user
        return {}
    return {i.mechanism.name.replace("_", "-"): i.iterations for i in found.scram_credential_infos}


def _logs_in(secured, user: str) -> bool:
    """Whether `user` logs in with the password the stack declares (USER_PASSWORD): a metadata request as the user."""
    admin = AdminClient({**secured.kafka_config(user=user, password=USER_PASSWORD), "socket.timeout.ms": 8000})
    try:
        admin.list_topics(timeout=10)
        return True
    except Exception:  # noqa: BLE001 - authentication failed
        return False


def _config(secured, source: str) -> dict | None:
    r = rest(secured, "GET", f"/connectors/{source}/config")
    return r.json() if r.status_code == 200 else None


def _slot_objects(source: str) -> tuple[bool, bool]:
    slot = source.replace("-", "_")
    s = localstack.psql(f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
    p = localstack.psql(f"SELECT count(*) FROM pg_publication WHERE pubname = '{slot}_pub'").strip()
    return s == "1", p == "1"


def _applied(secured, sadmin, path, prefix, source, user):
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    wait_for(lambda: _slot_objects(source) == (True, True), 90, "Debezium's slot and publication")
    wait_for(lambda: task_state(secured, source)[0] == "RUNNING", 60, "the task RUNNING")
    before = {"config": _config(secured, source), "acls": sorted(bindings(sadmin, f"User:{user}")),
              "credentials": _credentials(sadmin, user)}
    assert before["config"] and before["acls"] and before["credentials"] == {"SCRAM-SHA-512": 4096}, before
    assert _logs_in(secured, user)
    return before


def _restored(secured, sadmin, source, user, before) -> None:
    """The user (with its declared password), its ACLs and the connector (its config, RUNNING) are back."""
    assert _credentials(sadmin, user) == before["credentials"]
    assert _logs_in(secured, user), "the re-created user does not log in with the stack's password"
    assert sorted(bindings(sadmin, f"User:{user}")) == before["acls"]
    assert _config(secured, source) == before["config"]
    wait_for(lambda: task_state(secured, source)[0] == "RUNNING", 90, "the re-created connector's task RUNNING")


def _destroy_cleanly(secured, sadmin, path, prefix, source, user) -> None:
    r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert not _credentials(sadmin, user) and _config(secured, source) is None
    assert not [t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix)]
    assert _slot_objects(source) == (False, False)


def _slot_position(slot: str) -> str:
    return localstack.psql(f"SELECT restart_lsn, confirmed_flush_lsn FROM pg_replication_slots "
                           f"WHERE slot_name = '{slot}'").strip()


def _held_by_holder(slot: str) -> bool:
    held_by = localstack.psql(f"SELECT a.application_name FROM pg_replication_slots s JOIN pg_stat_activity a "
                              f"ON a.pid = s.active_pid WHERE s.slot_name = '{slot}'")
    return held_by.strip() == slot_holder.APPLICATION_NAME


def _hold(slot: str, log: Path) -> subprocess.Popen:
    """A replication client that holds `slot` without moving it (slot_holder.py says why not pg_recvlogical). The
    deleted connector's walsender may hold the slot a moment longer: the client is started again until it holds it."""
    deadline = time.monotonic() + 60
    while True:
        with log.open("ab") as err:
            holder = subprocess.Popen(
                [sys.executable, slot_holder.__file__, str(pg_data()), str(localstack.PG_PORT),
                 localstack.PG_USER, localstack.PG_DATABASE, slot, f"{slot}_pub"],
                stdout=subprocess.DEVNULL, stderr=err)
        while holder.poll() is None and not _held_by_holder(slot):
            time.sleep(0.2)
        if holder.poll() is None:
            return holder
        assert time.monotonic() < deadline, f"the slot holder never held the slot: {log.read_text()}"
        time.sleep(0.5)


def test_a_destroy_that_fails_at_the_drop_rolls_back_user_acls_and_connector(
        secured, sadmin, names, unique, tmp_path):  # noqa: F811
    """The drop fails for real (a replication client holds the slot after the connector is gone): the in-run
    rollback re-creates the user, then its ACLs, then the connector from its unmasked config."""
    prefix, source = names
    user = unique("cdc-undo")
    path = _stack(secured, tmp_path, prefix, source, user)
    before = _applied(secured, sadmin, path, prefix, source, user)
    slot = source.replace("-", "_")

    proc = subprocess.Popen(faulty_command("destroy", str(path), "--auto-approve", pause_at="after-step:1",
                                           pause_s=5), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=run_env(env(secured)), cwd=ROOT)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    holder = None
    writing = threading.Event()
    try:
        wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 120, "the connector deleted")
        # the connector is gone: a replication client takes its slot, so the drop cannot happen
        holder = _hold(slot, tmp_path / "holder.log")
        held_at = _slot_position(slot)

        def write() -> None:  # what the other tests do to the shared table meanwhile, made sure of here
            while not writing.wait(2):
                localstack.psql("INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, 26003)")
        threading.Thread(target=write, daemon=True).start()
        # a holder that keeps answering is not ended by PostgreSQL: the drop waits the stack's timeout and the
        # server's wal_sender_timeout (how long it keeps one that stopped answering: 60 s here), then fails; its
        # waiting lines (stderr, merged here) come between the step's line and its outcome
        wait_for(lambda: re.search(r"\] drop replication slot [^\n]*\.\.\. .*?FAILED \(", "".join(lines), re.S), 300,
                 "the drop failed")
        writing.set()
        # it held the slot all along (answering the server) and moved it not at all, rows written meanwhile or not
        assert holder.poll() is None, (tmp_path / "holder.log").read_text()
        assert _slot_position(slot) == held_at, (held_at, (tmp_path / "holder.log").read_text())
        holder.kill()  # Debezium retries a slot in use: the re-created connector takes it over
        code = proc.wait(300)
    finally:
        writing.set()
        if holder is not None and holder.poll() is None:
            holder.kill()
        if proc.poll() is None:
            proc.kill()
    text = "".join(lines)
    assert "is still in use" in text, text
    assert code == 3, text  # the topics' deletion cannot be undone
    order = [line for line in text.splitlines() if "undo:" in line]
    users = next(i for i, line in enumerate(order) if "delete SCRAM user" in line)
    acls = next(i for i, line in enumerate(order) if "ACL" in line)
    connector = next(i for i, line in enumerate(order) if "delete connector" in line)
    assert users < acls < connector, order
    assert "done" in order[users] and "done" in order[acls] and "done" in order[connector], text
    _restored(secured, sadmin, source, user, before)
    assert USER_PASSWORD not in text and localstack.PG_PASSWORD not in text, text
    _destroy_cleanly(secured, sadmin, path, prefix, source, user)


def test_recover_rollback_of_a_killed_destroy_restores_user_acls_and_connector(
        secured, sadmin, names, unique, tmp_path):  # noqa: F811
    """The destroy dies after deleting the connector, its ACLs and its user: `recover --rollback` (a new process:
    the journal holds no secret) re-creates the user with the stack's password and the connector with its config
    resolved from the stack's references again."""
    prefix, source = names
    user = unique("cdc-undo")
    path = _stack(secured, tmp_path, prefix, source, user)
    before = _applied(secured, sadmin, path, prefix, source, user)
    proc = subprocess.run(faulty_command("destroy", str(path), "--auto-approve", kill_at="after-step:3"),
                          capture_output=True, text=True, env=run_env(env(secured)), cwd=ROOT, timeout=300)
    assert proc.returncode < 0, proc.stdout + proc.stderr  # killed
    assert "delete SCRAM user" in proc.stdout and not _credentials(sadmin, user), proc.stdout
    assert _config(secured, source) is None

    r = kplan("recover", str(path), "--rollback", "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    no_secret(r, secured)
    _restored(secured, sadmin, source, user, before)
    assert [t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix)]  # never deleted
    _destroy_cleanly(secured, sadmin, path, prefix, source, user)
