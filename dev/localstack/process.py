"""One background process of the stack (the Service class) and the process plumbing it stands on.

A service is started detached (its own session, output appended to `<stack dir>/logs/<name>.log`) and recorded in
`<stack dir>/run/<name>.pid`. A pid file alone proves nothing after a crash or a reboot — the pid may since belong
to an unrelated process — so a service is only "ours" when that pid is alive, not a zombie, and carries the
service's marker on its command line. Starting checks its ports first (naming the one that is taken), waiting for
readiness notices a process that dies on start and shows its log tail, and stopping signals the whole process
group, escalating to SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cds, nosync
from .common import HOST, LocalStackError, say, stack_dir
from .dist import pom_digest

STOP_TIMEOUT_S = 30.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not reaped) is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def cmdline_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Service:
    """One background process of the stack."""

    name: str
    ports: tuple[int, ...]
    ready: Callable[[], bool]
    command: Callable[[Path], list[str]]
    prepare: Callable[[Path], None] = lambda dist: None
    # Runs once the service is ready after a start (e.g. seeding the demo database on first use).
    after_start: Callable[[], None] = lambda: None
    stop_signal: int = signal.SIGTERM
    # Text on the process's command line that tells it apart from an unrelated process that reused its pid;
    # defaults to a -D marker put on the java command line.
    marker_text: str | None = None
    # Restart it when dev/pom.xml changed since it started (Connect loads its plugins only on start).
    restart_on_new_dist: bool = False
    # Why a running, healthy process must still be restarted (its rendered config changed since it started, say);
    # None when it need not be.
    outdated: Callable[[], str | None] = lambda: None
    # Variables added to the process's environment (the launcher's own stays as it is).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def marker(self) -> str:
        return self.marker_text or f"-Dkplan.stack={self.name}@{stack_dir()}"

    @property
    def pid_file(self) -> Path:
        return stack_dir() / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return stack_dir() / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        """The recorded pid if that process is alive and really ours, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if _pid_alive(pid) and self.marker in cmdline_of(pid):
            return pid
        return None

    def has_stale_pid_file(self) -> bool:
        return self.pid_file.exists() and self.pid() is None

    @property
    def dist_file(self) -> Path:
        """The pom digest of the dist the running process was started from."""
        return stack_dir() / "run" / f"{self.name}.dist"

    def runs_old_dist(self) -> bool:
        if not self.restart_on_new_dist:
            return False
        try:
            return self.dist_file.read_text().strip() != pom_digest()
        except OSError:
            return True  # started before its dist was recorded: assume it is older

    def restart_reason(self) -> str | None:
        if self.runs_old_dist():
            return "runs from an older dev/pom.xml; restarting it to load the new plugins"
        return self.outdated()

    def start(self, dist: Path) -> None:
        for port in self.ports:
            if not _port_free(port):
                raise LocalStackError(
                    f"port {HOST}:{port} is already taken by another process; {self.name} needs it "
                    f"(find it with `ss -ltnp 'sport = :{port}'`, stop it, or change the port)"
                )
        self.prepare(dist)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name} ====\n".encode())
            log.flush()
            proc = subprocess.Popen(
                self.command(dist),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=stack_dir(),
                env={**os.environ, **nosync.preload(), **self.env},
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        self.dist_file.write_text(pom_digest() + "\n")
        self._proc = proc

    def start_alone(self, timeout_s: float, what: str = "") -> bool:
        """Start this service on its own (one that `up` leaves alone: Keycloak, the forge) unless it runs and is
        healthy, restarting it when `restart_reason` says so; True when it was started."""
        if self.pid() is not None and (reason := self.restart_reason()) is not None:
            say(f"{self.name} {reason}")
            self.stop()
        if self.pid() is not None:
            self.wait_ready(min(timeout_s, 60.0))
            return False
        if self.has_stale_pid_file():
            self.pid_file.unlink(missing_ok=True)
        say(f"starting {self.name}{what} (log: {self.log_file})")
        self.start(stack_dir())
        self.wait_ready(timeout_s)
        return True

    def becomes_ready(self, timeout_s: float) -> bool:
        """Ready now or within `timeout_s`: a healthy service under load (a Connect worker busy rebalancing for
        several test files at once, say) can miss one short health check and answer the next."""
        deadline = time.monotonic() + timeout_s
        while not self.ready():
            if time.monotonic() >= deadline or self.pid() is None:
                return False
            time.sleep(0.5)
        return True

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        proc = getattr(self, "_proc", None)
        while time.monotonic() < deadline:
            # A process this launcher just started is judged by whether it exited: for an instant after exec its
            # command line can read empty, and pid() would take it for a stranger that reused the pid.
            if (proc.poll() is not None) if proc is not None else (self.pid() is None):
                raise LocalStackError(
                    f"{self.name} died on start; last lines of {self.log_file}:\n{tail(self.log_file)}"
                )
            if self.ready():
                return
            time.sleep(0.5)
        raise LocalStackError(
            f"{self.name} did not become ready within {timeout_s:.0f}s; last lines of {self.log_file}:\n"
            f"{tail(self.log_file)}"
        )

    def stop(self) -> bool:
        """SIGTERM the process group, then SIGKILL after a grace period. True if something was stopped."""
        return bool(stop_together([self]))


def stop_together(services: list[Service]) -> list[Service]:
    """Stop services at once: each process group signalled, then all waited for within one grace period, SIGKILL for
    what outlives it. For services that do not depend on one another: a Connect worker's or a broker's clean
    shutdown waits seconds on timeouts, not on the CPU (9-13 s each at the end of a CI run), so one after another
    they added up. The ones that were running are returned."""
    running = [(svc, pid) for svc in services if (pid := svc.pid()) is not None]
    for svc, pid in running:
        say(f"stopping {svc.name} (pid {pid})")
        _signal_group(pid, svc.stop_signal)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(_pid_alive(pid) for _, pid in running) and time.monotonic() < deadline:
        time.sleep(0.2)
    for svc, pid in running:
        if _pid_alive(pid):
            say(f"{svc.name} ignored {signal.Signals(svc.stop_signal).name} for {STOP_TIMEOUT_S:.0f}s; killing it")
            _signal_group(pid, signal.SIGKILL)
            while _pid_alive(pid):
                time.sleep(0.1)
        else:
            cds.settle(svc.marker)  # a JVM's class archive, written as it exited (cds.py)
    for svc in services:
        svc.pid_file.unlink(missing_ok=True)
        svc.dist_file.unlink(missing_ok=True)
    return [svc for svc, _ in running]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
