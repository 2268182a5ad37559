"""On the real broker and Connect worker: a replication-factor change is refused (with or without allow_replace on a
one-broker cluster) and nothing is applied, the topic's records intact; an authoritative removal of undeclared
overrides is applied (and rolled back exactly when the run fails); a directory stack is applied, changed and
destroyed like a single file."""

from __future__ import annotations

import json

import pytest
import yaml
from by_hand import set_topic_configs
from confluent_kafka import Producer
from kplan_helpers import (
    base_stack,
    consume_events,
    faulty_kplan,
    kplan,
    snapshot,
    stack_doc,
    write_stack,
)

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
DAY_MS = 86400000


def _produce(bootstrap: str, topic: str, value: dict) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    p.produce(topic, json.dumps(value).encode())
    assert p.flush(30) == 0


def test_a_replication_factor_change_is_refused_and_nothing_is_applied(stack, admin, prefix, tmp_path):
    t, other = f"{prefix}.rf", f"{prefix}.other"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 2, "replication_factor": 1},
        {"name": other, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, t, {"id": "kept"})
    before = snapshot(admin, stack.connect_url, prefix)

    # RF 1 -> 2, next to a change that alone would be applied: one broker cannot hold two replicas (on several
    # brokers it is a partition reassignment: tests/integration/test_multibroker.py)
    refused = f"cannot change the replication factor of topic '{t}' from 1 to 2: the cluster has only 1 broker(s)"
    write_stack(path, stack_doc(stack, prefix, [
        {"name": t, "partitions": 2, "replication_factor": 2},
        {"name": other, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}}]))
    r = kplan("plan", str(path))
    assert r.code == 1, r.text
    assert "      # refused: replication_factor = 1 -> 2" in r.out.splitlines(), r.out
    assert refused in r.text, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and refused in r.out and "nothing was applied" in r.err, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before

    # allow_replace would delete and re-create it, but one broker cannot hold two replicas: refused before any
    # deletion
    write_stack(path, stack_doc(stack, prefix, [
        {"name": t, "partitions": 2, "replication_factor": 2, "allow_replace": True},
        {"name": other, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}}]))
    r = kplan("plan", str(path))
    assert r.code == 1, r.text
    assert f"replication factor 2 is higher than the number of brokers (1); the broker would refuse to create " \
           f"topic '{t}'" in r.text, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "nothing was applied" in r.err, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before
    assert [e["id"] for e in consume_events(stack.bootstrap_servers, t, 1, timeout=30)] == ["kept"]


def _set_overrides(admin, topic: str, values: dict[str, str]) -> None:
    set_topic_configs(admin, topic, values)


def test_an_authoritative_config_removes_undeclared_overrides_and_a_failed_run_puts_them_back(stack, admin, prefix,
                                                                                              tmp_path):
    t, u = f"{prefix}.auth", f"{prefix}.lax"
    topics = [{"name": t, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}},
              {"name": u, "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    # overrides set by hand: drift, left alone while the stack is not authoritative
    _set_overrides(admin, t, {"max.message.bytes": "2097152", "segment.ms": "3600000"})
    _set_overrides(admin, u, {"segment.ms": "7200000"})
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    drift = '      # drift: config["max.message.bytes"] = 2097152 (2 MiB) (override not declared; left alone)'
    assert drift in r.out.splitlines(), r.out
    before = snapshot(admin, stack.connect_url, prefix)

    # authoritative for one topic: its undeclared overrides are removed, the other topic's drift stays
    topics[0]["authoritative_config"] = True
    write_stack(path, stack_doc(stack, prefix, topics))
    r = kplan("plan", str(path))
    lines, note = r.out.splitlines(), "# not declared (authoritative config)"
    assert f'      - config["max.message.bytes"] = 2097152 (2 MiB)  {note}' in lines, r.out
    assert f'      - config["segment.ms"]        = 3600000 (1h)  {note}' in lines, r.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in lines, r.out

    # steps: 1 change the configs of the topic <- fails after its writes: the removed overrides come back
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:1")
    assert r.code == 1 and "The cluster is as it was before this apply." in r.err, r.text
    assert snapshot(admin, stack.connect_url, prefix) == before

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    overrides = {n: s["overrides"] for n, s in snapshot(admin, stack.connect_url, prefix)["topics"].items()}
    assert overrides == {t: {"retention.ms": str(DAY_MS)}, u: {"segment.ms": "7200000"}}
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def test_a_directory_stack_is_applied_changed_and_destroyed(stack, admin, prefix, tmp_path):
    d = tmp_path / "stack"
    d.mkdir()
    (tmp_path / "in.txt").touch()
    head = {**base_stack(prefix, stack), "vars": {"team": prefix},
            "defaults": {"topic": {"partitions": 2, "replication_factor": 1, "config": {"retention.ms": "3d"}}}}
    write_stack(d / "00-stack.yaml", head)
    orders = [{"topics": [{"name": "${team}.orders"},
                          {"name": "${team}.orders.dlq", "partitions": 1, "config": {"retention.ms": "30d"}}]},
              {"topics": [{"name": "${team}.returns"}]}]
    (d / "10-orders.yaml").write_text(yaml.safe_dump_all(orders, sort_keys=False))  # two YAML documents
    write_stack(d / "20-connectors.yml", {"connectors": [{
        "name": "${team}-src", "class": FILE_SOURCE, "tasks_max": 1,
        "config": {"file": str(tmp_path / "in.txt"), "topic": "${team}.orders"}}]})
    (d / ".hidden.yaml").write_text("topics:\n  - name: ${team}.hidden\n")  # hidden: not part of the stack
    (d / "notes.txt").write_text("topics: [not, a, stack, file]\n")       # not *.yaml / *.yml

    assert kplan("validate", str(d)).code == 0
    r = kplan("apply", str(d), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in r.out, r.out
    snap = snapshot(admin, stack.connect_url, prefix)
    assert {n: (s["partitions"], s["overrides"]) for n, s in snap["topics"].items()} == {
        f"{prefix}.orders": (2, {"retention.ms": str(3 * DAY_MS)}),
        f"{prefix}.orders.dlq": (1, {"retention.ms": str(30 * DAY_MS)}),
        f"{prefix}.returns": (2, {"retention.ms": str(3 * DAY_MS)})}
    assert {n: (c["config"]["topic"], c["state"]) for n, c in snap["connectors"].items()} == {
        f"{prefix}-src": (f"{prefix}.orders", "RUNNING")}
    r = kplan("plan", str(d), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    # one file of the directory changes: the second document's topic is gone, the first's retention changes
    orders[0]["topics"][1]["config"]["retention.ms"] = "60d"
    (d / "10-orders.yaml").write_text(yaml.safe_dump_all(orders[:1], sort_keys=False))
    r = kplan("apply", str(d), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete! Resources: 0 added, 1 changed, 1 destroyed." in r.out, r.out
    snap = snapshot(admin, stack.connect_url, prefix)
    assert sorted(snap["topics"]) == [f"{prefix}.orders", f"{prefix}.orders.dlq"]
    assert snap["topics"][f"{prefix}.orders.dlq"]["overrides"] == {"retention.ms": str(60 * DAY_MS)}

    r = kplan("destroy", str(d), "--auto-approve")
    assert r.code == 0, r.text
    assert snapshot(admin, stack.connect_url, prefix) == {"topics": {}, "connectors": {}}
