"""Connector plugin version pins (KIP-891, Kafka Connect 4.1+) on the real worker.

dev/pom.xml lays out two releases of Debezium's PostgreSQL plugin, each in a plugin directory of its own, so the
worker really has two versions of PostgresConnector (GET /connector-plugins lists one entry per version). A CDC
source pinned to the older runs it (its status and its task's report that version, and `kplan status` says it);
changing the pin is a one-key config change whose plan says which version it runs now and which it will, and apply
is done once the connector and its task run the new one (a failure after the write rolls back to the old pin, done
once the old version runs again); a pin the worker does not have is one located plan error
naming the installed versions, and nothing changes.

`compat`: a FileStreamSink connector pinned to the version the worker's connect-file reports (the runtime's own: it
reports AppInfoParser's version, so a second copy of connect-file would be the same version) runs where the worker
is 4.1 or newer; on an older worker (3.9) the pin is refused with one located line and nothing is created.
"""

from __future__ import annotations

import os
import re

import pytest
import requests
from kplan_helpers import base_stack, cleanup, cleanup_pg_source, faulty_kplan, kplan, write_stack

import localstack

PG = "io.debezium.connector.postgresql.PostgresConnector"
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


def _worker_supports_pins(connect_url: str) -> bool:
    version = requests.get(connect_url, timeout=10).json()["version"]
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2]) >= (4, 1)


def _installed(connect_url: str, cls: str) -> list[str]:
    listed = requests.get(f"{connect_url}/connector-plugins", params={"connectorsOnly": "false"}, timeout=10).json()
    return [p["version"] for p in listed if p["class"] == cls and p.get("version")]


def _running(connect_url: str, name: str) -> tuple[str | None, list[str | None]]:
    """(the connector's version, its tasks' versions), as its status reports them."""
    status = requests.get(f"{connect_url}/connectors/{name}/status", timeout=10).json()
    return status["connector"].get("version"), [t.get("version") for t in status.get("tasks") or []]


def _errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("Error:")]


@pytest.fixture
def cdc(stack, admin, unique):
    if not _worker_supports_pins(stack.connect_url):
        pytest.skip("plugin version pins need Kafka Connect 4.1 or newer")
    prefix = unique("pin").replace("-", "_")
    source = f"{prefix}-pg".replace("_", "-")
    yield prefix, source
    cleanup_pg_source(admin, stack.connect_url, prefix, source)


def _cdc_stack(stack, prefix: str, source: str, version: str) -> dict:
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": source, "engine": "postgres", "topic_prefix": prefix, "schema": "public", "plugin_version": version,
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "tables": ["users"],
    }]
    return doc


def test_a_cdc_source_runs_the_pinned_version_then_moves_to_another_and_refuses_a_missing_one(stack, cdc, tmp_path):
    prefix, source = cdc
    installed = _installed(stack.connect_url, PG)
    assert len(installed) == 2, installed  # dev/pom.xml's two releases: one entry per version, same class
    old, new = sorted(installed, key=lambda v: [int(x) for x in re.findall(r"\d+", v)])

    path = write_stack(tmp_path / "pin.yaml", _cdc_stack(stack, prefix, source, old))
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    config = requests.get(f"{stack.connect_url}/connectors/{source}/config", timeout=10).json()
    assert config["connector.plugin.version"] == old
    assert _running(stack.connect_url, source) == (old, [old])  # apply waited for it
    r = kplan("status", str(path), env=PG_ENV)
    assert f"plugin {old}" in r.out, r.text
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text

    # another version: one key changes, and the plan says what runs now and what will
    write_stack(path, _cdc_stack(stack, prefix, source, new))
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 2, r.text
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in r.out, r.text
    assert "connector.plugin.version" in r.out and old in r.out and new in r.out, r.text
    assert f"runs version {old} of {PG}; apply restarts it on version {new}" in r.out, r.text
    # a failure after the config write rolls back to the old pin, done once the old version runs again
    r = faulty_kplan("apply", str(path), "--auto-approve", env=PG_ENV, fail_at="step:1")
    assert r.code != 0 and "injected failure" in r.text and "rolled back" in r.text.lower(), r.text
    config = requests.get(f"{stack.connect_url}/connectors/{source}/config", timeout=10).json()
    assert config["connector.plugin.version"] == old
    assert _running(stack.connect_url, source) == (old, [old])
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    assert _running(stack.connect_url, source) == (new, [new])  # the connector and its task restarted on it
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text

    # a version the worker does not have: one error at the pin's line, naming the installed ones; nothing changes
    write_stack(path, _cdc_stack(stack, prefix, source, "3.0.0.Final"))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1, r.text
    errors = _errors(r.text)
    assert len(errors) == 1, r.text
    assert re.search(rf"/pin\.yaml:\d+:\d+: connector\.{re.escape(source)}\.config\.connector\.plugin\.version: "
                     rf"connector '{re.escape(source)}' pins "
                     rf"connector\.plugin\.version 3\.0\.0\.Final of {re.escape(PG)}, which the Kafka Connect "
                     rf"cluster does not have \(installed: {re.escape(old)}, {re.escape(new)}\): set plugin_version "
                     "to one of them", errors[0]), errors[0]
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 1 and "3.0.0.Final" in r.text, r.text
    assert _running(stack.connect_url, source) == (new, [new])


@pytest.mark.compat
def test_a_pinned_connector_on_this_connect(stack, admin, unique, tmp_path):
    """Pinned and running where the worker is 4.1+; refused with one located line where it is older."""
    name = unique("pinsink")
    topic = f"{name}-in"
    doc = base_stack(name, stack)
    doc["topics"] = [{"name": topic, "partitions": 1, "replication_factor": 1}]
    worker = requests.get(stack.connect_url, timeout=10).json()["version"]
    doc["connectors"] = [{"name": name, "class": "FileStreamSink", "plugin_version": worker,
                          "config": {"topics": topic, "file": os.devnull}}]
    path = write_stack(tmp_path / "sink.yaml", doc)
    try:
        if not _worker_supports_pins(stack.connect_url):
            r = kplan("plan", str(path))
            assert r.code == 1, r.text
            errors = _errors(r.text)
            assert len(errors) == 1 and re.search(
                rf"/sink\.yaml:\d+:\d+: connector\.{re.escape(name)}\.config\.connector\.plugin\.version: the "
                rf"Kafka Connect worker is version "
                rf"{re.escape(worker)}; pinning a plugin version \(connector\.plugin\.version, KIP-891\) needs "
                r"Connect 4\.1 or newer", errors[0]), r.text
            r = kplan("apply", str(path), "--auto-approve")
            assert r.code == 1 and "needs Connect 4.1 or newer" in r.text, r.text
            assert name not in requests.get(f"{stack.connect_url}/connectors", timeout=10).json()
            return
        assert _installed(stack.connect_url, SINK) == [worker]  # connect-file reports the runtime's version
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        assert _running(stack.connect_url, name)[0] == worker
        doc["connectors"][0]["plugin_version"] = "1.0.0"
        write_stack(path, doc)
        r = kplan("plan", str(path))
        assert r.code == 1 and len(_errors(r.text)) == 1, r.text
        assert f"(installed: {worker})" in _errors(r.text)[0], r.text
        assert _running(stack.connect_url, name)[0] == worker  # untouched
    finally:
        cleanup(admin, stack.connect_url, name)
