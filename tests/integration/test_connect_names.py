"""Connector names with characters that mean something in a URL (`#`, `?`, `&`, `=`, spaces, non-ASCII) on the
real Connect worker: every REST path kplan builds quotes its segments, and a creation, an update, a deletion or an
undo is reported only when Connect shows it. A name Connect cannot address in a REST path at all (`%`: Jetty
refuses an encoded `%` as an ambiguous path) is refused at plan time, before anything is created."""

from __future__ import annotations

import urllib.parse

import pytest
import requests
from kplan_helpers import faulty_kplan, kplan, stack_doc, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
ODD_TAIL = " kplan test #1 ?x=&y ü"


def _names(stack) -> list[str]:
    """Connect's own list: no path built from the name, so it cannot be fooled by one."""
    return requests.get(f"{stack.connect_url}/connectors", timeout=30).json()


def _status(stack, name: str) -> dict:
    r = requests.get(f"{stack.connect_url}/connectors/{urllib.parse.quote(name, safe='')}/status", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _config(stack, name: str) -> dict:
    r = requests.get(f"{stack.connect_url}/connectors/{urllib.parse.quote(name, safe='')}/config", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def odd_name(stack, prefix):
    """`<prefix> kplan test #1 ?x=&y ü`, deleted afterwards through a quoted path (the prefix fixture's cleanup
    builds unquoted paths)."""
    name = prefix + ODD_TAIL
    yield name
    if name in _names(stack):
        requests.delete(f"{stack.connect_url}/connectors/{urllib.parse.quote(name, safe='')}", timeout=60)


def _doc(stack, prefix, name, tmp_path, file_name="out.txt"):
    topic = f"{prefix}.lines"
    return stack_doc(stack, prefix, [{"name": topic, "partitions": 1, "replication_factor": 1}], [
        {"name": name, "class": FILE_SINK, "config": {"topics": topic, "file": str(tmp_path / file_name)}}])


def test_a_connector_named_with_url_characters_is_applied_planned_changed_and_destroyed(stack, prefix, odd_name,
                                                                                       tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, odd_name, tmp_path))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert odd_name in _names(stack)
    status = _status(stack, odd_name)
    assert status["connector"]["state"] == "RUNNING" and [t["state"] for t in status["tasks"]] == ["RUNNING"]

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    write_stack(path, _doc(stack, prefix, odd_name, tmp_path, file_name="changed.txt"))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _config(stack, odd_name)["file"] == str(tmp_path / "changed.txt")
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert odd_name not in _names(stack)  # the deletion it reported really happened


def test_the_rollback_of_such_a_connector_removes_it_for_real(stack, admin, prefix, odd_name, tmp_path):
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, odd_name, tmp_path))
    # step 1 creates the topic, step 2 the connector; it fails right after the connector is running
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
    assert r.code == 1, r.text
    assert "The cluster is as it was before this apply." in r.err
    assert odd_name not in _names(stack)
    assert f"{prefix}.lines" not in admin.list_topics(timeout=20).topics


def test_a_name_connect_cannot_address_is_refused_before_anything_is_created(stack, prefix, tmp_path):
    name = f"{prefix} 100% sure"
    path = write_stack(tmp_path / "s.yaml", _doc(stack, prefix, name, tmp_path))
    r = kplan("plan", str(path))
    assert r.code == 1, r.text
    assert f"connector.{name}" in r.text and "cannot address" in r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    assert "nothing was applied" in r.err
    assert name not in _names(stack)
