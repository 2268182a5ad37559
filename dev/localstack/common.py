"""What every part of the launcher shares: where the stack lives, its one error type, how it speaks, and three
host-level chores the services need (a file lock, installing a Debian package, a data directory the database's
own OS user can reach).

Kept apart from process.py so that dist.py, process.py and the service modules can all use it without importing
one another in a circle.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent  # dev/: pom.xml and conf/ live here
ROOT = DEV.parent
HOST = "127.0.0.1"

# The stack's JVMs compile with C1 only. They live minutes, and the C2 compiler's work on a 2-core machine cost more
# than it ever paid back: a broker's CPU to start was 8.1-8.7 s with both compilers and 4.2-4.4 s with C1 only, and
# for creating, planning three times and destroying 300 topics 18.1-21.0 s against 9.2-11.7 s (two runs each,
# interleaved, this machine). Peak throughput, which C2 is for, is not what a test stack needs.
# The benchmarks measure what users run: a broker with the JVM's default JIT (KPLAN_STACK_JIT=default, which
# bench/_common.py sets; a running broker of the other kind is restarted, see kafka.broker_service).
C1_ONLY = "-XX:TieredStopAtLevel=1"
JIT = () if os.environ.get("KPLAN_STACK_JIT") == "default" else (C1_ONLY,)


def jit_of(cmdline: str) -> str:
    """How a JVM's command line compiles: "default" (C1 and C2) or "C1 only"."""
    return "C1 only" if C1_ONLY in cmdline else "default"


class LocalStackError(Exception):
    """A launcher failure with a message meant for the user (no traceback).

    Not "StackError": in kplan a stack is the user's stack file, and kplan.stackfile has its own StackError."""


def stack_dir() -> Path:
    """Where the stack writes everything (data, logs, pid files, rendered configs, the dist): `.stack/` by
    default, `KPLAN_STACK_DIR` overrides it. Read on every call, so tests can point it elsewhere."""
    return Path(os.environ.get("KPLAN_STACK_DIR", ROOT / ".stack")).resolve()


def say(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


def quiet_logger():
    """librdkafka logs connection refusals while the broker starts; readiness polling expects them."""
    import logging

    log = logging.getLogger("kplan.stack.readiness")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


class file_lock:
    """An exclusive advisory lock on a file, held for a `with` block."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        import fcntl

        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the lock


def apt_install(package: str, what: str) -> bool:
    """Install a Debian package (as root, with apt-get); False when this machine cannot (not root, no apt-get)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    say(f"installing {what} from Debian's packages (apt-get install {package})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with file_lock(Path("/var/tmp/kplan-stack-apt.lock")):  # two launchers must not run apt-get at once
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise LocalStackError(f"`{' '.join(cmd)}` failed:\n{(proc.stdout + proc.stderr).strip()[-1500:]}")
    return True


def service_data_dir(subdir: str, user: str, short: str) -> Path:
    """A database's data directory: under the stack directory — unless, running as root, the unprivileged user the
    server runs as cannot reach it (a checkout under /root, say); then a directory named after the stack directory
    under /var/tmp (wiped with it)."""
    inside = stack_dir() / "data" / subdir
    if os.geteuid() != 0 or _user_can_reach(user, stack_dir()):
        return inside
    return Path("/var/tmp") / f"kplan-stack-{short}-{hashlib.sha256(str(stack_dir()).encode()).hexdigest()[:12]}"


def _user_can_reach(user: str, path: Path) -> bool:
    import pwd

    try:
        pw = pwd.getpwnam(user)
        uid, gid = pw.pw_uid, pw.pw_gid
    except KeyError:
        # not created yet (the package install creates it, owning nothing here): only what others may do counts,
        # so the answer is the same before and after the install
        uid = gid = -1
    for parent in [path, *path.parents]:
        if not parent.exists():
            continue
        st = parent.stat()
        mode = st.st_mode
        can = (mode & 0o001) or (st.st_uid == uid and mode & 0o100) or (st.st_gid == gid and mode & 0o010)
        if not can:
            return False
    return True


def new_cluster_id() -> str:
    """A KRaft cluster id as `kafka-storage random-uuid` makes it: a random UUID, URL-safe base64 without padding,
    never starting with "-" (Kafka's Uuid.randomUuid draws again: the storage tool's argument parser would read such
    an id as an option, and formatting fails one time in 64)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid
