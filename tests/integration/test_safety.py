"""Safety properties on the real stack: saved plans pin what they show, one owner per resource, adoption needs
approval, secrets stay out of journals and errors, a journal never crosses clusters."""

from __future__ import annotations

import json
import subprocess
import threading

import pytest
import requests
from confluent_kafka.admin import NewTopic
from kplan_helpers import ROOT, faulty_command, kplan, run_env, stack_doc, wait_for, write_stack

from kplan.state.journal import local_path, local_state_dir

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"




def test_saved_plan_is_refused_when_a_value_it_showed_resolves_differently(stack, prefix, tmp_path):
    t = f"{prefix}.v"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "${RET:-1d}"}}]))
    planfile = tmp_path / "p.plan"
    assert kplan("plan", str(path), "-out", str(planfile), env={"RET": "2d"}).code == 0
    r = kplan("apply", str(planfile), "--auto-approve", env={"RET": "5d"})
    assert r.code == 1 and r.err.strip() == (  # it names the value, then and now (issue 67 item 4)
        f"Error: the saved plan no longer matches what kplan would do now (topic.{t} config[\"retention.ms\"]: "
        "unset -> 172800000 (2d) when planned, unset -> 432000000 (5d) now); run `kplan plan` again"), r.text
    r = kplan("apply", str(planfile), "--auto-approve", env={"RET": "2d"})
    assert r.code == 0, r.text


def test_saved_destroy_plan_applies(stack, admin, prefix, tmp_path):
    t = f"{prefix}.d"
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    planfile = tmp_path / "d.plan"
    assert kplan("plan", str(path), "--destroy", "-out", str(planfile)).code == 0
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 0 and "1 destroyed" in r.out, r.text
    assert t not in admin.list_topics(timeout=10).topics


def test_a_resource_has_one_owner(stack, admin, prefix, tmp_path):
    t = f"{prefix}.shared"
    a = write_stack(tmp_path / "a.yaml",
                    stack_doc(stack, f"{prefix}-a", [{"name": t, "partitions": 1, "replication_factor": 1}]))
    b = write_stack(tmp_path / "b.yaml",
                    stack_doc(stack, f"{prefix}-b", [{"name": t, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(a), "--auto-approve").code == 0
    r = kplan("plan", str(b))
    assert r.code == 1 and f"owned by stack '{prefix}-a'" in r.text


def test_adopting_an_existing_resource_needs_approval(stack, admin, prefix, tmp_path):
    t = f"{prefix}.manual"
    admin.create_topics([NewTopic(t, 1, 1)])[t].result(30)
    wait_for(lambda: t in admin.list_topics(timeout=10).topics, what="topic")
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    r = kplan("apply", str(path))  # no terminal, no --auto-approve: nothing is recorded
    assert r.code == 1 and "--auto-approve" in r.err
    # still not owned: removing it from the stack plans no deletion
    write_stack(path, stack_doc(stack, prefix, []))
    assert "to destroy" not in kplan("plan", str(path)).out


def test_secrets_in_ordinary_keys_stay_out_of_plans_and_journals_after_removal(stack, prefix, tmp_path):
    secret = "Emb3dded-Secret-77"
    t = f"{prefix}.s"
    (tmp_path / "in.txt").touch()
    conn = {"name": f"{prefix}-src", "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(tmp_path / "in.txt"), "topic": t,
                       "connection.url": "jdbc:x://h/db?password=${secret:env:KPLAN_TEST_EMBEDDED}"}}
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}], [conn]))
    env = {"KPLAN_TEST_EMBEDDED": secret}
    assert kplan("apply", str(path), "--auto-approve", env=env).code == 0
    # the connector is removed from the stack: its plan and destroy must still mask the recorded sensitive key
    write_stack(path, stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    outputs = [kplan("plan", str(path), "--format", f) for f in ("text", "markdown", "json")]
    outputs.append(kplan("apply", str(path), "--auto-approve"))
    assert outputs[-1].code == 0, outputs[-1].text
    for o in outputs:
        assert secret not in o.text
    (journal,) = (local_state_dir() / "journal").glob(f"{prefix}@*.json")
    assert secret not in journal.read_text()


def test_apply_time_errors_never_show_a_secret(stack, prefix, tmp_path):
    secret = "sinkpath-S3cret-91"
    t = f"{prefix}.e"
    # a sink whose file (taken from a secret) lies in a directory that does not exist: its task FAILS with a
    # trace that quotes the path; the apply rolls back and its report must not show the secret
    sink = {"name": f"{prefix}-sink", "class": FILE_SINK, "tasks_max": 1,
            "config": {"topics": t, "file": f"{tmp_path}/missing/{'${secret:env:KPLAN_TEST_SINK}'}/out.txt"}}
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}], [sink]))
    r = kplan("apply", str(path), "--auto-approve", env={"KPLAN_TEST_SINK": secret})
    assert r.code == 1, r.text
    assert "FAILED" in r.err and "(sensitive)" in r.err
    assert secret not in r.text
    (journal,) = (local_state_dir() / "journal").glob(f"{prefix}@*.json")
    assert secret not in journal.read_text()


