"""The incremental-snapshot signal on the real broker: sent with its id, and never twice with the same id (a
repeated send, e.g. after an uncertain delivery or by a retried step, finds it in the signal topic and sends
nothing). Debezium's side — one snapshot of a table added while the connector restarts slowly — is in
tests/integration/test_cdc.py."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import NewTopic

from kplan.kinds.connector.io import ConnectorWrites
from kplan.model.desired import ClusterSpec
from kplan.session.systems import open_writers

pytestmark = pytest.mark.serial  # producing to a topic just created waits on the coordinator: slow under load


def _records(bootstrap: str, topic: str) -> list[tuple[str, dict]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    out = []
    try:
        consumer.subscribe([topic])
        while True:
            msg = consumer.poll(10)
            assert msg is not None, "the signal topic could not be read to its end"
            if msg.error():
                break  # end of the partition
            out.append((msg.key().decode(), json.loads(msg.value())))
        return out
    finally:
        consumer.close()


def test_a_signal_is_sent_once_per_id(stack, admin, prefix):
    topic = f"{prefix}.signal"
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    # 30 s: after a broker restart (the serial outage tests) the idempotent producer waits for its coordinator
    writer = open_writers(ClusterSpec(stack.bootstrap_servers, stack.connect_url, timeout_s=30))
    connector = writer.io(ConnectorWrites)  # the connector kind's io, as its handlers get it
    try:
        connector.send_snapshot_signal("src", ["public.a"], topic, "pfx", None, signal_id="kplan-run1-3")
        connector.send_snapshot_signal("src", ["public.a"], topic, "pfx", None, signal_id="kplan-run1-3")  # repeated
        connector.send_snapshot_signal("src", ["public.b"], topic, "pfx", None, signal_id="kplan-run2-3")
    finally:
        writer.close()
    records = _records(stack.bootstrap_servers, topic)
    assert [(key, value["id"]) for key, value in records] == [("pfx", "kplan-run1-3"), ("pfx", "kplan-run2-3")]
    assert records[0][1] == {"id": "kplan-run1-3", "type": "execute-snapshot",
                             "data": {"data-collections": ["public.a"], "type": "INCREMENTAL"}}
