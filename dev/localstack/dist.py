"""The stack's jars and Connect plugins, assembled by Maven from dev/pom.xml into `<stack dir>/dist/`.

dev/pom.xml is the one place versions are pinned; this module reads them (pom_versions), knows whether the laid-out
dist still matches the pom (a digest stamp), and rebuilds it when not. A rebuild is laid out beside the old dist and
swapped in by two renames, so a broker or Connect worker running from the old one never sees a half-empty
directory; a file lock makes concurrent launchers take turns. Maven lays a dist out once per machine and pom, into
the build cache (buildcache.kept_dist); a stack directory's dist is a linked copy of it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from . import matrix
from .buildcache import kept_dist, linked_copy
from .common import DEV, LocalStackError, file_lock, say, stack_dir


def check_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise LocalStackError(
            "Maven is not installed: install it, e.g. `apt-get install maven` (it fetches the Kafka jars)"
        )
    return mvn


def pom_versions() -> dict[str, str]:
    """The pinned versions, read from dev/pom.xml (the single place they are written)."""
    text = (DEV / "pom.xml").read_text()
    return {k: v for k, v in re.findall(r"<(kafka|debezium|debezium\.mariadb|log4j|apicurio)\.version>([^<]+)</", text)}


def dist_dir() -> Path:
    if matrix.kafka_version():  # a chosen Kafka version: its own bare dist (matrix.py)
        return matrix.dist_dir()
    return stack_dir() / "dist"


def pom_digest() -> str:
    if matrix.kafka_version():
        return matrix.digest()
    return hashlib.sha256((DEV / "pom.xml").read_bytes()).hexdigest()


def dist_current() -> bool:
    """True when the laid-out jars and plugins are the ones dev/pom.xml describes."""
    if matrix.kafka_version():
        return matrix.dist_current()
    dist = dist_dir()
    stamp = dist / ".pom.sha256"
    return stamp.exists() and stamp.read_text().strip() == pom_digest() and (dist / "lib").is_dir()


def _assemble(out: Path) -> None:
    mvn = check_maven()
    v = pom_versions()
    say(f"assembling Kafka {v.get('kafka')} + Debezium {v.get('debezium')} with Maven")
    proc = subprocess.run([mvn, "-B", "-q", "-f", str(DEV / "pom.xml"), "package", f"-Dstack.dist={out}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise LocalStackError(
            "Maven could not fetch the stack's artifacts (is Maven Central reachable? see ~/.m2/settings.xml "
            f"for proxies):\n{tail}"
        )


def ensure_dist() -> Path:
    """Lay out the jars and plugins with Maven (downloads into ~/.m2 on first use; later runs reuse it).

    A changed pom is laid out beside the old dist and swapped in by two renames, so processes running from the old
    one (a broker, a Connect worker) never see a half-empty directory; concurrent launchers take turns."""
    if matrix.kafka_version():
        return matrix.ensure_dist(check_maven())
    dist = dist_dir()
    if dist_current():
        return dist
    dist.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(dist.parent / ".dist.lock"):
        if dist_current():  # another launcher did it while we waited
            return dist
        digest = pom_digest()
        fresh = dist.parent / "dist.new"
        old = dist.parent / "dist.old"
        for leftover in (fresh, old):
            shutil.rmtree(leftover, ignore_errors=True)
        linked_copy(kept_dist("dist", digest, _assemble), fresh)
        if dist.exists():
            dist.rename(old)
        fresh.rename(dist)
        shutil.rmtree(old, ignore_errors=True)
    return dist
