"""Consistent reads on the real broker: right after a bulk create sent as several concurrent create requests, the
broker's metadata lists the new topics batch by batch, seconds apart (the controller has them all at once).
`kplan plan` run at that moment must plan no create for them — it waits until the metadata lists them — and,
when its `cluster.timeout` is too short for that, fail with one line saying the metadata has not settled;
`kplan status` must report none of them missing.

Each test shows that the lag really occurred in its run: a raw `list_topics` right after the creates misses
some of the topics while a validate-only create (the controller) says every one of them exists."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from confluent_kafka.admin import NewTopic
from kplan_helpers import ROOT, kplan, run_env, stack_doc, write_stack

COUNT = 3000
REQUESTS = 6  # concurrent create requests: the broker applies them one after another, seconds apart


def _bulk_create(admin, names: list[str]) -> None:
    size = -(-len(names) // REQUESTS)
    pending = [admin.create_topics([NewTopic(n, 1, 1) for n in names[i:i + size]], request_timeout=120)
               for i in range(0, len(names), size)]
    for futures in pending:
        for f in futures.values():
            f.result(120)


def _lag(admin, prefix: str, names: list[str]) -> tuple[int, int]:
    """(how many of `names` the broker's metadata lists, how many the controller says exist)."""
    listed = sum(1 for n in admin.list_topics(timeout=30).topics if n.startswith(prefix))
    exists = 0
    for f in admin.create_topics([NewTopic(n) for n in names], validate_only=True, request_timeout=30).values():
        try:
            f.result(30)
        except Exception as e:  # noqa: BLE001
            exists += "TOPIC_ALREADY_EXISTS" in str(e)
    return listed, exists


def _delete(admin, prefix: str, names: list[str]) -> None:
    for f in admin.delete_topics(names, request_timeout=120).values():
        try:
            f.result(120)
        except Exception:  # noqa: BLE001 - some may never have been created
            pass
    deadline = time.monotonic() + 60  # the next test should not meet this one's deletions
    while time.monotonic() < deadline and any(n.startswith(prefix) for n in admin.list_topics(timeout=30).topics):
        time.sleep(0.5)


class _Listing:
    """Polls the broker's metadata from the test's side while the plans run: whether it still missed some of the
    topics in a poll sent after a given moment. The listing only grows, so such a poll proves the lag lasted past
    that moment: a plan that ended before it cannot have seen every topic listed. The broker's lag is not the
    test's to choose (seconds, shorter on a broker without fsync, longer under load), so the hasty plan's outcome
    is judged by it: a lag that outlasted the plan must be its one line; otherwise the plan may also have seen the
    metadata settle in time and then plans no change, never a create of an existing topic."""

    def __init__(self, admin, prefix: str):
        self._admin, self._prefix = admin, prefix
        self._unsettled_sent: list[float] = []  # when each poll that still missed some topic was sent
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            sent = time.monotonic()
            listed = sum(1 for n in self._admin.list_topics(timeout=30).topics if n.startswith(self._prefix))
            if listed >= COUNT:
                return
            self._unsettled_sent.append(sent)
            time.sleep(0.1)

    def unsettled_after(self, moment: float) -> bool:
        """Whether a poll sent at or after `moment` still missed some topic (waits for that next poll)."""
        while self._thread.is_alive() and not any(t >= moment for t in self._unsettled_sent):
            self._thread.join(0.05)
        return any(t >= moment for t in self._unsettled_sent)

    def stop(self) -> None:
        self._done.set()
        self._thread.join(60)


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kplan.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=run_env(), cwd=ROOT)


def _stack(tmp_path, stack, prefix: str, names: list[str], timeout: str):
    doc = stack_doc(stack, prefix, [{"name": n, "partitions": 1, "replication_factor": 1} for n in names])
    doc["cluster"]["timeout"] = timeout
    return write_stack(tmp_path / f"s-{timeout}.yaml", doc)


