"""Ctrl-C at the start and inside every one-time request kind's step (issue 41): a consumer group's reset to
earliest, latest, a time, a duration ago or explicit offsets, its delete request, and a connector's offsets request
(reset, set). The setup and the verdicts are the kill sweep's (request_sweep.py): the group (or a STOPPED
FileStreamSink) at offset 3 on a 10-record topic, no token recorded; BEFORE is the offsets (or the group) as they
were with the request still pending and no token recorded, AFTER is the request's target with its token recorded
and a plan with nothing to do.

Nothing depends on timing: `kplan apply` of the request runs under faulty_kplan.py, which pauses at a point of
the step (`--pause-at`) and says so on stdout; SIGINT is sent while it waits there — `start`: the journal says the
step started, nothing read or written; `middle`: the step journaled what it found, before it writes (for a
connector, its state); `stopped`: a connector stopped and its offsets journaled; `end`: its writes done, the
journal still "started". `in-flight` (a connector's request): the REST write (DELETE or PATCH
/connectors/X/offsets) is held by a proxy in front of the worker (holding_proxy.py) and SIGINT sent once it is
there; the proxy forwards it after kplan gave up on it and made one more request, or after 1.5 s if kplan waits
for the answer.

Each trial: exit 130, no traceback, the apply lock gone, no unfinished run, and BEFORE or AFTER, never NEITHER;
Ctrl-C at the start (nothing written yet) must end BEFORE. A group's deletion that was done cannot be rolled back:
then the run exits 3 naming it (exiting.EXIT_CODES), and the request is AFTER, its token recorded. Before the fix
(issue 41) Ctrl-C after a delete request was journaled but before it was sent exited 3 calling the untouched group
"irreversible", and a deletion that was done left its token unrecorded (the request would delete the group again
once it is back). `REQUEST_INTERRUPT_LOG=FILE` appends each trial's
verdict to FILE as a JSON line (the figures in docs/fault-sweep.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from faulty_kplan import PAUSED
from holding_proxy import HoldingProxy
from kplan_helpers import ROOT, faulty_command, lock_exists, one_point_per_kind, run_env, sampled, wait_for
from request_sweep import CONNECTOR_KINDS, GROUP_KINDS, Outcome, RequestSweep

START = "journal-written:2"
POINTS = {k: {"start": START, "middle": "journal-written:3", "end": "in-step:1"} for k in GROUP_KINDS}
for _k in CONNECTOR_KINDS:
    POINTS[_k] = {"start": START, "middle": "journal-written:3", "stopped": "journal-written:4", "end": "in-step:1",
                  "in-flight": ""}
# a connector's request: the REST write the proxy holds
HELD = {"connector-reset": "DELETE", "connector-set": "PATCH"}
# CI: each kind once, the points in turn over the kinds, a connector's held REST write and its stop pinned (so every
# point is tried); KPLAN_ALL_CASES=1: every point of every kind (docs/fault-sweep.md's figures)
CASES = sampled([(k, pt) for k, points in POINTS.items() for pt in points],
                lambda cases: one_point_per_kind(cases, {"connector-reset": "in-flight", "connector-set": "stopped"}))


@pytest.fixture(scope="module")
def sweep(stack, tmp_path_factory):
    return RequestSweep(stack.bootstrap_servers, stack.connect_url, tmp_path_factory.mktemp("interrupt-requests"))


@pytest.fixture
def proxy(stack):
    p = HoldingProxy(stack.connect_url)
    yield p
    p.close()


def _interrupted(sweep: RequestSweep, change, pause_at: str, proxy: HoldingProxy | None) -> tuple[int, str]:
    """`kplan apply CHANGE`, SIGINT once it waits at `pause_at` (or once the proxy holds its request); (exit code,
    stdout + stderr)."""
    cmd = faulty_command("apply", str(change), "--auto-approve", pause_at=pause_at or None, pause_s=600)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=run_env(sweep.env), cwd=ROOT)
    seen = ""
    if proxy is not None:
        while not proxy.held.wait(0.2):
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"the apply ended (exit {proc.returncode}) before its request was held: {out}{err}")
    else:
        assert proc.stdout is not None
        while PAUSED not in seen:
            line = proc.stdout.readline()
            if not line:
                out, err = proc.communicate()
                pytest.fail(f"the apply never paused at {pause_at} (exit {proc.returncode}): {seen}{out}{err}")
            seen += line
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:  # hung: where its threads are (faulty_kplan.py), then its output
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the apply did not end within 300 s of SIGINT at {pause_at or 'the held request'}:\n"
                    f"{seen}{out}{err}")
    if proxy is not None:
        assert proxy.forwarded.wait(60), "the held request was never forwarded"
    return proc.returncode, seen + out + err


def _log(out: Outcome, code: int) -> None:
    path = os.environ.get("REQUEST_INTERRUPT_LOG")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"kind": out.kind, "point": out.point, "verdict": out.verdict, "exit": code,
                                "token": out.token}) + "\n")


@pytest.mark.parametrize("kind,point", CASES, ids=[f"{k}@{p}" for k, p in CASES])
def test_ctrl_c_in_a_request_step_ends_before_or_after(stack, sweep, proxy, kind, point):
    held = point == "in-flight"
    if held:  # the stack's Connect URL is the proxy's
        sweep = RequestSweep(sweep.bootstrap, proxy.url, sweep.workdir)
    p = sweep.next_name()
    out = Outcome(kind, point, "ctrl-c")
    try:
        change, out.before = sweep.setup(kind, p)
        out.target = sweep.target(kind, out.before)
        if held:
            proxy.arm(HELD[kind], f"/connectors/{p}-sink/offsets")
        code, text = _interrupted(sweep, change, POINTS[kind][point], proxy if held else None)
        out.outputs.append(f"apply interrupted at {point}: exit {code}: {text[-1500:]}")
        wait_for(lambda: not lock_exists(sweep.admin, p, {"bootstrap.servers": sweep.bootstrap}), 30,
                 "the apply lock's release")
        sweep.judge(kind, p, change, out)
        if out.verdict == "AFTER" and out.token != "r1":
            out.verdict = "NEITHER"  # applied, but not recorded: the request would be applied again
        elif out.verdict == "BEFORE" and out.token is not None:
            out.verdict = "NEITHER"
        _log(out, code)
        where = out.detail()
        assert "Traceback" not in text and "internal error" not in text, where
        # 130; or 3 once a group's deletion was done (irreversible): the rollback names it (exiting.EXIT_CODES)
        irreversible = kind == "group-delete" and out.verdict == "AFTER" and "irreversible" in text
        assert code == 130 or (code == 3 and irreversible), where
        assert not any("did not finish" in o for o in out.outputs), f"an unfinished run was left: {where}"
        assert out.verdict in ("BEFORE", "AFTER"), where
        assert point != "start" or out.verdict == "BEFORE", where
    finally:
        sweep.clean(p)
