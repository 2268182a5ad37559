"""Recovery that never loses track, on the real broker and Connect worker: a crash inside `recover --resume`, a
kill right after the run's last ownership write, a kill between taking the lock and marking the run, and what the
ownership record says while a run is unfinished. kplan is killed (SIGKILL, by itself) at a named transition of its
own state through tests/integration/faulty_kplan.py `--kill-at`; the full sweep over every transition is
tests/integration/test_fault_sweep.py and `make fault-sweep`."""

from __future__ import annotations

import signal
import subprocess
import sys

from kplan_helpers import HARNESS, ROOT, kplan, run_env, snapshot, stack_doc, wait_for, write_stack

from kplan.state.lock import lock_topic
from kplan.state.ownership import read_ownership

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def killed_at(point: str, *args: str):
    """`kplan ARGS`, killed right after the transition `point` ("journal-written:3", "in-step:2", ...)."""
    proc = subprocess.run([sys.executable, str(HARNESS), "--kill-at", point, "--", *args], capture_output=True,
                          text=True, env=run_env(), cwd=ROOT, timeout=300)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {point}: {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return proc


def _topic(name, **config):
    return {"name": name, "partitions": 1, "replication_factor": 1, **({"config": config} if config else {})}


def _source(name, topic, tmp_path):
    f = tmp_path / f"{name}.txt"
    f.touch()
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, "config": {"file": str(f), "topic": topic}}


def _record(admin, stack, name):
    conf = {"bootstrap.servers": stack.bootstrap_servers}
    return read_ownership(conf, name, 20)


def _locked(admin, name) -> bool:
    return lock_topic(name) in admin.list_topics(timeout=20).topics


def _released(admin, name) -> bool:
    """The lock topic gone from the metadata: a release deletes it and does not wait for the brokers' metadata to
    drop it (kplan.state.lock), so a read at once may still list it for a moment."""
    return wait_for(lambda: not _locked(admin, name), 30, f"the lock topic of {name} to be gone") is not None


def _change(stack, prefix, tmp_path):
    """Before: a, b (retention 1d). The change: b's retention, new topics c and d, a connector writing to c."""
    base = stack_doc(stack, prefix, [_topic(f"{prefix}.a"), _topic(f"{prefix}.b", **{"retention.ms": "1d"})])
    change = stack_doc(stack, prefix, [_topic(f"{prefix}.a"), _topic(f"{prefix}.b", **{"retention.ms": "2d"}),
                                       _topic(f"{prefix}.c"), _topic(f"{prefix}.d")],
                       [_source(f"{prefix}-src", f"{prefix}.c", tmp_path)])
    return base, change


def test_a_crash_inside_resume_then_rollback_undoes_the_whole_run(stack, admin, prefix, tmp_path):
    base, change = _change(stack, prefix, tmp_path)
    path = write_stack(tmp_path / "s.yaml", base)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before, record_before = snapshot(admin, stack.connect_url, prefix), _record(admin, stack, prefix)
    write_stack(path, change)
    killed_at("after-step:1", "apply", str(path), "--auto-approve")  # c and d created, nothing else
    # while unfinished, what the run may have created is owned (pending) and every plan reports the run
    record = _record(admin, stack, prefix)
    assert {f"{prefix}.c", f"{prefix}.d"} <= record.owned("topics") and f"{prefix}-src" in record.owned("connectors")
    assert record.run
    plan = kplan("plan", str(path))
    assert plan.code == 1 and "did not finish" in plan.text
    # the resume dies too, after its own first step (the config change) is journaled done
    killed_at("after-step:1", "recover", str(path), "--resume", "--force", "--auto-approve")
    assert snapshot(admin, stack.connect_url, prefix) != before
    r = kplan("recover", str(path), "--rollback", "--force")
    assert r.code == 0, r.text
    assert "Recovery complete: the cluster is as it was before the interrupted run." in r.out
    assert snapshot(admin, stack.connect_url, prefix) == before  # the original run's topics too
    assert _record(admin, stack, prefix) == record_before
    assert _released(admin, prefix)
    # idempotent: nothing more to do, and the stack applies again
    r = kplan("recover", str(path), "--rollback")
    assert r.code == 0 and "Nothing to recover" in r.out
    assert kplan("apply", str(path), "--auto-approve").code == 0
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def test_a_crash_inside_a_rollback_is_finished_by_the_next(stack, admin, prefix, tmp_path):
    base, change = _change(stack, prefix, tmp_path)
    path = write_stack(tmp_path / "s.yaml", base)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before, record_before = snapshot(admin, stack.connect_url, prefix), _record(admin, stack, prefix)
    write_stack(path, change)
    killed_at("after-step:3", "apply", str(path), "--auto-approve")
    # the rollback dies after journaling its second undo
    killed_at("journal-written:3", "recover", str(path), "--rollback", "--force")
    assert kplan("plan", str(path)).code == 1  # still reported
    r = kplan("recover", str(path), "--rollback", "--force")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before
    assert _record(admin, stack, prefix) == record_before
    assert _released(admin, prefix)


def test_a_kill_right_after_the_last_record_write_is_still_reported(stack, admin, prefix, tmp_path):
    base, change = _change(stack, prefix, tmp_path)
    path = write_stack(tmp_path / "s.yaml", base)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, change)
    # the record writes of a run: marked as it was, pending, the record step's (still marked), unmarked at the end
    killed_at("ownership-written:3", "apply", str(path), "--auto-approve")
    plan = kplan("plan", str(path))
    assert plan.code == 1 and "did not finish" in plan.text
    r = kplan("recover", str(path), "--resume", "--force", "--auto-approve")
    assert r.code == 0 and "nothing was left to do" in r.out, r.text
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0
    assert _released(admin, prefix)
    assert _record(admin, stack, prefix).run is None


def test_recover_releases_the_lock_of_a_run_that_died_before_marking_itself(stack, admin, prefix, tmp_path):
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [_topic(f"{prefix}.a")]))
    killed_at("lock-taken:1", "apply", str(path), "--auto-approve")
    assert _locked(admin, prefix)
    plan = kplan("plan", str(path))  # nothing was done, but the plan says the stack is locked
    assert plan.code == 0 and f"stack '{prefix}' is locked" in plan.text, plan.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "which is dead" in r.err and "kplan recover" in r.err, r.text
    r = kplan("recover", str(path), "--rollback")
    assert r.code == 0 and "released the lock left by a dead run" in r.out, r.text
    assert _released(admin, prefix)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0
