"""`kplan apply` / `destroy` / `recover` / `unlock` end to end on the real broker and Connect worker."""

from __future__ import annotations

import signal
import subprocess
import threading

import pytest
import requests
from confluent_kafka.admin import NewTopic
from kplan_helpers import (
    ROOT,
    apply_despite_plan_errors,
    faulty_command,
    faulty_kplan,
    kplan,
    lock_exists,
    run_env,
    snapshot,
    stack_doc,
    wait_for,
    write_stack,
)

from kplan.state.ownership import OWNERSHIP_TOPIC
from kplan.state.records import read_compacted

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"




def _source(name, topic, tmp_path, state="running"):
    f = tmp_path / f"{name}.txt"
    f.touch()
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, "state": state,
            "config": {"file": str(f), "topic": topic}}


def test_apply_creates_then_plan_shows_no_changes_then_updates_converge(stack, admin, prefix, tmp_path):
    t1, t2, conn = f"{prefix}.orders", f"{prefix}.events", f"{prefix}-src"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t1, "partitions": 3, "replication_factor": 1,
         "config": {"retention.ms": "7d", "cleanup.policy": "delete"}},
        {"name": t2, "partitions": 1, "replication_factor": 1, "config": {"compression.type": "zstd"}},
    ], [_source(conn, t1, tmp_path)]))

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in r.out
    snap = snapshot(admin, stack.connect_url, prefix)
    assert snap["topics"][t1] == {"partitions": 3, "rf": 1,
                                  "overrides": {"retention.ms": "604800000", "cleanup.policy": "delete"}}
    assert snap["topics"][t2]["overrides"] == {"compression.type": "zstd"}
    assert snap["connectors"][conn]["state"] == "RUNNING"

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes." in r.out

    # change a config, grow partitions, pause the connector
    doc = stack_doc(stack, prefix, [
        {"name": t1, "partitions": 4, "replication_factor": 1,
         "config": {"retention.ms": "3d", "cleanup.policy": "delete"}},
        {"name": t2, "partitions": 1, "replication_factor": 1, "config": {"compression.type": "zstd"}},
    ], [_source(conn, t1, tmp_path, state="paused")])
    write_stack(path, doc)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    snap = snapshot(admin, stack.connect_url, prefix)
    assert snap["topics"][t1]["partitions"] == 4
    assert snap["topics"][t1]["overrides"]["retention.ms"] == str(3 * 86400000)
    assert snap["connectors"][conn]["state"] == "PAUSED"
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_unchanged_connector_config_is_never_rewritten(stack, admin, prefix, tmp_path):
    t, conn = f"{prefix}.t", f"{prefix}-src"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 1}], [_source(conn, t, tmp_path)]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    worker_before = requests.get(f"{stack.connect_url}/connectors/{conn}/status", timeout=10).json()
    # add a topic only: the connector must not be touched (a config write would restart it)
    doc = stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1},
                               {"name": f"{prefix}.u", "partitions": 1, "replication_factor": 1}],
               [_source(conn, t, tmp_path)])
    write_stack(path, doc)
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert "connector" not in "".join(line for line in r.out.splitlines() if line.startswith("["))
    worker_after = requests.get(f"{stack.connect_url}/connectors/{conn}/status", timeout=10).json()
    assert worker_after["tasks"] == worker_before["tasks"]


def test_failed_connector_rolls_back_everything_the_run_did(stack, admin, prefix, tmp_path):
    existing = f"{prefix}.existing"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": existing, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)

    # a new topic, a config change, and a sink whose task fails at start (its file's directory does not exist):
    # Connect's validation accepts it, the run fails at the connector step and must undo the topic steps
    bad_sink = {"name": f"{prefix}-sink", "class": FILE_SINK, "tasks_max": 1,
                "config": {"topics": f"{prefix}.new", "file": str(tmp_path / "no" / "such" / "dir" / "out.txt")}}
    write_stack(path, stack_doc(stack, prefix, [
        {"name": existing, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}},
        {"name": f"{prefix}.new", "partitions": 2, "replication_factor": 1}], [bad_sink]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    assert "FAILED" in r.text and "Rolled back" in r.err
    assert "The cluster is as it was before this apply." in r.err
    assert snapshot(admin, stack.connect_url, prefix) == before


@pytest.mark.parametrize("fail_at", ["step:1", "step:2", "step:3"])
def test_injected_failure_at_each_step_leaves_the_cluster_exactly_as_before(stack, admin, prefix, tmp_path, fail_at):
    keep, conn = f"{prefix}.keep", f"{prefix}-src"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}],
        [_source(conn, keep, tmp_path)]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)
    # steps: 1 create topics, 2 alter configs, 3 update connector (+ record ownership)
    src = _source(conn, f"{prefix}.added", tmp_path)
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "5d"}},
        {"name": f"{prefix}.added", "partitions": 1, "replication_factor": 1}], [src]))
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at=fail_at)
    assert r.code == 1, r.text
    assert f"injected failure after {fail_at.replace(':', ' ')}" in r.err
    assert snapshot(admin, stack.connect_url, prefix) == before
    # and the stack still plans the same changes afterwards (nothing recorded as owned by the failed run)
    assert kplan("plan", str(path), "--detailed-exitcode").code == 2


