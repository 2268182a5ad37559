"""A warm `kplan` for the integration tests: each `kplan(...)` call of kplan_helpers is a process of its own, forked
from a zygote that has already imported kplan, click, confluent-kafka and the rest.

Why: a CI run starts `kplan` about 1,350 times (1,344 counted with KPLAN_TEST_RUN_COUNT), and each cold start spent
a tenth to a sixth of a CPU-second importing Python modules and compiling the stack schema before doing anything
(measured, 15-30 runs each: `kplan plan` of one topic 0.50-0.55 CPU-s cold, 0.36 forked; `kplan validate` 0.13-0.15
cold, 0.02 forked), on a 2-core machine that also runs the brokers, Connect and the databases. With every kplan
module and confluent_kafka imported ahead too (_preload), a forked plan of one topic is 0.06-0.08 CPU-s (0.18-0.23
before; 6 runs each, 2026-11-26).
A fork of an interpreter that has imported them (and created no client, no thread, no socket) starts the command at
once. The command itself runs exactly as `python -m kplan` does: its own process, its own environment, working
directory, stdin from /dev/null, stdout and stderr to files, `kplan.start.main` as the entry, and the interpreter's
own ending (non-daemon threads joined, atexit handlers run) before it exits with the command's code. The kill,
interrupt and start-up tests keep running real cold processes (faulty_kplan.py, subprocess).

Protocol (one zygote per test process, started on first use): a JSON line per request on the zygote's stdin
{"id", "argv", "env", "cwd", "out", "err"}; the zygote answers {"id", "pid"} when the child is forked and
{"id", "code"} when it has ended (a negative code is the signal that ended it, as subprocess reports it).
`KPLAN_TEST_COLD=1` makes kplan_helpers start every command cold instead.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Callable


class Zygote:
    """The test process's side: starts the zygote, sends requests, waits for their ends (from any thread)."""

    def __init__(self, root: Path):
        self.proc = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=root, bufsize=0)
        self._write = threading.Lock()
        self._cond = threading.Condition()
        self._answers: dict[int, dict] = {}
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="kplan-zygote-reader", daemon=True)
        self._reader.start()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            msg = json.loads(line)
            with self._cond:
                self._answers.setdefault(msg["id"], {}).update(msg)
                self._cond.notify_all()
        with self._cond:  # the zygote ended: wake every waiter
            self._cond.notify_all()

    def _wait_for(self, rid: int, key: str, timeout: float | None) -> dict | None:
        with self._cond:
            ok = self._cond.wait_for(lambda: key in self._answers.get(rid, {}) or not self.alive(), timeout)
            if not ok or key not in self._answers.get(rid, {}):
                return None
            return self._answers[rid]

    def run(self, argv: list[str], env: dict, cwd: Path, timeout: float) -> tuple[int, str, str]:
        with tempfile.TemporaryDirectory(prefix="kplan-run-") as tmp:
            out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
            with self._write:
                rid = self._next
                self._next += 1
                assert self.proc.stdin is not None
                self.proc.stdin.write((json.dumps({"id": rid, "argv": argv, "env": env, "cwd": str(cwd),
                                                   "out": out, "err": err}) + "\n").encode())
            started = self._wait_for(rid, "pid", 30)
            if started is None:
                raise RuntimeError("the kplan zygote did not fork the command (it ended?)")
            ended = self._wait_for(rid, "code", timeout)
            if ended is None:
                try:
                    os.kill(started["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._wait_for(rid, "code", 30)
                raise subprocess.TimeoutExpired(["kplan", *argv], timeout)
            with self._cond:
                self._answers.pop(rid, None)
            return ended["code"], _read_text(out), _read_text(err)


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


# --- the zygote's side ------------------------------------------------------------------------------------------

def _preload() -> None:
    """What every command imports anyway (the command modules pull in the rest): no client, thread or socket."""
    import gc
    import importlib

    import kplan.start  # noqa: F401
    from kplan.cli import COMMANDS

    for target, _ in COMMANDS.values():
        importlib.import_module(target.split(":")[0])
    # And every other module of kplan: the kinds' planning, reading and step modules are imported when a run first
    # asks for them (kinds/unit.py resolves them by name), so a forked `kplan plan` of one topic still imported ~200
    # modules, half its CPU (0.19-0.20 CPU-s a run, 0.09 with everything imported here; 6 runs each, 2026-11-26).
    import pkgutil

    import kplan

    for module in pkgutil.walk_packages(kplan.__path__, "kplan."):
        if not module.name.endswith(".__main__"):  # runs the CLI when imported
            importlib.import_module(module.name)
    # kplan imports its clients inside the functions that make them (a `kplan validate` never loads librdkafka):
    # confluent_kafka's package (asyncio with it) was 50 more modules in every forked run that talks to Kafka.
    import resource  # noqa: F401 - apply's peak-memory line

    import confluent_kafka  # noqa: F401
    import confluent_kafka.admin  # noqa: F401

    # Loading one small stack compiles the stack schema's validators (a tenth of a CPU-second, cached per process).
    from kplan.stackfile import load_stack

    with tempfile.TemporaryDirectory(prefix="kplan-zygote-") as tmp:
        path = os.path.join(tmp, "warm.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("stack: zygote-warm-up\ncluster:\n  bootstrap_servers: 127.0.0.1:9\n"
                    "topics:\n  - name: warm\n    partitions: 1\n    replication_factor: 1\n")
        load_stack(path, environ={})
    gc.freeze()  # what the zygote imported stays shared with its children (no copy on the collector's write)


def _child(req: dict, protocol_fd: int, wake_fds: tuple[int, ...] = ()) -> None:
    """In the forked child: become `kplan ARGV` in ENV and CWD, with stdout/stderr to files; never return."""
    import gc

    code = 1
    try:
        # Nothing frozen, as in a cold start: kplan's stack loader asks gc.get_freeze_count(), which walks every
        # frozen object (the zygote's ~76,000: 6.5 ms a run). Unfreezing only relinks the lists; the objects stay in
        # the oldest generation, which no collection of a short run scans.
        gc.unfreeze()
        signal.set_wakeup_fd(-1)
        for fd in (protocol_fd, *wake_fds):
            os.close(fd)
        os.setpgid(0, 0)  # its own process group, like a command started by a shell
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, req["out"]), (2, req["err"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.environ.clear()
        os.environ.update(req["env"])
        os.chdir(req["cwd"])
        sys.argv = ["kplan", *req["argv"]]
        import atexit
        import threading as _threading

        from kplan.start import main
        try:
            main(req["argv"])
            code = 0
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        # The interpreter's own ending, as in `python -m kplan`: join kplan's non-daemon threads, run the atexit
        # handlers (kplan.start's last one ends the process with the command's code itself).
        _threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001 - the child must never fall back into the zygote's loop
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code)


def _reap(running: dict[int, int], argvs: dict[int, list[str]], say: Callable[[dict], None],
          cpu_log: IO[str] | None) -> None:
    """Every ended child answered (its exit code), and its CPU logged when asked."""
    while running:
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            return
        rid = running.pop(pid, None)
        if rid is not None:
            say({"id": rid, "code": os.waitstatus_to_exitcode(status)})
        if cpu_log is not None:
            cpu_log.write(json.dumps([round(usage.ru_utime + usage.ru_stime, 3), argvs.pop(pid, None)]) + "\n")
            cpu_log.flush()


def _serve() -> None:
    sys.path[0] = os.getcwd()  # kplan from the checkout the tests run in, as `python -m kplan` there (and no test
    # module shadows one kplan imports)
    protocol_fd = os.dup(1)
    os.dup2(2, 1)  # nothing the zygote imports may write into the protocol
    _preload()
    running: dict[int, int] = {}  # pid -> request id
    pending = b""

    def say(msg: dict) -> None:
        os.write(protocol_fd, (json.dumps(msg) + "\n").encode())

    # Blocked until a request comes or a child ends (SIGCHLD writes to the wake-up pipe): a zygote polling every
    # 20 ms took ~3 ms of CPU a second while idle, ~15 CPU-s of a CI run's five or six zygotes.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    open_input = True
    served = 0
    # KPLAN_TEST_RUN_CPU names a file: one line per command, [its CPU-s, its first two arguments] (to measure).
    cpu_path = os.environ.get("KPLAN_TEST_RUN_CPU")
    cpu_log = open(cpu_path, "a", encoding="utf-8") if cpu_path else None  # noqa: SIM115 - open for the zygote's life
    argvs: dict[int, list[str]] = {}
    while open_input or running:
        readable, _, _ = select.select([0, wake_r] if open_input else [wake_r], [], [])
        if wake_r in readable:
            while True:
                try:
                    if not os.read(wake_r, 4096):
                        break
                except BlockingIOError:
                    break
        if 0 in readable:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                open_input = False
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                req = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(req, protocol_fd, (wake_r, wake_w))
                running[pid] = req["id"]
                argvs[pid] = req["argv"][:2]
                served += 1
                say({"id": req["id"], "pid": pid})
        _reap(running, argvs, say, cpu_log)
    count_file = os.environ.get("KPLAN_TEST_RUN_COUNT")  # to measure how many commands a test run starts
    if count_file:
        with open(count_file, "a", encoding="utf-8") as f:
            f.write(f"{served}\n")


if __name__ == "__main__":
    _serve()
