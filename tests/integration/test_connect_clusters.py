"""Several Connect clusters on one Kafka cluster (`cluster.connect` as a map of names, docs/stack-format.md): the
session's Connect worker (`default`) and a second worker on the same local Kafka with its own group and storage
topics (`second`, dev/localstack/connect2.py, started by this module). A connector of the same name on each, each
written to its own worker only; "No changes" after apply; destroy removes both from both. With the second worker
stopped, the plan fails, naming it (unknown is not unchanged); with `--allow-unreadable connect:second` it says in
one line that its connectors are unknown and still plans (and destroy deletes) the default one's.

Serial: it starts (and stops) a Connect worker of its own, a JVM the parallel tests should not compete with."""

from __future__ import annotations

import os
import time

import pytest
import requests
import yaml
from kplan_helpers import kplan, write_stack

# Parallel-safe: the second worker is this module's own (started and stopped here), its connectors unique names.


@pytest.fixture(scope="module")
def second(stack):
    """The second Connect worker's URL; stopped after the module unless KPLAN_KEEP_STACK."""
    from localstack import START_TIMEOUT_S, connect2

    started = connect2.up(START_TIMEOUT_S)
    yield connect2.CONNECT2_URL
    if started and not os.environ.get("KPLAN_KEEP_STACK"):
        connect2.down()


def _doc(name: str, stack, second: str, tmp_path, connectors: list[dict]) -> dict:
    return {
        "stack": name,
        "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "10s",
                    "connect": {"default": {"url": stack.connect_url}, "second": {"url": second}}},
        "topics": [{"name": f"{name}.orders", "partitions": 1, "replication_factor": 1}],
        "connectors": connectors,
    }


def _sink(name: str, connect: str, file) -> dict:
    return {"name": name, "connect": connect, "class": "FileStreamSink",
            "config": {"topics": name.rsplit("-", 1)[0] + ".orders", "file": str(file)}}


def _on(url: str, prefix: str) -> dict[str, str]:
    """The connectors under `prefix` on the worker at `url`: name -> the file its config writes to."""
    body = requests.get(f"{url}/connectors?expand=info", timeout=10).json()
    return {n: c["info"]["config"].get("file") for n, c in body.items() if n.startswith(prefix)}


def _drop(url: str, prefix: str) -> None:
    for n in _on(url, prefix):
        requests.delete(f"{url}/connectors/{n}", timeout=60)


def test_a_connector_of_the_same_name_on_each_connect_cluster(stack, second, unique, tmp_path, admin):
    name = unique("twoconnect")
    conn = f"{name}-sink"
    files = {"default": tmp_path / "default.txt", "second": tmp_path / "second.txt"}
    sinks = [_sink(conn, c, f) for c, f in files.items()]
    # a sink's consumer group is named after it (connect-<name>): the second one gets its own, or kplan refuses
    # the pair (their tasks would split the topic's partitions)
    sinks[1]["config"]["consumer.override.group.id"] = f"{name}-second-sink"
    path = write_stack(tmp_path / "stack.yaml", _doc(name, stack, second, tmp_path, sinks))
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}
    try:
        shared = dict(sinks[1], config={k: v for k, v in sinks[1]["config"].items() if "group" not in k})
        refused = kplan("plan", str(write_stack(tmp_path / "shared.yaml", _doc(name, stack, second, tmp_path,
                                                                               [sinks[0], shared]))), env=env)
        assert refused.code == 1 and f"share the consumer group 'connect-{conn}'" in refused.text, refused.text

        plan = kplan("plan", str(path), env=env)
        assert plan.code == 0, plan.text
        assert f"# connector.{conn} will be created" in plan.out
        assert f"# connector.second/{conn} will be created" in plan.out

        applied = kplan("apply", str(path), "--auto-approve", env=env)
        assert applied.code == 0, applied.text
        # each worker holds exactly its own connector, writing to its own file
        assert _on(stack.connect_url, name) == {conn: str(files["default"])}
        assert _on(second, name) == {conn: str(files["second"])}

        # import reads every Connect cluster the stack's cluster names, each connector with its own
        out = tmp_path / "imported.yaml"
        imported = kplan("import", "--stack", f"{name}-copy", "--cluster-from", str(path), "--prefix", name,
                         "--no-topics", "-o", str(out), env=env)
        assert imported.code == 0, imported.text
        entries = yaml.safe_load(out.read_text())["connectors"]
        assert sorted((e["name"], e.get("connect", ""), e["config"]["file"]) for e in entries) == [
            (conn, "", str(files["default"])), (conn, "second", str(files["second"]))]

        again = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert again.code == 0 and "No changes." in again.out, again.text

        destroyed = kplan("destroy", str(path), "--auto-approve", env=env)
        assert destroyed.code == 0, destroyed.text
        assert _on(stack.connect_url, name) == {} and _on(second, name) == {}
        assert f"{name}.orders" not in admin.list_topics(timeout=10).topics
    finally:
        _drop(stack.connect_url, name)
        _drop(second, name)


def test_a_stopped_connect_cluster_leaves_only_its_connectors_unknown(stack, second, unique, tmp_path):
    """Last in the module: it leaves the second worker stopped (the fixture starts it again when asked)."""
    from localstack import connect2

    name = unique("twoconnect")
    a, b = f"{name}-a", f"{name}-b"
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}
    path = tmp_path / "stack.yaml"
    write_stack(path, _doc(name, stack, second, tmp_path, [_sink(a, "default", tmp_path / "a.txt")]))
    try:
        applied = kplan("apply", str(path), "--auto-approve", env=env)
        assert applied.code == 0, applied.text
        assert set(_on(stack.connect_url, name)) == {a} and _on(second, name) == {}

        connect2.down()
        assert _unreachable(second)
        # a changed, b new on the stopped worker: unknown there, so neither created nor anything else
        write_stack(path, _doc(name, stack, second, tmp_path,
                               [_sink(a, "default", tmp_path / "a2.txt"), _sink(b, "second", tmp_path / "b.txt")]))
        # unknown is not unchanged: an error, unless the run allows planning without it (issue 41)
        refused = kplan("plan", str(path), env=env)
        assert refused.code == 1 and "--allow-unreadable connect:second" in refused.text, refused.text
        started = time.monotonic()
        plan = kplan("plan", str(path), "--allow-unreadable", "connect:second", env=env)
        took = time.monotonic() - started
        assert plan.code == 0, plan.text
        unknown = [line for line in plan.text.splitlines() if "could not be read" in line]
        assert len(unknown) == 1, plan.text
        assert unknown[0].startswith("Warning: Kafka Connect cluster 'second' could not be read (")
        assert f"its declared connector second/{b} is unknown and left alone" in unknown[0]
        assert f"# connector.{a} will be updated in place" in plan.out
        assert f"connector.second/{b} will" not in plan.out
        assert "Plan: 0 to add, 1 to change, 0 to destroy. Not read (--allow-unreadable): Kafka Connect cluster " \
               "'second'" in plan.out
        assert took < 40, f"the plan took {took:.1f}s with a stopped Connect worker"

        destroyed = kplan("destroy", str(path), "--auto-approve", "--allow-unreadable", "connect:second", env=env)
        assert destroyed.code == 0, destroyed.text
        assert _on(stack.connect_url, name) == {}
    finally:
        _drop(stack.connect_url, name)


def _unreachable(url: str) -> bool:
    try:
        requests.get(f"{url}/", timeout=2)
    except requests.RequestException:
        return True
    return False
