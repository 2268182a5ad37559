"""What the stack builds once per machine and keeps for every stack directory: Keycloak's built server, the forge
(Gitea), the workflow runners (act, gitlab-ci-local) and the jars Maven lays out (`kept_dist`). They live beside
Maven's copy of the jars, under `~/.m2/kplan/` (`KPLAN_STACK_BUILD_CACHE` overrides it), one directory per tool,
keyed by its version (and whatever else it is built from), so that a new version is built beside the old one and a
clean clone on a warm machine builds nothing. A directory is made whole or not at all: built into a hidden partial
directory, renamed into place, under a lock (two launchers take turns; the second finds it made). Builds run under
`nice`: the machines are shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

from .common import LocalStackError, file_lock, say

NICE = ("nice", "-n", "10")


def build_cache() -> Path:
    """Read on every call, so tests can point it elsewhere."""
    return Path(os.environ.get("KPLAN_STACK_BUILD_CACHE", str(Path.home() / ".m2" / "kplan")))


def cached(name: str, proof: str, make: Callable[[Path], None]) -> Path:
    """`build_cache()/name`, made by `make(partial)` unless it holds `proof` (a path inside it that only a
    complete build has). A `make` that raises leaves nothing behind."""
    done = build_cache() / name
    if (done / proof).exists():
        return done
    done.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(done.parent / f".{name}.lock"):
        if (done / proof).exists():  # made by another launcher while this one waited
            return done
        partial = done.parent / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(done, ignore_errors=True)  # an incomplete leftover
        partial.mkdir()
        try:
            make(partial)
            if not (partial / proof).exists():
                raise LocalStackError(f"building {name} left no {proof}")
            partial.rename(done)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return done


def check_tool(tool: str, why: str, install: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise LocalStackError(f"{tool} is not installed ({why}): {install}")
    return path


def run_build(what: str, cmd: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run one build command under `nice`, its output appended to `log`; say how long it took. A failure is a
    LocalStackError with the log's tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "ab") as out:
        out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)} ====\n".encode())
        out.flush()
        proc = subprocess.run([*NICE, *cmd], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              cwd=cwd, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        lines = log.read_text(errors="replace").splitlines()[-15:]
        raise LocalStackError(f"building {what} failed (exit {proc.returncode}); last lines of {log}:\n"
                              + "\n".join(lines))
    say(f"built {what} in {time.monotonic() - started:.0f} s")


def module_source(go: str, module: str, version: str, dest: Path) -> Path:
    """A writable copy of Go module `module`@v`version`'s source at `dest`, from Go's module cache (downloaded first):
    a module with `replace` lines is built in such a copy (`go install` refuses it), and the cache is read-only while
    `-mod=mod` may update go.mod and go.sum."""
    proc = subprocess.run([go, "mod", "download", "-json", f"{module}@v{version}"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise LocalStackError(f"Go could not download {module}@v{version} (is the module proxy reachable? see "
                              f"GOPROXY):\n{proc.stdout.strip()[-1500:]}{proc.stderr.strip()[-1500:]}")
    shutil.copytree(json.loads(proc.stdout)["Dir"], dest, copy_function=shutil.copyfile)
    for d, _, _ in os.walk(dest):
        os.chmod(d, 0o755)
    return dest


def kept_dist(name: str, digest: str, assemble: Callable[[Path], None]) -> Path:
    """The dist laid out by `assemble` (Maven) once per machine and digest, in the build cache beside the tools
    (buildcache.py): a stack directory gets a linked copy (`linked_copy`). Maven's own run to lay it out from
    ~/.m2/repository took 13.4 CPU-s for the stack's dist and ~8 for each of the version matrix's four (a clean
    clone's CI run made five, 48 CPU-s in all)."""
    def make(out: Path) -> None:
        assemble(out)
        (out / ".pom.sha256").write_text(digest + "\n")

    return cached(f"{name}-{digest[:16]}", ".pom.sha256", make)


def linked_copy(src: Path, dest: Path) -> None:
    """`src`'s tree at `dest`, its files hard links (the jars are only read), copies across file systems."""
    def link(a: str, b: str) -> None:
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, dest, symlinks=True, copy_function=link)
