"""Run the real `kplan` command line with faults injected, for crash and rollback tests.

    python tests/integration/faulty_kplan.py [--fail-at step:N] [--pause-at in-step:N|after-step:N]
                                             [--pause-s SECONDS] -- KPLAN-ARGS...

e.g. `python tests/integration/faulty_kplan.py --fail-at step:2 -- apply stack.yaml --auto-approve`.

  --fail-at step:N        step N (1-based, as the progress lines count) fails right after its writes; the run
                          rolls back as after any failure
  --fail-at run-step:N    the same, counting the steps of the whole process (a stack with several clusters
                          runs one executor per cluster, each counting from 1)
  --kill-at run-in-step:N as in-step:N, counting the steps of the whole process
  --kill-at POINT:N       the process SIGKILLs itself right after the N-th (1-based) transition POINT of its
                          own state, counted over the whole process: lock-taken, journal-written,
                          ownership-written, lock-releasing (kplan.state.faults.POINTS), or in-step / after-step
                          (step N, as for --pause-at)
  --count-points FILE     append each transition (POINT, in order) to FILE as it happens (to learn how many
                          there are before sweeping them)
  --pause-at step-start:N the run prints `KPLAN-TEST-PAUSED step-start:N` and waits once the journal says step N
                          started, before it writes anything (--kill-at step-start:N kills it there)
  --pause-at in-step:N    the run prints `KPLAN-TEST-PAUSED in-step:N` and waits (for --pause-s, default 120)
                          once step N's writes are done while its journal entry still says "started";
             after-step:N the same once the journal says step N is done. The test SIGKILLs it there, or
                          changes the cluster meanwhile and lets it go on.
             POINT:N      the same right after the N-th transition POINT (as for --kill-at), e.g.
                          journal-written:1: planned and journaled, before the first step runs

It installs a `kplan.state.faults.Faults` object with `kplan.state.faults.install()`, the only way faults reach
kplan (no option, command or environment variable does), then calls `kplan.cli.main`. The kplan it runs is the
one in this repository (not an installed copy).
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kplan.errors import KplanError  # noqa: E402
from kplan.state import faults  # noqa: E402

PAUSED = "KPLAN-TEST-PAUSED"


class InjectedFaults(faults.Faults):
    def __init__(self, fail_at: int | None, pause_at: tuple[str, int] | None, pause_s: float,
                 kill_at: tuple[str, int] | None = None, count_file: str | None = None):
        self.fail_at = fail_at  # 1-based step number
        self.pause_at = pause_at  # ("in-step" | "after-step", 1-based step number)
        self.pause_s = pause_s
        self.kill_at = kill_at  # (point, 1-based count of that point)
        self.count_file = count_file
        self.counts: dict[str, int] = {}
        self.fail_at_run: int | None = None  # 1-based, counted over every executor of the process
        self.ran = 0
        self.in_steps = 0  # in_step calls over the process (--kill-at run-in-step:N)

    def at(self, point: str) -> None:
        self.counts[point] = self.counts.get(point, 0) + 1
        if self.count_file:
            with open(self.count_file, "a") as f:
                f.write(point + "\n")
        if self.kill_at == (point, self.counts[point]):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        if self.pause_at == (point, self.counts[point]):
            sys.stdout.write(f"\n{PAUSED} {point}:{self.counts[point]}\n")
            sys.stdout.flush()
            _wait(self.pause_s)

    def step_started(self, index: int) -> None:
        if self.kill_at == ("step-start", index + 1):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        self._pause("step-start", index)

    def in_step(self, index: int) -> None:
        self.in_steps += 1
        if self.kill_at == ("in-step", index + 1) or self.kill_at == ("run-in-step", self.in_steps):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        self._pause("in-step", index)

    def after_step_ran(self, index: int) -> None:
        self.ran += 1
        if self.fail_at_run == self.ran:
            raise KplanError(f"injected failure after step {self.ran} of the process (faulty_kplan --fail-at)")
        if self.fail_at == index + 1:
            raise KplanError(f"injected failure after step {index + 1} (faulty_kplan --fail-at)")

    def after_step(self, index: int) -> None:
        if self.kill_at == ("after-step", index + 1):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        self._pause("after-step", index)

    def _pause(self, where: str, index: int) -> None:
        if self.pause_at == (where, index + 1):
            sys.stdout.write(f"\n{PAUSED} {where}:{index + 1}\n")
            sys.stdout.flush()
            _wait(self.pause_s)


def _wait(seconds: float) -> None:
    """The pause, in slices: Python runs a signal's handler (the test's SIGINT) only between bytecodes of the main
    thread, and a signal the kernel hands to another thread would not cut one long sleep of it short. (Suspected, not
    shown: a loaded CI run's apply made no request in the 300 s after its SIGINT at such a pause; if it recurs, the
    test's SIGUSR1 prints where each thread was.)"""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(0.2, left))


def _point(text: str, kinds: tuple[str, ...]) -> tuple[str, int]:
    kind, _, n = text.partition(":")
    if kind not in kinds or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(f"expected {' or '.join(k + ':N' for k in kinds)}, got {text!r}")
    return kind, int(n)


def main(argv: list[str]) -> None:
    if "--" not in argv:
        raise SystemExit("usage: faulty_kplan.py [--fail-at step:N] [--pause-at in-step:N|after-step:N] "
                         "[--pause-s S] -- KPLAN-ARGS...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="faulty_kplan.py")
    parser.add_argument("--fail-at", type=lambda t: _point(t, ("step", "run-step")))
    parser.add_argument("--pause-at", type=lambda t: _point(t, faults.POINTS + ("step-start", "in-step", "after-step")))
    parser.add_argument("--pause-s", type=float, default=120.0)
    parser.add_argument("--kill-at", type=lambda t: _point(t, faults.POINTS + ("step-start", "in-step", "after-step",
                                                                          "run-in-step")))
    parser.add_argument("--count-points", metavar="FILE")
    opts = parser.parse_args(argv[:split])
    fail_kind, fail_n = opts.fail_at or (None, None)
    injected = InjectedFaults(fail_n if fail_kind == "step" else None, opts.pause_at, opts.pause_s, opts.kill_at,
                              opts.count_points)
    injected.fail_at_run = fail_n if fail_kind == "run-step" else None
    faults.install(injected)
    # a test that finds the run hung asks it where each thread is (SIGUSR1: their stacks on stderr) before killing it
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    from kplan.cli import main as kplan_main

    kplan_main(argv[split + 1:])


if __name__ == "__main__":
    main(sys.argv[1:])
