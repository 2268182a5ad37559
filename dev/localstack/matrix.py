"""The version matrix: a bare broker and Connect worker at a chosen Kafka version (`KPLAN_KAFKA_VERSION`, or
`dev/stack up --kafka-version X`), assembled by Maven from dev/matrix/pom.xml into `<stack dir>/dist-kafka-<v>/`.

Unset, the stack is the default one: dev/pom.xml's version with Debezium, the registry and the databases. Set (even
to the default version), it is only the broker (with its SASL_SSL listener, users and ACLs) and a Connect worker
with connect-file: what the compatibility tests need. Connect's version follows the broker's unless
`KPLAN_CONNECT_VERSION` says otherwise or Central serves no connect-runtime at that version (CONNECT_FOR). The
broker and Connect get a classpath each (lib/, connect-lib/), so two versions never mix on one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from .buildcache import kept_dist, linked_copy
from .common import DEV, LocalStackError, file_lock, say, stack_dir

POM = DEV / "matrix" / "pom.xml"
# Versions whose connect-runtime (and connect-file) Central does not serve: Connect runs at the version given.
# `mvn dependency:get -Dartifact=org.apache.kafka:connect-runtime:4.4.0` fails (kafka_2.13:4.4.0 resolves).
CONNECT_FOR = {"4.4.0": "4.3.1"}


def kafka_version() -> str | None:
    """The broker version asked for, None for the default stack. Read on every call (tests may set it)."""
    return os.environ.get("KPLAN_KAFKA_VERSION") or None


def connect_version() -> str | None:
    v = kafka_version()
    if v is None:
        return None
    return os.environ.get("KPLAN_CONNECT_VERSION") or CONNECT_FOR.get(v, v)


def label() -> str:
    """`Kafka 3.9.2` or `Kafka 4.4.0 (Connect 4.3.1)`, for messages and the test summary."""
    k, c = kafka_version(), connect_version()
    return f"Kafka {k}" + ("" if c == k else f" (Connect {c})")


def dist_dir() -> Path:
    k, c = kafka_version(), connect_version()
    return stack_dir() / (f"dist-kafka-{k}" + ("" if c == k else f"-connect-{c}"))


def digest() -> str:
    """What the laid-out dist was built from: the matrix pom and the two versions."""
    h = hashlib.sha256(POM.read_bytes())
    h.update(f"{kafka_version()}/{connect_version()}".encode())
    return h.hexdigest()


def dist_current() -> bool:
    stamp = dist_dir() / ".pom.sha256"
    return stamp.exists() and stamp.read_text().strip() == digest()


def _assemble(mvn: str, out: Path) -> None:
    say(f"assembling {label()} with Maven (broker and Connect only)")
    for profile, prop, version in (("broker", "kafka.version", kafka_version()),
                                   ("connect", "connect.version", connect_version())):
        proc = subprocess.run([mvn, "-B", "-q", "-f", str(POM), "package", f"-P{profile}",
                               f"-D{prop}={version}", f"-Dstack.dist={out}"], capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
            artifact = "kafka_2.13" if profile == "broker" else "connect-runtime"
            raise LocalStackError(
                f"Maven could not fetch org.apache.kafka:{artifact}:{version} (is that version on Maven "
                f"Central? KPLAN_CONNECT_VERSION runs Connect at another one):\n{tail}")


def ensure_dist(mvn: str) -> Path:
    """Lay out lib/ (the broker), connect-lib/ and plugins/connect-file/ with two Maven runs, beside the old dist
    and swapped in by renames, under a lock (like dist.ensure_dist)."""
    dist = dist_dir()
    if dist_current():
        return dist
    dist.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(dist.parent / ".dist.lock"):
        if dist_current():
            return dist
        fresh, old = dist.with_name(dist.name + ".new"), dist.with_name(dist.name + ".old")
        for leftover in (fresh, old):
            shutil.rmtree(leftover, ignore_errors=True)
        linked_copy(kept_dist(dist.name, digest(), lambda out: _assemble(mvn, out)), fresh)
        if dist.exists():
            dist.rename(old)
        fresh.rename(dist)
        shutil.rmtree(old, ignore_errors=True)
    return dist
