"""An in-memory confluent-kafka admin client that logs each write request, shared by the batching and batch-result
tests (the same counts on the real broker: tests/integration/test_apply_order.py)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigSource

DYNAMIC = ConfigSource.DYNAMIC_TOPIC_CONFIG.value


def done(value=None) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def failed(code: int) -> Future:
    f: Future = Future()
    f.set_exception(KafkaException(KafkaError(code)))
    return f


class FakeAdmin:
    """The admin-client calls the topic kind's writes (TopicWrites) make, in memory. `requests` logs every write
    request with the names it carries; `transient` names topics whose first create fails with REQUEST_TIMED_OUT
    (then succeeds)."""

    def __init__(self, topics: dict[str, tuple[int, dict[str, str]]] | None = None, transient=()):
        self.topics = {n: [p, dict(c)] for n, (p, c) in (topics or {}).items()}
        self.transient = set(transient)
        self.requests: list[tuple[str, list[str]]] = []

    # -- writes: one entry in `requests` per call

    def create_topics(self, new_topics, request_timeout=None):
        self.requests.append(("create_topics", [t.topic for t in new_topics]))
        out = {}
        for t in new_topics:
            if t.topic in self.transient:
                self.transient.discard(t.topic)
                out[t.topic] = failed(KafkaError.REQUEST_TIMED_OUT)
                continue
            self.topics[t.topic] = [t.num_partitions, dict(t.config)]
            out[t.topic] = done()
        return out

    def incremental_alter_configs(self, resources, request_timeout=None):
        self.requests.append(("incremental_alter_configs", [r.name for r in resources]))
        for r in resources:
            config = self.topics[r.name][1]
            for entry in r.incremental_configs:
                if entry.incremental_operation == AlterConfigOpType.DELETE:
                    config.pop(entry.name, None)
                else:
                    config[entry.name] = entry.value
        return {r: done() for r in resources}

    def create_partitions(self, new_partitions, request_timeout=None):
        self.requests.append(("create_partitions", [p.topic for p in new_partitions]))
        for p in new_partitions:
            self.topics[p.topic][0] = p.new_total_count
        return {p.topic: done() for p in new_partitions}

    def delete_topics(self, topics, request_timeout=None):
        self.requests.append(("delete_topics", list(topics)))
        for name in topics:
            del self.topics[name]
        return {name: done() for name in topics}

    # -- reads (verification): not logged

    def list_topics(self, topic=None, timeout=None):
        return SimpleNamespace(topics={
            n: SimpleNamespace(error=None, partitions={i: SimpleNamespace(replicas=[1]) for i in range(p)})
            for n, (p, _) in self.topics.items()})

    def describe_topics(self, topics, request_timeout=None):
        """The named topics' partitions (a TopicCollection holds `topic_names`); unknown ones fail as Kafka's do."""
        return {n: done(SimpleNamespace(partitions=[SimpleNamespace(replicas=[1], leader=1)
                                                    for _ in range(self.topics[n][0])]))
                if n in self.topics else failed(KafkaError.UNKNOWN_TOPIC_OR_PART) for n in topics.topic_names}

    def describe_configs(self, resources, request_timeout=None):
        return {r: done({k: SimpleNamespace(value=v, source=DYNAMIC, is_sensitive=False)
                         for k, v in self.topics[r.name][1].items()}) for r in resources}
