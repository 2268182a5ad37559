"""MirrorMaker 2's three connectors, created by REST with mirror_pair.connector_configs on the target's plain Connect
worker, against two real clusters (docs/replication-facts.md): the records of a source topic arrive on the target,
byte for byte with their headers, as `<source alias>.<topic>` (DefaultReplicationPolicy) or under the source's name
(IdentityReplicationPolicy), and a consumer group's committed offsets on the source are translated onto the target."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import NewTopic
from kplan_helpers import cleanup, wait_for
from mirror_pair import committed_offsets, connector_configs, mirror_pair, offset_syncs_topic  # noqa: F401 - mirror_pair: a fixture
from second_stack import topic_names

SOURCE_ALIAS = "src"


def _produce(bootstrap: str, topic: str, n: int) -> list[tuple]:
    """n records over two partitions, with a binary header; returns what was written, as _read reports it."""
    written = []
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for i in range(n):
        key, value, headers = f"k{i}".encode(), f'{{"i": {i}}}'.encode(), [("trace", bytes([0, i, 255]))]
        p.produce(topic, key=key, value=value, headers=headers, partition=i % 2)
        written.append((i % 2, key, value, tuple(headers)))
    assert p.flush(30) == 0
    return written


def _read(bootstrap: str, topic: str, n: int, timeout: float = 5) -> list[tuple]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    got: list[tuple] = []
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append((m.partition(), m.key(), m.value(), tuple(m.headers() or ())))
    finally:
        c.close()
    return got


def _consume_all_and_commit(bootstrap: str, topic: str, group: str, n: int) -> dict[int, int]:
    """The group reads every record and commits: its committed offsets (partition -> offset), at each partition's
    end, where MM2 has an offset sync, so the translation on the target is exact (docs/replication-facts.md)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    try:
        c.subscribe([topic])
        read, deadline = 0, time.monotonic() + 60
        while read < n and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is not None and not m.error():
                read += 1
        assert read == n
        committed = c.commit(asynchronous=False)
        return {tp.partition: tp.offset for tp in committed}
    finally:
        c.close()


@pytest.mark.parametrize("identity", [False, True], ids=["default-policy", "identity-policy"])
def test_mm2_replicates_a_topic_and_translates_a_groups_offsets(mirror_pair, admin, unique, identity):  # noqa: F811
    name = unique("mirror")
    topic, group, target_alias = f"{name}.orders", f"{name}.app", f"{name}-dst"
    remote = topic if identity else f"{SOURCE_ALIAS}.{topic}"
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(15)
    try:
        written = _produce(mirror_pair.source_bootstrap, topic, 20)
        committed = _consume_all_and_commit(mirror_pair.source_bootstrap, topic, group, 20)
        assert committed == {0: 10, 1: 10}
        started = time.monotonic()
        configs = connector_configs(mirror_pair, SOURCE_ALIAS, target_alias, name, name, identity=identity)
        for cls, config in configs.items():
            r = requests.put(f"{mirror_pair.target_connect_url}/connectors/{name}-{cls.rsplit('.', 1)[1]}/config",
                             json={"connector.class": cls, **config}, timeout=30)
            assert r.status_code == 201, r.text

        # (a) the records, byte for byte with their headers and partitions, under the policy's name
        wait_for(lambda: sorted(_read(mirror_pair.target_bootstrap, remote, 20)) == sorted(written), timeout=60,
                 what=f"the 20 records on the target's {remote}")
        replicated = time.monotonic()
        # (c) the group's offsets, translated onto the target's topic
        wait_for(lambda: committed_offsets(mirror_pair.target_bootstrap, group, remote) == committed, timeout=60,
                 what=f"{group}'s offsets on the target's {remote}")
        translated = time.monotonic()
        print(f"\nrecords on the target {replicated - started:.1f}s, offsets {translated - started:.1f}s after the "
              "connectors were created")
        assert f"{SOURCE_ALIAS}.checkpoints.internal" in topic_names(mirror_pair.target_bootstrap)
    finally:
        cleanup(admin, mirror_pair.target_connect_url, name)  # its connectors, then its topics on the source
        syncs = offset_syncs_topic(target_alias)
        if syncs in admin.list_topics(timeout=10).topics:
            admin.delete_topics([syncs])[syncs].result(15)
        if group in {g.group_id for g in admin.list_consumer_groups().result(15).valid}:
            admin.delete_consumer_groups([group])[group].result(15)

