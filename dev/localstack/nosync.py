"""The stack's services run without fsync: Debian's libeatmydata, preloaded into every process the launcher starts
(`LD_PRELOAD`), turns fsync, fdatasync, msync(MS_SYNC), sync_file_range and O_SYNC opens into no-ops.

Why: a test stack's data is thrown away, so durability against a power cut buys it nothing, while its fsyncs were
what made the CI stage that restarts the stack wait on the disk. A broker fsyncs on every KRaft metadata commit, on
each new partition's files and on every checkpoint: 5,198 fsyncs for the request budget's 1,000-topic create and
destroy (strace), which took 11 s on an idle machine and 33-80 s in CI runs whose CPU sat 43-78 % in iowait beside
the 3-broker cluster, the version smoke's brokers and the forge, all fsyncing too. A process killed by a test
(SIGKILL) loses nothing either way: its writes are in the page cache. Only a crash of the machine itself would.

The library comes from the `eatmydata` package, installed with apt-get on first use where the launcher may (as root);
where it is missing and cannot be installed, the services run as before, with fsync. KPLAN_STACK_FSYNC=on keeps fsync
(a benchmark of the broker's own write path, say). kplan's own processes are left alone: its journal's fsync is part
of what the tests test."""

from __future__ import annotations

import glob
import os
from functools import lru_cache
from pathlib import Path

from .common import LocalStackError, apt_install, say

_NAME = "libeatmydata.so"
_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib")


def _find() -> Path | None:
    for d in (*_DIRS, *sorted(glob.glob("/usr/lib/*-linux-gnu"))):
        for name in (_NAME, f"{_NAME}.1"):
            p = Path(d) / name
            if p.is_file():
                return p
    return None


@lru_cache(maxsize=1)
def library() -> Path | None:
    """libeatmydata's path (installing the package once where it is missing and apt-get may), or None."""
    if os.environ.get("KPLAN_STACK_FSYNC") == "on":
        return None
    found = _find()
    if found is None:
        try:
            if apt_install("eatmydata", "libeatmydata (the stack's services skip fsync: dev/localstack/nosync.py)"):
                found = _find()
        except LocalStackError as e:
            say(f"the stack's services keep fsync: {str(e).splitlines()[0]}")
    return found


def preload() -> dict[str, str]:
    """The environment that preloads libeatmydata into a service (before whatever LD_PRELOAD already holds)."""
    lib = library()
    if lib is None:
        return {}
    current = os.environ.get("LD_PRELOAD", "")
    if str(lib) in current.split(":"):
        return {}
    return {"LD_PRELOAD": f"{lib}:{current}" if current else str(lib)}
