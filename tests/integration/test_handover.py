"""Handing a topic from one stack to another without deleting it (`forget:`, issue 43), on the real broker, with a
producer and a consumer running throughout: stack A forgets the topic in one reviewed plan, stack B adopts it in
another, and every record the producer had acknowledged is read by the consumer — none lost, the topic never
re-created (its topic id is the same)."""

from __future__ import annotations

import threading
import time
import uuid

from confluent_kafka import Consumer, Producer
from kplan_helpers import kplan, read_stack_ownership, stack_doc, wait_for, write_stack


class _Traffic:
    """A producer acknowledging numbered records and a consumer reading them, both until `stop()`."""

    def __init__(self, bootstrap: str, topic: str):
        self.acked: set[int] = set()
        self.read: set[int] = set()
        self._stop = threading.Event()
        self._produced = threading.Event()  # the producer has flushed: `acked` is final
        self._deadline = float("inf")
        self._bootstrap, self._topic = bootstrap, topic
        self._threads = [threading.Thread(target=self._produce), threading.Thread(target=self._consume)]
        for t in self._threads:
            t.start()

    def _produce(self) -> None:
        p = Producer({"bootstrap.servers": self._bootstrap, "acks": "all", "enable.idempotence": True})

        def acked(err, msg):
            if err is None:
                self.acked.add(int(msg.value()))

        n = 0
        while not self._stop.is_set():
            p.produce(self._topic, str(n).encode(), on_delivery=acked)
            p.poll(0)
            n += 1
            time.sleep(0.01)
        p.flush(30)
        self._produced.set()

    def _consume(self) -> None:
        c = Consumer({"bootstrap.servers": self._bootstrap, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                      "auto.offset.reset": "earliest"})
        c.subscribe([self._topic])
        try:
            while not (self._produced.is_set() and self.acked <= self.read):
                msg = c.poll(0.5)
                if msg is not None and not msg.error():
                    self.read.add(int(msg.value()))
                if time.monotonic() > self._deadline:
                    return
        finally:
            c.close()

    def stop(self) -> None:
        self._deadline = time.monotonic() + 60
        self._stop.set()
        for t in self._threads:
            t.join(90)


def _topic_id(admin, topic):
    from confluent_kafka import TopicCollection

    return str(admin.describe_topics(TopicCollection([topic]))[topic].result(timeout=20).topic_id)


def test_a_topic_handed_from_one_stack_to_another_keeps_every_record(stack, admin, prefix, tmp_path):
    topic, a, b = f"{prefix}.payments", f"{prefix}-a", f"{prefix}-b"
    declared = {"name": topic, "partitions": 3, "replication_factor": 1, "config": {"retention.ms": "1d"}}
    path_a = write_stack(tmp_path / "a.yaml", stack_doc(stack, a, [declared]))
    r = kplan("apply", str(path_a), "--auto-approve")
    assert r.code == 0, r.text
    first_id = _topic_id(admin, topic)
    traffic = _Traffic(stack.bootstrap_servers, topic)
    try:
        wait_for(lambda: len(traffic.read) > 20, 60, "the consumer to read")
        # A: the topic leaves the stack and is forgotten: one reviewed plan, nothing deleted
        doc = stack_doc(stack, a, [])
        doc["forget"] = [{"address": f"topic.{topic}"}]
        write_stack(path_a, doc)
        r = kplan("plan", str(path_a), "--detailed-exitcode")
        assert r.code == 2, r.text
        assert f"topic.{topic} will be forgotten" in r.out and "0 to destroy" in r.out, r.out
        r = kplan("apply", str(path_a), "--auto-approve")
        assert r.code == 0, r.text
        assert topic not in read_stack_ownership(admin, stack.bootstrap_servers, a).owned("topics")
        r = kplan("plan", str(path_a), "--detailed-exitcode")
        assert r.code == 0, r.text  # forgotten: the entry may stay, and asks nothing more

        # B: declares it: the plan adopts what exists (no create), the apply records it as B's
        path_b = write_stack(tmp_path / "b.yaml", stack_doc(stack, b, [declared]))
        r = kplan("plan", str(path_b))
        assert r.code == 0, r.text  # nothing to create: the topic is there, with every record
        assert ("1 existing resource matches the stack but is not yet recorded as owned by it; the next apply "
                "records ownership" in r.out), r.out
        r = kplan("apply", str(path_b), "--auto-approve")
        assert r.code == 0, r.text
        assert topic in read_stack_ownership(admin, stack.bootstrap_servers, b).owned("topics")
        read_by_now = len(traffic.read)
        wait_for(lambda: len(traffic.read) > read_by_now + 50, 60, "records after the hand-over")
    finally:
        traffic.stop()
    assert traffic.acked and traffic.acked <= traffic.read, f"lost {sorted(traffic.acked - traffic.read)[:10]}"
    assert _topic_id(admin, topic) == first_id  # never re-created
    r = kplan("destroy", str(path_b), "--auto-approve")
    assert r.code == 0, r.text
