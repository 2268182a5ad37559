"""Tiered storage (KIP-405, KIP-950) on the real 3-broker cluster, whose remote storage manager is Kafka's own
LocalTieredStorage, one directory for the three nodes (dev/localstack/kafka.py, tiered_settings; the single broker
keeps tiered storage off, and test_plan.py shows a plan refused there): a tiered topic's segments really reach the
remote store and are read back from it; turning tiered storage on for an existing topic is one-way, runs after every
reversible change, and a rollback leaves it on (named); turning it off without deleting the remote data is refused
at plan with the broker's words, and with `remote.log.delete.on.disable` deletes the remote segments."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource
from kplan_helpers import faulty_kplan, kplan, wait_for, write_stack

pytestmark = [pytest.mark.serial, pytest.mark.cluster3]

RECORDS = 20_000  # ~2.3 MB at 1 MiB segments: a few rolled segments to tier


def _remote_segments(cluster3, topic: str) -> list[Path]:
    root = cluster3.remote_store() / "kafka-tiered-storage"
    return sorted(p for d in root.glob(f"{topic}-0-*") for p in d.glob("*.log"))


def _local_segments(topic: str) -> list[str]:
    """The topic's segments on the node that holds its one replica."""
    from localstack import stack_dir

    return sorted(p.name for p in (stack_dir() / "data" / "cluster3").glob(f"node-*/{topic}-0/*.log"))


def _doc(bootstrap: str, name: str, topics: list[dict]) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": bootstrap}, "topics": topics}


def _config(admin, topic: str) -> dict[str, str]:
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return {k: v.value for k, v in admin.describe_configs([res])[res].result(timeout=20).items()}


def _topic(name: str, **config: str) -> dict:
    return {"name": name, "partitions": 1, "replication_factor": 1,
            "config": {"segment.bytes": "1048576", "retention.ms": "7d", **config}}


def _produce(bootstrap: str, topic: str) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(RECORDS):
        p.produce(topic, value=f"{i:08d}".encode() + b"x" * 100)
        if i % 1000 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def _read_from_start(bootstrap: str, topic: str, timeout: float = 90) -> list[str]:
    """Every record's number, from offset 0 (which only the remote store still has)."""
    import time
    import uuid

    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                  "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while len(got) < RECORDS and time.monotonic() < deadline:
            for msg in c.consume(1000, 1.0):
                if not msg.error():
                    got.append(msg.value()[:8].decode())
        return got
    finally:
        c.close()


def test_a_tiered_topic_reaches_the_remote_store_and_turning_it_on_and_off_is_planned_as_one_way(
        multibroker, unique, tmp_path):
    prefix, bootstrap = unique("tiered"), multibroker.BOOTSTRAP
    admin = AdminClient({"bootstrap.servers": bootstrap})
    tiered, plain = f"{prefix}.tiered", f"{prefix}.plain"
    path = write_stack(tmp_path / "s.yaml", _doc(bootstrap, prefix, [
        _topic(tiered, **{"remote.storage.enable": "true", "local.retention.ms": "1000"}),
        _topic(plain)]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0

    # Segments really reach the remote store, the local copies past local.retention.ms go, and every record is
    # still read from the start (the old ones from remote storage).
    _produce(bootstrap, tiered)
    wait_for(lambda: len(_remote_segments(multibroker, tiered)) >= 1
             and "00000000000000000000.log" not in _local_segments(tiered), 120,
             "segments copied to the remote store and deleted locally")
    assert _read_from_start(bootstrap, tiered) == [f"{i:08d}" for i in range(RECORDS)]

    # Turning it on for an existing topic, with a reversible change beside it: one-way, said so; a failure after
    # it (the record step) rolls back the retention change and names the tiered step as not rolled back.
    path = write_stack(path, _doc(bootstrap, prefix, [
        _topic(tiered, **{"remote.storage.enable": "true", "local.retention.ms": "1000"}),
        _topic(plain, **{"remote.storage.enable": "true", "retention.ms": "14d"})]))
    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert "IRREVERSIBLE: tiered storage turned on" in r.out and "a rollback leaves it on" in r.out, r.out
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:3")  # 1 configs, 2 tiered, 3 record
    assert r.code != 0 and "Could NOT be rolled back" in r.err and "turn tiered storage on or off" in r.err, r.text
    cfg = _config(admin, plain)
    assert (cfg["remote.storage.enable"], cfg["retention.ms"]) == ("true", "604800000")  # retention rolled back
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _config(admin, plain)["retention.ms"] == "1209600000"
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0

    # Off without deleting the remote data: the broker refuses it, at plan, at the topic's line.
    off = {"remote.storage.enable": "false", "local.retention.ms": "1000"}
    path = write_stack(path, _doc(bootstrap, prefix, [_topic(tiered, **off),
                                                       _topic(plain, **{"retention.ms": "14d"})]))
    r = kplan("plan", str(path))
    assert r.code == 1 and "s.yaml:" in r.err + r.out and "invalid to disable remote storage" in r.text, r.text
    assert _config(admin, tiered)["remote.storage.enable"] == "true"

    # Off with remote.log.delete.on.disable: DATA LOSS said; the remote segments are deleted.
    path = write_stack(path, _doc(bootstrap, prefix, [
        _topic(tiered, **off, **{"remote.log.delete.on.disable": "true"}),
        _topic(plain, **{"retention.ms": "14d", "remote.storage.enable": "true"})]))
    r = kplan("plan", str(path))
    assert r.code == 0 and "DATA LOSS: turning tiered storage off" in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _config(admin, tiered)["remote.storage.enable"] == "false"
    wait_for(lambda: not _remote_segments(multibroker, tiered), 120, "the remote segments deleted")
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0
    # destroy: turning off is one-way; deleting the topics (their remote data with them) is what destroy does
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
