"""The launcher's failures are clear: a missing tool names what to install, a taken port is named."""

import shutil
import socket

import pytest

import localstack


def test_missing_java_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(localstack.LocalStackError, match="Java is not installed.*openjdk-17"):
        localstack.check_java()


def test_missing_maven_says_what_to_install(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(localstack.LocalStackError, match="Maven is not installed.*apt-get install maven"):
        localstack.check_maven()


def test_taken_port_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        svc = localstack.Service("probe", (port,), lambda: True, lambda dist: ["true"])
        with pytest.raises(localstack.LocalStackError, match=f"port 127.0.0.1:{port} is already taken"):
            svc.start(tmp_path)


def test_stale_pid_file_is_not_mistaken_for_a_running_service(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path))
    svc = localstack.Service("probe", (), lambda: True, lambda dist: ["true"])
    svc.pid_file.parent.mkdir(parents=True)
    # pid 1 is alive but is not ours (no marker on its command line): must not be adopted
    svc.pid_file.write_text("1\n")
    assert svc.pid() is None
    assert svc.has_stale_pid_file()


def test_process_that_dies_on_start_shows_its_log(tmp_path, monkeypatch):
    monkeypatch.setenv("KPLAN_STACK_DIR", str(tmp_path))
    svc = localstack.Service("probe", (), lambda: False,
                             lambda dist: ["sh", "-c", "sleep 0.3; echo boom: bad config; exit 1", svc.marker])
    svc.start(tmp_path)
    with pytest.raises(localstack.LocalStackError, match="(?s)probe died on start.*boom: bad config"):
        svc.wait_ready(10)