def test_a_journal_of_another_cluster_is_never_recovered_here(stack, admin, prefix, tmp_path):
    t = f"{prefix}.keep"
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    # an unfinished run recorded against another cluster, whose rollback would delete this topic
    foreign = {"stack": prefix, "environment": None, "cluster_id": "SOME-OTHER-CLUSTER", "inputs_digest": "x",
               "run_id": "feedfeed", "status": "running", "host": "elsewhere", "pid": 1,
               "started_at": "2026-01-01T00:00:00Z", "updated_at": "2999-01-01T00:00:00Z",
               "steps": [{"index": 0, "kind": "create-topics", "args": {"topics": [
                   {"name": t, "partitions": 1, "replication_factor": 1, "config": {}}]},
                   "before": {"absent": [t]}, "irreversible": False, "status": "started", "error": ""}],
               "ownership_before": {}, "message": ""}
    # put where kplan reads this cluster's local copy (as if copied over by hand): only its cluster id keeps it out
    mine = local_path(prefix, admin.describe_cluster().result(30).cluster_id)
    mine.write_text(json.dumps(foreign))
    r = kplan("recover", str(path), "--rollback")
    assert r.code == 0 and "Nothing to recover: the last run" in r.out and "is complete" in r.out, r.text
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0
    assert t in admin.list_topics(timeout=10).topics


def test_a_connector_someone_else_creates_meanwhile_is_not_overwritten(stack, prefix, tmp_path):
    """Connect's 409 "already exists" with another config fails the step instead of overwriting it."""
    from kplan.errors import WriteError
    from kplan.model.desired import ClusterSpec, ConnectorState
    from kplan.session.systems import open_writers

    (tmp_path / "in.txt").touch()
    name = f"{prefix}-theirs"
    theirs = {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(tmp_path / "in.txt"), "topic": "x"}
    assert requests.put(f"{stack.connect_url}/connectors/{name}/config", json=theirs, timeout=30).status_code == 201
    writer = open_writers(ClusterSpec(stack.bootstrap_servers, stack.connect_url, timeout_s=10))
    with pytest.raises(WriteError, match="created by someone else"):
        writer.connect.create_connector(name, {**theirs, "topic": "y"}, ConnectorState.RUNNING)
    assert requests.get(f"{stack.connect_url}/connectors/{name}/config", timeout=10).json()["topic"] == "x"
    writer.connect.create_connector(name, theirs, ConnectorState.RUNNING)  # the same config: a retry that had landed
    writer.close()


def test_a_topic_someone_else_creates_between_plan_and_apply_is_not_adopted(stack, admin, prefix, tmp_path):
    """Issue 26 defect 8: the plan said "will be created"; a topic with the same settings created out of band after
    apply planned (paused once the run is journaled, before its first step) is someone else's. Apply fails with
    one clear line and rolls back what it created; the topic is not recorded as owned, so destroy leaves it."""
    theirs, ours = f"{prefix}.late", f"{prefix}.mine"
    cfg = {"retention.ms": "3600000"}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 1, "config": cfg} for t in (ours, theirs)]))
    proc = subprocess.Popen(faulty_command("apply", str(path), "--auto-approve", pause_at="journal-written:1",
                                           pause_s=6), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=run_env(), cwd=ROOT)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 90, "apply to have planned")
    admin.create_topics([NewTopic(theirs, 1, 1, config=cfg)])[theirs].result(30)
    wait_for(lambda: theirs in admin.list_topics(timeout=10).topics, what="their topic")
    assert proc.wait(120) == 1, "".join(lines)
    text = "".join(lines)
    assert f"topic '{theirs}' was created by someone else after the plan; re-run plan" in text, text
    assert "The cluster is as it was before this apply." in text, text
    topics = admin.list_topics(timeout=10).topics
    assert theirs in topics and ours not in topics  # ours rolled back, theirs untouched
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert theirs in admin.list_topics(timeout=10).topics