def test_removed_resources_are_deleted_only_when_owned(stack, admin, prefix, tmp_path):
    mine, foreign = f"{prefix}.mine", f"{prefix}.foreign"
    admin.create_topics([NewTopic(foreign, 1, 1)])[foreign].result(30)
    wait_for(lambda: foreign in admin.list_topics(timeout=10).topics, what="foreign topic")
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": mine, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [{"name": f"{prefix}.other", "partitions": 1, "replication_factor": 1}]))
    r = kplan("plan", str(path))
    assert f"  # topic.{mine} will be destroyed (removed from the stack)" in r.out, r.out
    assert f'  - topic "{mine}" {{' in r.out, r.out
    assert foreign not in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    names = set(admin.list_topics(timeout=10).topics)
    assert mine not in names and foreign in names


def test_destroy_protect_and_max_deletions(stack, admin, prefix, tmp_path):
    a, b, conn = f"{prefix}.a", f"{prefix}.b", f"{prefix}-src"
    doc = stack_doc(stack, prefix, [{"name": a, "partitions": 1, "replication_factor": 1},
                               {"name": b, "partitions": 1, "replication_factor": 1}], [_source(conn, a, tmp_path)])
    path = write_stack(tmp_path / "s.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    r = kplan("destroy", str(path), "--auto-approve", "--max-deletions", "2")
    assert r.code == 1 and "more than --max-deletions 2" in r.err
    r = kplan("destroy", str(path))  # no terminal: refuses to prompt
    assert r.code != 0 and "--auto-approve" in r.err
    doc["topics"][0]["protect"] = True
    write_stack(path, doc)
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 1 and "protected" in r.text
    doc["topics"][0]["protect"] = False
    write_stack(path, doc)
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == {"topics": {}, "connectors": {}}
    # the record of a stack that owns nothing is a tombstone, which compaction drops (kplan.state.ownership); read
    # back, the stack owns nothing: all of it is planned anew
    records = read_compacted({"bootstrap.servers": stack.bootstrap_servers}, OWNERSHIP_TOPIC, 20)
    assert prefix.encode() in records and records[prefix.encode()] is None
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and "3 to add, 0 to change, 0 to destroy" in r.out, r.text


def test_concurrent_applies_one_wins_the_other_names_the_holder(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": f"{prefix}.x", "partitions": 1, "replication_factor": 1}]))
    first = subprocess.Popen(faulty_command("apply", str(path), "--auto-approve", pause_at="after-step:1", pause_s=8),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=run_env(), cwd=ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(first.stdout), daemon=True)
    reader.start()
    wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 60, "first apply to hold the lock")
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1
    assert "locked by another run" in r.err and f"pid {first.pid}" in r.err
    # the holder is alive: the loser is told to wait, not to recover a run that is still going
    assert "wait for it to finish" in r.err and "recover" not in r.err
    assert first.wait(60) == 0
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def _start_and_kill(path, point: str, command: str = "apply") -> None:
    proc = subprocess.Popen(faulty_command(command, str(path), "--auto-approve", pause_at=point),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=run_env(), cwd=ROOT)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 90, f"apply to reach {point}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


@pytest.mark.parametrize("point", ["after-step:1", "in-step:2"])
def test_sigkill_mid_apply_then_recover_rollback(stack, admin, prefix, tmp_path, point):
    keep = f"{prefix}.keep"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "9d"}},
        {"name": f"{prefix}.new1", "partitions": 1, "replication_factor": 1},
        {"name": f"{prefix}.new2", "partitions": 2, "replication_factor": 1}]))
    _start_and_kill(path, point)

    r = kplan("plan", str(path))
    assert "did not finish" in r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "did not finish" in r.err and "kplan recover" in r.err
    r = kplan("recover", str(path), "--rollback")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before
    r = kplan("recover", str(path), "--rollback")  # idempotent
    assert r.code == 0 and "Nothing to recover" in r.out


