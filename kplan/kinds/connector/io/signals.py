"""Debezium's incremental snapshot signal, sent through its Kafka signal channel: a record produced to the
connector's signal topic, and Debezium's evidence read back from a topic. This is Kafka's, not
Connect's: nothing here calls Connect, and the producer and consumers use Kafka's client settings, link and
retry deadlines (the run's admin session, kplan.transport.admin)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Mapping, Sequence

from kplan.errors import WriteError
from kplan.transport.kafka import client_config, dispose
from kplan.transport.retry import RETRIABLE_KAFKA, RetriableError

if TYPE_CHECKING:
    from kplan.kinds.connector.io import ConnectorWrites
    from kplan.transport.admin import AdminSession

# Delivery failures after which the record may still have been written (or may be written on a retry).
_UNCERTAIN_DELIVERY = RETRIABLE_KAFKA | {"_MSG_TIMED_OUT", "_PURGE_INFLIGHT", "_PURGE_QUEUE"}


def send_snapshot_signal(self: "ConnectorWrites", connector: str, tables: Sequence[str], topic: str, key: str,
                         table_topic: str | None, signal_id: str) -> None:
    """Ask a Debezium connector (Kafka signal channel on `topic`, records keyed `key`: its topic.prefix) for
    an incremental snapshot of `tables`, once, then wait (at most the connector timeout) for Debezium's own
    evidence that it started it: the first watermark it writes to its signaling table, whose change events appear
    on `table_topic`.

    The signal is never sent twice. Debezium reads its signal topic from its own committed position, so a
    signal sent while the connector restarts, however slowly, is read once it runs again (a second one would
    snapshot the tables a second time). The signal carries `signal_id`; the producer is idempotent (its own
    retries never duplicate it), and a send whose delivery is uncertain is repeated only once reading the
    signal topic shows no signal with that id."""
    kafka = self.kafka
    value = json.dumps({"id": signal_id, "type": "execute-snapshot",
                        "data": {"data-collections": list(tables), "type": "INCREMENTAL"}}).encode()
    start = _topic_ends(kafka, table_topic) if table_topic else None  # evidence counts from here
    what = f"sending the snapshot signal for connector {connector} to {topic}"
    if not _signal_sent(kafka, topic, signal_id):
        kafka.attempts.retry(lambda: _produce_signal(kafka, topic, key, value, what), what,
                             before_retry=lambda: _signal_sent(kafka, topic, signal_id))
    if table_topic is None or start is None:
        return
    limit = self.connector_timeout_s
    if not _first_record(kafka, table_topic, start, limit):
        raise WriteError(f"connector {connector} did not start the incremental snapshot of "
                         f"{', '.join(tables)} within {limit:g}s (no watermark on {table_topic}; is the "
                         "connector running and does its signaling table exist?); the signal stays in "
                         f"{topic}, and the connector reads it when it runs")


def _produce_signal(kafka: AdminSession, topic: str, key: str, value: bytes, what: str) -> None:
    from confluent_kafka import Producer

    errors: list = []

    def delivered(err, msg) -> None:
        if err:
            errors.append(err)

    producer = Producer({**client_config(kafka.cluster, kafka.secrets), "acks": "all", "enable.idempotence": True})
    try:
        producer.produce(topic, key=str(key).encode(), value=value,
                         on_delivery=delivered)
        if producer.flush(kafka.attempts.request_timeout()) or errors:
            producer.purge()  # nothing of this attempt is sent later, behind the next one's back
            producer.flush(0)
            err = errors[0] if errors else None
            if err is not None and not (err.retriable() or err.name() in _UNCERTAIN_DELIVERY):
                raise WriteError(f"{what} failed: {err.name()}: {err.str()}")
            raise RetriableError(f"{what}: {errors[0] if errors else 'timed out'}", ambiguous=True)
    finally:
        dispose(producer)


def _signal_sent(kafka: AdminSession, topic: str, signal_id: str) -> bool:
    """Whether the signal topic holds a signal with this id (read from its start to its current end)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**client_config(kafka.cluster, kafka.secrets), "group.id": "kplan-signal-check",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        parts = consumer.list_topics(topic, timeout=kafka.timeout_s).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=kafka.timeout_s)
                for p in parts}
        pending = {p for p, (low, high) in ends.items() if high > low}
        if not pending:
            return False
        consumer.assign([TopicPartition(topic, p, ends[p][0]) for p in pending])
        deadline = time.monotonic() + max(10.0, kafka.timeout_s)
        while pending and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                pending.discard(msg.partition())  # end of partition (or an error: nothing more to read)
                continue
            try:
                if json.loads(msg.value() or b"null").get("id") == signal_id:
                    return True
            except (ValueError, AttributeError):
                pass
            if (msg.offset() or 0) + 1 >= ends[msg.partition()][1]:
                pending.discard(msg.partition())
        if pending:
            raise RetriableError(f"could not read {topic} to its end", ambiguous=True)
        return False
    finally:
        consumer.close()


def _topic_ends(kafka: AdminSession, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**client_config(kafka.cluster, kafka.secrets), "group.id": "kplan-signal-watch",
                         "enable.auto.commit": False})
    try:
        parts = consumer.list_topics(topic, timeout=kafka.timeout_s).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=kafka.timeout_s)[1]
                for p in parts}
    finally:
        consumer.close()


def _first_record(kafka: AdminSession, topic: str, start: Mapping[int, int], timeout_s: float) -> bool:
    """Whether a record appears on `topic` after `start` (partition -> offset) within `timeout_s`."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**client_config(kafka.cluster, kafka.secrets), "group.id": "kplan-signal-watch",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and not msg.error():
                return True
        return False
    finally:
        consumer.close()
