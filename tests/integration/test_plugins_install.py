"""Connector plugins by Maven coordinates (`kplan plugins install`, docs/connect-plugins.md) on a Connect worker of
this test's own: the local stack's Kafka and its dist's runtime jars, other ports, its own group and storage topics,
and a plugin.path that only kplan fills (the shared workers are never restarted).

The worker starts with the empty directory: it has neither plugin, and a plan pinning FileStreamSink there is
refused. `kplan plugins install STACK --to DIR` fetches connect-file's jar and Debezium's PostgreSQL plugin archive
from Maven Central (as this machine reaches it), checks their declared sha256, lays out one directory per plugin;
the worker, restarted, lists both (GET /connector-plugins) and the same plan's pin check passes. A wrong checksum, an
artifact the repository does not have and an unreachable repository are one error line each, nothing written."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest
import requests
from kplan_helpers import kplan, wait_for, write_stack

from localstack.dist import dist_dir
from localstack.kafka import java_cmd

FILE_JAR = ("org.apache.kafka:connect-file:4.3.1", "e330c491309d8f839f2abd7260c72a3687d6d82ecf2ba0f7699a46d41a46dcac")
PG_ARCHIVE = ("io.debezium:debezium-connector-postgres:tar.gz:plugin:3.7.0.Final",
              "660673cbabd2f269da21409208ebd0f0d9977bd92e824fc9daa272f240e88e51")
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
PG = "io.debezium.connector.postgresql.PostgresConnector"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    """One Connect worker process of this test's own, on the local stack's Kafka."""

    def __init__(self, stack, name: str, plugin_path: Path, home: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = home / "worker.properties"
        self.log = home / "worker.log"
        self.config.write_text("\n".join([
            f"bootstrap.servers={stack.bootstrap_servers}",
            f"group.id={name}", f"listeners=http://127.0.0.1:{self.port}", "rest.advertised.host.name=127.0.0.1",
            f"rest.advertised.port={self.port}",
            f"config.storage.topic={name}-configs", f"offset.storage.topic={name}-offsets",
            f"status.storage.topic={name}-status", "config.storage.replication.factor=1",
            "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
            "offset.storage.partitions=1", "status.storage.partitions=1", "scheduled.rebalance.max.delay.ms=0",
            "key.converter=org.apache.kafka.connect.json.JsonConverter",
            "value.converter=org.apache.kafka.connect.json.JsonConverter",
            f"plugin.path={plugin_path}", "plugin.discovery=hybrid_warn", ""]))
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = java_cmd(dist_dir(), f"-Dkplan.test.worker={self.port}", "512m",
                       "org.apache.kafka.connect.cli.ConnectDistributed", str(self.config))
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._ready, timeout=180, what=f"the test's Connect worker on {self.url} (log: {self.log})")

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, f"the worker exited: {self.log.read_text()[-2000:]}"
        try:
            return requests.get(f"{self.url}/connectors", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        self.proc = None

    def versions(self, cls: str) -> list[str]:
        listed = requests.get(f"{self.url}/connector-plugins", params={"connectorsOnly": "false"}, timeout=30).json()
        return [p.get("version") for p in listed if p["class"] == cls]


@pytest.fixture
def worker(stack, admin, unique, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    name = unique("plugw")
    w = Worker(stack, name, plugins, tmp_path)
    yield w, plugins, name
    w.stop()
    topics = [t for t in admin.list_topics(timeout=20).topics if t.startswith(name)]
    if topics:
        for f in admin.delete_topics(topics).values():
            f.result(30)


def _stack(stack, name: str, worker_url: str, plugins: list[tuple[str, str]], pin: str) -> dict:
    return {
        "stack": name,
        "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s", "connect": {
            "url": worker_url, "plugins": [{"maven": m, "sha256": s} for m, s in plugins]}},
        "connectors": [{"name": f"{name}-sink", "class": "FileStreamSink", "plugin_version": pin,
                        "config": {"topics": f"{name}-in", "file": "/dev/null"}}],
    }


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error:")]


def test_a_plugin_installed_by_coordinates_is_seen_by_the_worker_and_satisfies_the_pin(stack, worker, tmp_path):
    w, plugins, name = worker
    path = write_stack(tmp_path / "stack.yaml", _stack(stack, name, w.url, [FILE_JAR, PG_ARCHIVE], "4.3.1"))
    assert not list(dist_dir().joinpath("lib").glob("connect-file-*.jar"))  # only the plugin path can bring it

    w.start()
    assert w.versions(SINK) == [] and w.versions(PG) == []
    before = kplan("plan", str(path))
    assert before.code == 1, before.text
    assert _errors(before.text) and all("'FileStreamSink'" in e for e in _errors(before.text)), before.text

    run = kplan("plugins", "install", str(path), "--to", str(plugins))
    assert run.code == 0, run.text
    assert sorted(p.name for p in plugins.iterdir()) == ["connect-file-4.3.1",
                                                         "debezium-connector-postgres-3.7.0.Final-plugin"]
    assert (plugins / "connect-file-4.3.1" / "connect-file-4.3.1.jar").stat().st_size == 18408
    assert list((plugins / "debezium-connector-postgres-3.7.0.Final-plugin").rglob(
        "debezium-connector-postgres-3.7.0.Final.jar"))
    again = kplan("plugins", "install", str(path), "--to", str(plugins))
    assert again.code == 0 and again.out.count(": unchanged in ") == 2, again.text

    w.stop()
    w.start()
    assert w.versions(SINK) == ["4.3.1"]
    assert w.versions(PG) == ["3.7.0.Final"]
    after = kplan("plan", str(path), "--detailed-exitcode")
    assert after.code == 2 and not _errors(after.text), after.text
    assert f"connector.{name}-sink" in after.out

    missing = write_stack(tmp_path / "missing.yaml", _stack(stack, name, w.url, [FILE_JAR], "4.2.0"))
    refused = kplan("plan", str(missing))
    assert refused.code == 1 and len(_errors(refused.text)) == 1, refused.text
    assert "pins connector.plugin.version 4.2.0" in refused.text and "(installed: 4.3.1)" in refused.text


@pytest.mark.parametrize("case", ["checksum", "coordinates", "repository"])
def test_a_bad_plugin_is_one_error_line_and_nothing_is_written(stack, tmp_path, case):
    jar, digest = FILE_JAR
    repository = []
    if case == "checksum":
        digest = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    elif case == "coordinates":
        jar = "org.apache.kafka:connect-file:0.0.404"
    else:
        repository = ["--repository", f"http://127.0.0.1:{_free_port()}/maven2"]
    target = tmp_path / "plugins"
    path = write_stack(tmp_path / "workers.yaml", {"plugins": [{"maven": PG_ARCHIVE[0], "sha256": PG_ARCHIVE[1]},
                                                                {"maven": jar, "sha256": digest}]})
    run = kplan("plugins", "install", str(path), "--to", str(target), *repository)
    assert run.code == 1, run.text
    assert run.out == "" and len(run.err.splitlines()) == 1 and run.err.startswith("Error: "), run.text
    expected = {"checksum": f"the artifact's sha256 is {FILE_JAR[1]}, not the declared {digest}",
                "coordinates": "no such artifact in the Maven repository",
                "repository": "cannot reach the Maven repository"}[case]
    assert expected in run.err, run.text
    assert list(target.iterdir()) == []  # the archive fetched first is not left behind either