@pytest.mark.parametrize("point", ["after-step:1", "in-step:2"])
def test_sigkill_mid_apply_then_recover_resume(stack, admin, prefix, tmp_path, point):
    keep = f"{prefix}.keep"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "9d"}},
        {"name": f"{prefix}.new1", "partitions": 1, "replication_factor": 1}]))
    _start_and_kill(path, point)
    r = kplan("recover", str(path), "--resume", "--auto-approve")
    assert r.code == 0, r.text
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0
    r = kplan("recover", str(path), "--resume", "--auto-approve")
    assert r.code == 0 and "Nothing to recover" in r.out


def test_saved_plan_applies_and_stale_plan_is_refused(stack, admin, prefix, tmp_path):
    t = f"{prefix}.saved"
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    planfile = tmp_path / "p.plan"
    assert kplan("plan", str(path), "-out", str(planfile)).code == 0
    # someone creates the topic by hand before apply: the plan is stale
    admin.create_topics([NewTopic(t, 2, 1)])[t].result(30)
    wait_for(lambda: t in admin.list_topics(timeout=10).topics, what="topic")
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 1 and "stale" in r.err
    admin.delete_topics([t])[t].result(30)
    wait_for(lambda: t not in admin.list_topics(timeout=10).topics, what="topic gone")
    planfile2 = tmp_path / "p2.plan"
    assert kplan("plan", str(path), "-out", str(planfile2)).code == 0
    r = kplan("apply", str(planfile2), "--auto-approve")
    assert r.code == 0, r.text


