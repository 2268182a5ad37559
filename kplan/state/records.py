"""kplan's own topics in the cluster (ownership record, journal, locks): created on first use, compacted."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from kplan.errors import KplanError
from kplan.transport.kafka import read_to_end, reader
from kplan.transport.reach import NO_ANSWER_KAFKA, ClusterUnreachable, Link, kafka_error_name

if TYPE_CHECKING:
    from confluent_kafka import Producer


def create_topic(admin, name: str, broker_count: int, timeout_s: float, config: Mapping[str, str]) -> bool:
    """Create a one-partition topic of kplan's, durable on real clusters (3 replicas, 2 in sync), unreplicated on a
    dev one; False when it exists already. Any other failure is raised as the admin client raised it."""
    from confluent_kafka.admin import NewTopic

    rf = max(1, min(3, broker_count))
    topic = NewTopic(name, 1, rf, config={"min.insync.replicas": str(min(2, rf)), **config})
    try:
        admin.create_topics([topic], request_timeout=timeout_s)[name].result(timeout_s + 5)
    except Exception as e:  # noqa: BLE001 - all but TOPIC_ALREADY_EXISTS is re-raised
        if kafka_error_name(e) != "TOPIC_ALREADY_EXISTS":
            raise
        return False
    return True


def ensure_internal_topic(admin, name: str, broker_count: int, timeout_s: float,
                          extra: Mapping[str, str] | None = None, compacted: bool = True) -> bool:
    """Create the topic unless it exists; True if this call created it. Waits until metadata shows it."""
    md = admin.list_topics(name, timeout=timeout_s)
    if name in md.topics and md.topics[name].error is None:
        return False
    config = {**(extra or {}), **({"cleanup.policy": "compact"} if compacted else {})}
    try:
        created = create_topic(admin, name, broker_count, timeout_s, config)
    except Exception as e:  # noqa: BLE001 - re-raised as a KplanError
        raise KplanError(f"could not create kplan's internal topic {name}: {e}") from e
    wait_visible(admin, name, timeout_s, "kplan's internal topic")
    return created


class NotListed(KplanError):
    """A topic kplan created is not listed with a leader by the deadline: one line, never a silent return."""


# How long kplan waits for the cluster to list a topic of its own it has just created (and, for the lock, to take the
# holder's record): the stack's timeout bounds one request, this bounds the broker catching up. A single broker at a
# load average of 15-25 (CI beside other stacks) once took over 10 s to list the new lock topic.
CATCH_UP_MIN_S = 30.0


def catch_up_window(timeout_s: float) -> float:
    """The catch-up bound for a stack whose requests time out after `timeout_s`."""
    return max(CATCH_UP_MIN_S, 2 * timeout_s)


def wait_visible(admin, name: str, timeout_s: float, what: str = "kplan's topic",
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 window: float | None = None) -> None:
    """Wait until the broker's metadata lists `name` with a leader for every partition, at most `window` (by
    default catch_up_window(`timeout_s`)); past that, NotListed. A broker lists a new topic only once it has applied
    the metadata before it: behind a bulk create of thousands of partitions that takes minutes (bench/README.md,
    Create at 10,000 topics), and a record written before then is refused (UNKNOWN_TOPIC_OR_PART), so returning at
    the deadline as if the topic were there only moves the failure to a less clear place."""
    window = catch_up_window(timeout_s) if window is None else window
    deadline = clock() + window
    delay = 0.01  # a new topic usually has its leader within a few tens of milliseconds: look again soon
    while True:
        md = admin.list_topics(name, timeout=timeout_s)
        t = md.topics.get(name)
        if t is not None and t.error is None and t.partitions and all(p.leader >= 0 for p in t.partitions.values()):
            return
        if clock() >= deadline:
            state = "listed without a leader" if t is not None and t.error is None else "not listed"
            error = getattr(t.error, "name", lambda: str(t.error))() if t is not None and t.error is not None else ""
            if error and error != "UNKNOWN_TOPIC_OR_PART":  # anything but the plain "unknown" is worth its name
                state += f" ({error})"
            raise NotListed(f"{what} {name} was created, but the cluster still shows it {state} after {window:g}s "
                            f"(a broker busy applying many new partitions lists it later): run again once the "
                            f"cluster has caught up, or raise the stack's cluster timeout")
        sleep(delay)
        delay = min(0.5, delay * 2)


# kplan's records (journal entries hold before-images of whole batches) may be large.
RECORD_MAX_BYTES = 16 * 1024 * 1024


def record_producer(conf: Mapping) -> Producer:
    """One producer per run for kplan's own records (journal, ownership, lock holder): acknowledged by all
    in-sync replicas, one request in flight so records keep their order. No idempotence: a duplicate of a
    keyed record in a compacted topic is harmless, and skipping the producer-id handshake saves a round trip
    per run."""
    from confluent_kafka import Producer

    return Producer({**conf, "acks": "all", "enable.idempotence": False,
                     "max.in.flight.requests.per.connection": 1, "linger.ms": 0,
                     "message.max.bytes": RECORD_MAX_BYTES + 1024})


class RecordRefused(KplanError):
    """The cluster answered a record's write with an error (`name`: Kafka's error name, e.g. UNKNOWN_TOPIC_OR_PART)."""

    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


def write_record(producer, topic: str, key: bytes, value: bytes | None, timeout_s: float, what: str,
                 link: "Link | None" = None) -> int | None:
    """Produce one record and wait until it is acknowledged (durable before returning), at most `timeout_s`; its
    offset, as the acknowledgement gives it.

    A record that was not acknowledged is purged from the producer, so that nothing of it is sent later behind a
    newer record's back, and no later flush waits for it. No answer from the cluster (timed out, transport
    failure) raises `ClusterUnreachable` and marks `link` down; a refusal raises a KplanError. `link`
    (kplan.transport.reach): nothing is produced while Kafka is known to be unreachable."""
    if link is not None:
        link.gate(f"writing {what} to {topic}")
    errors: list = []
    offsets: list = []

    def delivered(err, msg) -> None:
        if err:
            errors.append(err)
        else:
            offsets.append(msg.offset())

    producer.produce(topic, key=key, value=value, on_delivery=delivered)
    remaining = producer.flush(timeout_s)
    if remaining or errors:
        err = errors[0] if errors else None  # before the purge's own reports
        purge = getattr(producer, "purge", None)
        if remaining and purge is not None:
            purge(in_queue=True, in_flight=True, blocking=False)
            producer.flush(0)  # serve the purged records' delivery reports
        name, reason = "", f"no acknowledgement within {timeout_s:g}s"
        if err is not None:
            name = err.name() if hasattr(err, "name") else ""
            reason = f"{name}: {err.str()}" if name and hasattr(err, "str") else str(err)
        message = f"could not write {what} to {topic}: {reason}"
        if err is None or not name or name in NO_ANSWER_KAFKA:
            if link is not None:
                link.down(message)
            raise ClusterUnreachable(message)
        raise RecordRefused(message, name)
    if link is not None:
        link.up()
    return offsets[0] if offsets else None


# Answers to a watermark request while a partition's leadership moves (after a reassignment or a broker restart):
# asked again until the deadline.
_LEADER_MOVING = frozenset({"OFFSET_NOT_AVAILABLE", "LEADER_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION",
                            "NOT_LEADER_OR_FOLLOWER", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH"})


def _watermarks(consumer, partition, topic: str, timeout_s: float) -> tuple[int, int]:
    """(low, high) of one partition; a leader that is still catching up ("Leader high watermark is not caught up")
    is asked again until `timeout_s`, then one error line (never an internal error), as is a request that got no
    answer within it (a busy broker: seen on the 3-broker cluster under a load average of 25)."""
    from confluent_kafka import KafkaException

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return consumer.get_watermark_offsets(partition, timeout=max(0.5, deadline - time.monotonic()))
        except KafkaException as e:
            err = e.args[0] if e.args else None
            name = err.name() if err is not None and hasattr(err, "name") else ""
            if name not in _LEADER_MOVING and name != "_TIMED_OUT":
                raise
            # _TIMED_OUT: the request was given what was left of the deadline (a broker too busy to answer in time)
            if time.monotonic() >= deadline or name == "_TIMED_OUT":
                detail = err.str() if err is not None and hasattr(err, "str") else err
                raise KplanError(f"reading kplan's record {topic}: its partition leader did not answer within "
                                 f"{timeout_s:g}s ({name}: {detail})") from None
            time.sleep(0.2)


def first_record(conf: dict[str, Any], topic: str, timeout_s: float) -> bytes | None:
    """The value of the first record of a single-partition topic (None when it has none)."""
    from confluent_kafka import OFFSET_BEGINNING, TopicPartition

    consumer = reader(conf)
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None:
                return None if msg.error() else msg.value()
        raise KplanError(f"reading kplan's record {topic} did not finish within {timeout_s:g}s")
    finally:
        consumer.close()


def read_compacted(conf: dict[str, Any], topic: str, timeout_s: float,
                   link: "Link | None" = None) -> dict[bytes, bytes | None]:
    """Latest value per key of a single-partition compacted topic, read from the beginning to the high
    watermark as of now. Used for kplan's small internal topics (ownership, journal). `link`: nothing is read
    while Kafka is known to be unreachable (`ClusterUnreachable` at once)."""
    if link is not None:
        link.gate(f"reading {topic}")
    latest: dict[bytes, bytes | None] = {}

    def take(msg: Any) -> None:
        if msg.key() is not None:  # kplan writes every record with a key; a keyless one is nobody's (callers skip it)
            latest[msg.key()] = msg.value()

    read_to_end(conf, topic, 1, timeout_s, take, f"reading kplan's record {topic}",
                lambda consumer, partition: _watermarks(consumer, partition, topic, timeout_s))
    return latest
