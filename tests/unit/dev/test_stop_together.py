"""The launcher stops services that do not depend on one another at once (process.stop_together), and starts every
service with libeatmydata preloaded where it is found (nosync.py), unless KPLAN_STACK_FSYNC=on.

Real processes, no clock: each test process, on SIGTERM, writes that it was signalled and waits (up to 5 s) for the
other's mark before exiting, then records whether it saw it. Stopped one after another, the first exits without
seeing the second's mark (the second is signalled only once the first has exited); stopped together, both see it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from localstack import nosync
from localstack.process import Service, stop_together

WAITER = r"""
import os, signal, sys, time
me, other, out = sys.argv[1:4]
def term(*_):
    open(me, "w").close()
    deadline = time.monotonic() + 5
    while not os.path.exists(other) and time.monotonic() < deadline:
        time.sleep(0.05)
    open(out, "w").write("saw" if os.path.exists(other) else "alone")
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
open(out + ".up", "w").close()
while True:
    time.sleep(1)
"""


def _service(tmp_path: Path, name: str, other: str) -> Service:
    marks = tmp_path / "marks"
    args = [str(marks / name), str(marks / other), str(marks / f"{name}.out")]
    return Service(name, (), lambda: (marks / f"{name}.out.up").exists(),
                   lambda dist: [sys.executable, "-c", WAITER, *args], marker_text=str(marks / name))


@pytest.fixture
def pair(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path / "stack"))
    monkeypatch.setenv("KPLAN_STACK_FSYNC", "on")  # these processes need no library
    nosync.library.cache_clear()
    (tmp_path / "marks").mkdir()
    services = [_service(tmp_path, "a", "b"), _service(tmp_path, "b", "a")]
    for svc in services:
        svc.start(tmp_path)
    for svc in services:
        svc.wait_ready(30)
    yield services
    for svc in services:
        svc.stop()
    nosync.library.cache_clear()


def _outcome(tmp_path: Path) -> dict[str, str]:
    return {n: (tmp_path / "marks" / f"{n}.out").read_text() for n in ("a", "b")}


def test_services_stopped_together_are_all_signalled_before_any_is_waited_for(pair, tmp_path):
    assert [svc.name for svc in stop_together(pair)] == ["a", "b"]
    assert _outcome(tmp_path) == {"a": "saw", "b": "saw"}
    assert all(svc.pid() is None and not svc.pid_file.exists() for svc in pair)


def test_stopped_one_after_another_the_first_exits_before_the_second_is_signalled(pair, tmp_path):
    """The other side of the test above: what it tells apart."""
    for svc in pair:
        assert svc.stop()
    assert _outcome(tmp_path) == {"a": "alone", "b": "saw"}


def test_nothing_running_is_nothing_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path / "stack"))
    assert stop_together([_service(tmp_path, "a", "b")]) == []


def test_a_service_is_started_with_libeatmydata_preloaded_where_found(tmp_path, monkeypatch):
    lib = tmp_path / "libeatmydata.so"
    lib.write_bytes(b"")  # only its path is used: no process is started with it
    monkeypatch.delenv("KPLAN_STACK_FSYNC", raising=False)
    monkeypatch.setenv("LD_PRELOAD", "/opt/other.so")
    monkeypatch.setattr(nosync, "_find", lambda: lib)
    nosync.library.cache_clear()
    try:
        assert nosync.preload() == {"LD_PRELOAD": f"{lib}:/opt/other.so"}
        monkeypatch.setenv("LD_PRELOAD", f"{lib}")
        assert nosync.preload() == {}  # already there: not twice
        monkeypatch.setenv("KPLAN_STACK_FSYNC", "on")
        nosync.library.cache_clear()
        assert nosync.library() is None and nosync.preload() == {}
    finally:
        nosync.library.cache_clear()


def test_where_the_library_is_missing_and_cannot_be_installed_the_services_keep_fsync(monkeypatch):
    monkeypatch.delenv("KPLAN_STACK_FSYNC", raising=False)
    monkeypatch.setattr(nosync, "_find", lambda: None)
    monkeypatch.setattr(nosync, "apt_install", lambda package, what: False)
    nosync.library.cache_clear()
    try:
        assert nosync.preload() == {}
    finally:
        nosync.library.cache_clear()