# What the broker or Connect refuses at apply time (here: changes that plan-time validation would have caught, run
# anyway by the test helper `apply_despite_plan_errors`) fails the step, and every earlier step of the run is undone.
@pytest.mark.parametrize("case", ["connector-class-missing", "config-rejected", "rf-above-brokers"])
def test_refusals_that_slip_past_validation_roll_back(stack, admin, prefix, tmp_path, case):
    keep, conn = f"{prefix}.keep", f"{prefix}-src"
    base = [{"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, base, [_source(conn, keep, tmp_path)]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)

    topics = [{"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "4d"}},
              {"name": f"{prefix}.added", "partitions": 2, "replication_factor": 1}]
    connectors = [_source(conn, f"{prefix}.added", tmp_path)]
    if case == "connector-class-missing":
        connectors.append({"name": f"{prefix}-ghost", "class": "com.example.NoSuchConnector", "tasks_max": 1,
                           "config": {"topic": f"{prefix}.added"}})
    elif case == "config-rejected":
        # a config only the broker can refuse (tiered storage is disabled on it), in the same create batch
        topics.append({"name": f"{prefix}.bad", "partitions": 1, "replication_factor": 1,
                       "config": {"remote.storage.enable": True}})
    else:
        topics.append({"name": f"{prefix}.wide", "partitions": 1, "replication_factor": 3})
    write_stack(path, stack_doc(stack, prefix, topics, connectors))
    assert kplan("plan", str(path)).code == 1  # plan-time validation catches each of these
    r, plan_errors = apply_despite_plan_errors(path)
    assert plan_errors, "the plan had errors, and the steps ran anyway"
    assert r.code == 1, r.text
    assert "FAILED" in r.out and "Rolled back:" in r.err  # refused by the cluster mid-run, earlier steps undone
    assert "The cluster is as it was before this apply." in r.err
    assert snapshot(admin, stack.connect_url, prefix) == before


def test_failure_after_an_irreversible_step_reports_an_incomplete_rollback(stack, admin, prefix, tmp_path):
    t = f"{prefix}.grow"
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [{"name": t, "partitions": 2, "replication_factor": 1}]))
    # steps: 1 increase partitions (irreversible), 2 record ownership <- fails
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
    assert r.code == 3, r.text
    assert "Could NOT be rolled back" in r.err and "increase partitions" in r.err and "irreversible" in r.err
    assert len(admin.list_topics(t, timeout=10).topics[t].partitions) == 2


def test_unlock_releases_a_dead_runs_lock_then_recover(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": f"{prefix}.a", "partitions": 1, "replication_factor": 1},
        {"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)
    write_stack(path, stack_doc(stack, prefix, [
        {"name": f"{prefix}.a", "partitions": 1, "replication_factor": 1},
        {"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}},
        {"name": f"{prefix}.c", "partitions": 1, "replication_factor": 1}]))
    _start_and_kill(path, "after-step:1")
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "locked by another run" in r.err and "which is dead" in r.err
    r = kplan("unlock", str(path))  # no terminal: asks for --auto-approve
    assert r.code != 0 and "--auto-approve" in r.err
    r = kplan("unlock", str(path), "--auto-approve")
    assert r.code == 0 and "Unlocked." in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    # the journal still shows the unfinished run: the plan lists the error, the refusal counts it
    assert r.code == 1 and "did not finish" in r.out and "nothing was applied" in r.err, r.text
    assert kplan("recover", str(path), "--rollback").code == 0
    assert snapshot(admin, stack.connect_url, prefix) == before


def test_unlock_refuses_the_lock_of_a_run_still_alive_on_this_host_unless_forced(stack, admin, prefix, tmp_path):
    """Issue 26 defect 9b: a real apply holds the lock (paused after its first step, alive); `unlock --auto-approve`
    says the holder is still running and leaves the lock; only --force releases it."""
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": f"{prefix}.x", "partitions": 1, "replication_factor": 1}]))
    holder = subprocess.Popen(faulty_command("apply", str(path), "--auto-approve", pause_at="after-step:1",
                                             pause_s=60), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=run_env(), cwd=ROOT)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(holder.stdout), daemon=True).start()
    try:
        wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 90, "the apply to hold the lock")
        r = kplan("unlock", str(path), "--auto-approve")
        assert r.code == 1, r.text
        assert f"pid {holder.pid}" in r.text and "is still running on this host" in r.text, r.text
        assert "--force" in r.text and "Unlocked." not in r.out, r.text
        assert lock_exists(admin, prefix, {"bootstrap.servers": stack.bootstrap_servers})
        r = kplan("unlock", str(path), "--auto-approve", "--force")
        assert r.code == 0 and "Unlocked." in r.out and "still running" in r.text, r.text
        assert not lock_exists(admin, prefix, {"bootstrap.servers": stack.bootstrap_servers})
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    assert kplan("recover", str(path), "--rollback", "--auto-approve").code == 0


def test_protection_outlives_the_declaration(stack, admin, prefix, tmp_path):
    keep, other = f"{prefix}.precious", f"{prefix}.other"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "protect": True},
        {"name": other, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    # removed from the stack: still never deleted (the ownership record remembers it was protected)
    write_stack(path, stack_doc(stack, prefix, [{"name": other, "partitions": 1, "replication_factor": 1}]))
    r = kplan("plan", str(path))
    assert r.code == 1 and "protect: true" in r.text and keep in r.text
    assert kplan("apply", str(path), "--auto-approve").code == 1
    assert kplan("destroy", str(path), "--auto-approve").code == 1
    assert keep in admin.list_topics(timeout=10).topics
    # unprotecting it on purpose, then removing it, deletes it
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "protect": False},
        {"name": other, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [{"name": other, "partitions": 1, "replication_factor": 1}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0 and "1 destroyed" in r.out, r.text


def test_resume_of_a_killed_destroy_finishes_the_destroy(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": f"{prefix}.a", "partitions": 1, "replication_factor": 1},
        {"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1}],
        [_source(f"{prefix}-src", f"{prefix}.a", tmp_path)]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _start_and_kill(path, "after-step:1", command="destroy")  # the connector is gone, the topics not yet
    r = kplan("recover", str(path), "--resume", "--auto-approve")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == {"topics": {}, "connectors": {}}


def test_resume_when_the_killed_run_had_done_everything_clears_its_marker(stack, admin, prefix, tmp_path):
    t = f"{prefix}.cfg"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}}]))
    _start_and_kill(path, "after-step:1")  # the config changed; only the ownership step was left
    assert kplan("plan", str(path)).code == 1  # the unfinished run is reported
    r = kplan("recover", str(path), "--resume", "--auto-approve")
    assert r.code == 0, r.text
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
