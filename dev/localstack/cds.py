"""Class-data sharing for the stack's JVMs (the brokers, the Connect workers): the classes a JVM loads from its
classpath are parsed and verified once per machine and kept in an archive in the build cache, which every later
start of the same classpath and main class maps instead (`-XX:SharedArchiveFile`). A start with no archive yet
records one (`-XX:ArchiveClassesAtExit`, Java 13+: written when the JVM exits on SIGTERM) under a name of its own;
`settle`, called once the launcher's stop saw it exit, renames it into place. The archive's key is the JVM (its
binary and libjvm), the main class and the classpath's jars by name, size and time, so a stack directory's linked
copy of the kept dist (buildcache.kept_dist) finds the archive another stack directory's JVM wrote. A JVM that finds
an archive it cannot use (another JDK, changed jars) starts without it, as before (`-Xshare:auto`, the default).
KPLAN_STACK_CDS=off leaves it out."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from .buildcache import build_cache

_PARTIAL = ".partial"


def _key(java: str, main: str, classpath: list[str]) -> str:
    real = Path(java).resolve()
    parts = [str(real), main]
    for lib in real.parent.parent.glob("lib/server/libjvm.so"):
        st = lib.stat()
        parts.append(f"{lib}:{st.st_size}:{st.st_mtime_ns}")
    for entry in classpath:
        paths = sorted(Path(entry[:-1]).glob("*.jar")) if entry.endswith("*") else [Path(entry)]
        for p in paths:
            try:
                st = p.stat()
            except OSError:
                continue
            parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _tag(marker: str) -> str:
    return hashlib.sha256(marker.encode()).hexdigest()[:12]


def options(java: str, marker: str, main: str, classpath: list[str]) -> tuple[str, ...]:
    """The JVM option that maps this classpath's archive, or records it when there is none yet."""
    if os.environ.get("KPLAN_STACK_CDS") == "off":
        return ()
    cds = build_cache() / "cds"
    archive = cds / f"{main.rsplit('.', 1)[-1]}-{_key(java, main, classpath)}.jsa"
    if archive.exists():
        return (f"-XX:SharedArchiveFile={archive}",)
    cds.mkdir(parents=True, exist_ok=True)
    return (f"-XX:ArchiveClassesAtExit={archive}.{_tag(marker)}{_PARTIAL}",)


def settle(marker: str) -> None:
    """After the JVM started with `marker` exited on SIGTERM: its recorded archive, if any, into place (the first
    one wins; a later one, or one left by a JVM stopped otherwise over an hour ago, is deleted)."""
    cds = build_cache() / "cds"
    if not cds.is_dir():
        return
    mine = f".{_tag(marker)}{_PARTIAL}"
    for partial in cds.glob(f"*{_PARTIAL}"):
        final = partial.parent / partial.name.split(".jsa.", 1)[0]
        final = final.with_name(final.name + ".jsa")
        try:
            if partial.name.endswith(mine) and not final.exists():
                os.replace(partial, final)
            elif partial.name.endswith(mine) or partial.stat().st_mtime < time.time() - 3600:
                partial.unlink()
        except OSError:
            pass

