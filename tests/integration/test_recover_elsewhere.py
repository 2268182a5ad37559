"""Recovery from the cluster's copy of the journal alone: an apply is killed on one "machine" (its own home, state
directory and working directory), its local journal copy is deleted, and `kplan recover` runs on another one
(another home, an empty state directory, another working directory, its own copy of the stack file). Rolling
back puts the cluster exactly as it was before the killed run; resuming makes it exactly as declared."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading

import pytest
from kplan_helpers import ROOT, faulty_command, kplan, run_env, snapshot, stack_doc, wait_for, write_stack

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


class Machine:
    """A working directory and a home of its own; KPLAN_STATE_DIR and XDG_STATE_HOME unset (empty), so the
    local journal copy goes to <home>/.local/state/kplan/journal/."""

    def __init__(self, root, name):
        self.cwd = root / name / "work"
        self.home = root / name / "home"
        self.cwd.mkdir(parents=True)
        self.home.mkdir(parents=True)
        self.env = {"HOME": str(self.home), "KPLAN_STATE_DIR": "", "XDG_STATE_HOME": "",
                    # the kplan of this repository, whatever the working directory (not another installed copy)
                    "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        self.journals = self.home / ".local" / "state" / "kplan" / "journal"

    def kplan(self, *args):
        return kplan(*args, env=self.env, cwd=self.cwd)

    def start_and_kill(self, point: str, *args) -> None:
        """`kplan ARGS` paused at `point` by the fault harness, then SIGKILLed there."""
        proc = subprocess.Popen(faulty_command(*args, pause_at=point), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=run_env(self.env), cwd=self.cwd)
        lines: list[str] = []
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        wait_for(lambda: any("KPLAN-TEST-PAUSED" in line for line in lines), 90, f"apply to reach {point}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)


def _source(name, topic, data_file, batch_size):
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(data_file), "topic": topic, "batch.size": batch_size}}


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_a_run_killed_on_one_machine_is_recovered_on_another_from_the_cluster_copy_alone(stack, admin, prefix,
                                                                                         tmp_path, mode):
    a, b = Machine(tmp_path, "a"), Machine(tmp_path, "b")
    keep, added, conn = f"{prefix}.keep", f"{prefix}.added", f"{prefix}-src"
    data = tmp_path / "in.txt"
    data.touch()
    first = stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}],
        [_source(conn, keep, data, "2000")])
    write_stack(a.cwd / "stack.yaml", first)
    assert a.kplan("apply", "stack.yaml", "--auto-approve").code == 0
    before = snapshot(admin, stack.connect_url, prefix)

    # steps: 1 create topics, 2 change configs, 3 update connector <- killed inside it, 4 record ownership
    second = stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "9d"}},
        {"name": added, "partitions": 2, "replication_factor": 1}],
        [_source(conn, added, data, "100")])
    write_stack(a.cwd / "stack.yaml", second)
    a.start_and_kill("in-step:3", "apply", "stack.yaml", "--auto-approve")
    mid = snapshot(admin, stack.connect_url, prefix)
    assert mid["connectors"][conn]["config"]["topic"] == added and added in mid["topics"]  # the run got that far

    # machine a is gone: only its local copy was there (never in its working directory)
    (local,) = a.journals.glob(f"{prefix}@*.json")
    assert not (a.cwd / ".kplan").exists()
    shutil.rmtree(a.home)
    shutil.copy(a.cwd / "stack.yaml", b.cwd / "stack.yaml")
    shutil.rmtree(a.cwd)
    assert not b.journals.exists()

    r = b.kplan("plan", "stack.yaml")
    assert r.code == 1 and "did not finish" in r.text, r.text
    if mode == "rollback":
        r = b.kplan("recover", "stack.yaml", "--rollback")
        assert r.code == 0, r.text
        assert "Rolled back run" in r.out, r.out
        assert snapshot(admin, stack.connect_url, prefix) == before
    else:
        r = b.kplan("recover", "stack.yaml", "--resume", "--auto-approve")
        assert r.code == 0, r.text
        assert "Resumed run" in r.out, r.out
        after = snapshot(admin, stack.connect_url, prefix)
        assert {n: (t["partitions"], t["overrides"]) for n, t in after["topics"].items()} == {
            keep: (1, {"retention.ms": str(9 * 86400000)}), added: (2, {})}
        assert {k: v for k, v in after["connectors"][conn]["config"].items() if k != "name"} == {
            "connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(data), "topic": added, "batch.size": "100"}
        assert after["connectors"][conn]["state"] == "RUNNING"
        r = b.kplan("plan", "stack.yaml", "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text
    # recovered for good, from machine b's own journal copy and the cluster's
    assert [p.name for p in b.journals.glob(f"{prefix}@*.json")] == [local.name]
    r = b.kplan("recover", "stack.yaml", f"--{mode}", *(["--auto-approve"] if mode == "resume" else []))
    assert r.code == 0 and "Nothing to recover" in r.out, r.text
    assert not (b.cwd / ".kplan").exists()