def test_plan_right_after_a_bulk_create_plans_no_creates(stack, admin, prefix, tmp_path):
    names = [f"{prefix}.t{i:05d}" for i in range(COUNT)]
    settle = _stack(tmp_path, stack, prefix, names, "60s")
    impatient = _stack(tmp_path, stack, prefix, names, "2s")  # shorter than the lag (mostly), long enough to read
    try:
        _bulk_create(admin, names)
        listed, exists = _lag(admin, prefix, names)
        assert exists == COUNT and listed < COUNT, f"no metadata lag in this run: {listed} of {COUNT} listed"

        # both at once: one whose deadline is long enough to wait for the metadata, one whose deadline may not be
        watch = _Listing(admin, prefix)
        started = time.monotonic()
        patient = _start("plan", str(settle), "--format", "json", "--detailed-exitcode")
        hasty = _start("plan", str(impatient), "--detailed-exitcode")
        status = _start("status", str(settle))  # unvalidated: asks the controller about what it finds missing
        out, err = patient.communicate(timeout=120)
        took = time.monotonic() - started
        assert patient.returncode == 0, (out + err)[-2000:]
        doc = json.loads(out)
        creates = [c["address"] for c in doc["resource_changes"] if "create" in c["actions"]]
        assert creates == [], f"{len(creates)} existing topics planned as new"
        assert [d for d in doc["diagnostics"] if d["severity"] == "error"] == []
        assert "TOPIC_ALREADY_EXISTS" not in out + err

        # a deadline shorter than the lag: one clear line, not a plan creating existing topics
        out, err = hasty.communicate(timeout=120)
        lag_outlasted_it = watch.unsettled_after(time.monotonic())
        watch.stop()
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert "Traceback" not in out + err and "TOPIC_ALREADY_EXISTS" not in out + err
        if lag_outlasted_it or hasty.returncode != 0:
            assert hasty.returncode == 1, out + err
            assert len(lines) == 1 and "the cluster's metadata has not settled" in lines[0], out + err
        else:  # the metadata listed every topic before the hasty plan's deadline: it plans as the patient one
            assert "No changes." in out, out + err
        out, err = status.communicate(timeout=120)
        assert status.returncode == 0, (out + err)[-2000:]  # every topic exists and is in sync: none missing
        assert f"{COUNT} resources: {COUNT} in sync" in out, out[-2000:]
        print(f"listed right after the create: {listed}/{COUNT}; the settling plan took {took:.1f} s; the lag "
              f"{'outlasted' if lag_outlasted_it else 'may have ended before the end of'} the hasty one, which said: "
              f"{(lines or out.splitlines())[0]}")
    finally:
        _delete(admin, prefix, names)


def test_a_plan_and_an_apply_right_after_a_bulk_apply_see_no_lock(stack, admin, prefix, tmp_path):
    """Issue 55: an apply ends without waiting for the brokers' metadata to drop its deleted lock topic (seconds
    behind a bulk create); the plan and the apply started right after it trust the lock's released mark
    (kplan.state.lock.read_holder): no "locked" warning, and the second apply takes the lock and succeeds."""
    names = [f"{prefix}.t{i:04d}" for i in range(1000)]
    first = _stack(tmp_path, stack, prefix, names, "30s")
    second = _stack(tmp_path, stack, prefix, [*names, f"{prefix}.more"], "60s")
    lock = f"__kplan_lock.{prefix}"
    try:
        r = kplan("apply", str(first), "--auto-approve")
        listed = lock in admin.list_topics(timeout=30).topics  # the released lock, still in the metadata?
        assert r.code == 0, r.text[-2000:]
        plan = kplan("plan", str(second), "--detailed-exitcode")
        assert plan.code == 2 and "locked" not in plan.text, plan.text[-2000:]
        again = kplan("apply", str(second), "--auto-approve")
        assert again.code == 0 and "Apply complete! Resources: 1 added" in again.out, again.text[-2000:]
        assert listed, "no metadata lag in this run: the lock's topic was no longer listed when the apply ended"
    finally:
        kplan("destroy", str(second), "--auto-approve")
        _delete(admin, prefix, [*names, f"{prefix}.more"])
