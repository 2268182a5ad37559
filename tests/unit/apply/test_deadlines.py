"""Deadlines are the stack's (kplan.transport.reach): once Kafka (or Connect) let an operation spend the stack's
timeout without an answer, the rest of the run fails fast instead of waiting again — rollback undo steps, journal
writes, the ownership record, the lock's release — until a short probe shows it answers again; the journal goes on
in its local copy and is replayed to the cluster later. In-memory fakes here; the same on the real stack, with a
broker or a Connect worker stopped mid-apply: tests/integration/test_outage_broker.py, test_outage_connect.py."""

from __future__ import annotations

import io
import json
import time
from concurrent.futures import Future
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException

from kplan.apply.executor import Executor, Progress
from kplan.apply.steps.ownership import RecordOwnership
from kplan.errors import KplanError
from kplan.kinds.topic.io.writes import TopicWrites
from kplan.kinds.topic.model import TopicSpec
from kplan.kinds.topic.steps import CreateTopics, TopicArgs
from kplan.model.desired import ClusterSpec, freeze
from kplan.model.ownership import Ownership
from kplan.secrets import SecretValues
from kplan.session.systems import open_writers
from kplan.state.faults import Faults
from kplan.state.journal import Journal, JournalStore, RunStatus, StepStatus
from kplan.state.records import write_record
from kplan.transport.admin import AdminSession
from kplan.transport.reach import ClusterUnreachable, GuardedAdmin, Link
from kplan.transport.retry import RetriableError, RetryPolicy, retry


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _link(clock=None, probe=None, **kw) -> Link:
    return Link("Kafka", "b:1", 10.0, probe, clock=clock or Clock(), **kw)


# -- the link --------------------------------------------------------------------------------------------------


def test_a_link_that_is_down_fails_at_once_and_probes_at_most_every_recheck_interval():
    clock, probes = Clock(), []

    def probe(seconds):
        probes.append(seconds)
        raise OSError("refused")

    link = _link(clock, probe)
    link.gate("x")  # up: nothing happens
    link.down("no answer")
    with pytest.raises(ClusterUnreachable, match=r"writing: not attempted: Kafka is unreachable .*no answer"):
        link.gate("writing")
    assert probes == []  # just found down: no probe yet
    clock.now += link.recheck_s
    with pytest.raises(ClusterUnreachable):
        link.gate("writing")
    assert probes == [link.probe_s] and link.probe_s <= 2.0
    with pytest.raises(ClusterUnreachable):
        link.gate("writing")
    assert len(probes) == 1  # probed a moment ago: fails without probing


def test_a_probe_that_gets_an_answer_brings_the_link_up_again():
    clock = Clock()
    link = _link(clock, probe=lambda seconds: None)
    link.down("no answer")
    clock.now += link.recheck_s
    link.gate("writing")
    assert not link.is_down


def test_connect_gets_only_the_probe_budget_while_kafka_is_down():
    kafka = _link()
    connect = Link("Kafka Connect", "http://c", 10.0, depends_on=kafka)
    assert connect.budget() == 10.0 and not connect.short
    kafka.down("no answer")
    assert connect.short and connect.budget() == 2.0
    connect.gate("x")  # Connect itself is not down: it is tried, briefly
    kafka.up()
    assert connect.budget() == 10.0


# -- retries -----------------------------------------------------------------------------------------------------


def test_retries_that_get_no_answer_mark_the_link_down_and_the_next_operation_fails_at_once():
    link, calls = _link(), []

    def attempt():
        calls.append(1)
        raise RetriableError("connection refused", no_answer=True)

    with pytest.raises(ClusterUnreachable, match="still failing after 0.05s of retries"):
        retry(attempt, RetryPolicy(deadline_s=0.05, initial_s=0.01, max_s=0.01), "creating topics", link=link)
    assert link.is_down and calls
    calls.clear()
    with pytest.raises(ClusterUnreachable, match="deleting topics: not attempted"):
        retry(attempt, RetryPolicy(deadline_s=5), "deleting topics", link=link)
    assert calls == []


def test_retries_that_got_answers_do_not_mark_the_link_down_and_a_success_marks_it_up():
    link = _link()

    def busy():
        raise RetriableError("NOT_CONTROLLER")

    with pytest.raises(KplanError, match="still failing"):
        retry(busy, RetryPolicy(deadline_s=0.02, initial_s=0.01, max_s=0.01), "x", link=link)
    assert not link.is_down
    link.down("earlier")
    link.probe = lambda seconds: None
    link.recheck_s = 0
    assert retry(lambda: "ok", RetryPolicy(), "x", link=link) == "ok" and not link.is_down


# -- the admin client ------------------------------------------------------------------------------------------


class DeadAdmin:
    """Every request waits its timeout, then fails as librdkafka does without a broker."""

    def __init__(self):
        self.calls: list[str] = []

    def list_topics(self, topic=None, timeout=None):
        self.calls.append("list_topics")
        time.sleep(timeout)
        raise KafkaException(KafkaError(KafkaError._TRANSPORT, "Failed to get metadata: Broker transport failure"))

    def _pending(self, names):
        return {n: Future() for n in names}  # never answered

    def describe_topics(self, topics, request_timeout=None):
        self.calls.append("describe_topics")
        return self._pending(topics.topic_names)

    def create_topics(self, new_topics, request_timeout=None):
        self.calls.append("create_topics")
        return self._pending([t.topic for t in new_topics])

    def delete_topics(self, topics, request_timeout=None):
        self.calls.append("delete_topics")
        return self._pending(topics)

    def incremental_alter_configs(self, resources, request_timeout=None):
        self.calls.append("incremental_alter_configs")
        return {r: Future() for r in resources}


def test_a_metadata_request_that_waited_its_timeout_marks_kafka_down_and_gated_requests_are_refused():
    admin = DeadAdmin()
    guarded = GuardedAdmin(admin, Link("Kafka", "b:1", 0.2))
    with pytest.raises(KafkaException):
        guarded.list_topics(timeout=0.2)
    assert guarded.link.is_down
    with pytest.raises(ClusterUnreachable):
        guarded.delete_topics(["t"], request_timeout=0.2)
    with pytest.raises(ClusterUnreachable):
        guarded.list_topics(timeout=0.2)
    assert admin.calls == ["list_topics"]


def test_a_writer_spends_the_timeout_once_then_fails_fast():
    admin = DeadAdmin()
    session = AdminSession(ClusterSpec("127.0.0.1:1", timeout_s=0.3), admin=admin)
    writer = TopicWrites(SimpleNamespace(kafka=session, wire=None))
    assert session.attempts.policy.deadline_s == 0.3  # the stack's timeout, not minutes
    session.link.probe = lambda seconds: (_ for _ in ()).throw(OSError("refused"))
    started = time.monotonic()
    with pytest.raises(ClusterUnreachable):
        writer.create_topics([TopicSpec("t", 1, 1, freeze({}))])
    assert time.monotonic() - started < 0.3 + 2 + 1  # the deadline, the answer's grace, slack
    assert session.link.is_down
    started = time.monotonic()
    for call in (lambda: writer.delete_topics(["t"]), lambda: writer.alter_topic_configs({"t": ({"a": "1"}, [])}),
                 writer.topic_names):
        with pytest.raises(ClusterUnreachable):
            call()
    assert time.monotonic() - started < 0.3  # less than one deadline for all three (the calls prove it too)
    # the create's answer never came, so it may have landed: one re-read (unanswered too), then no more requests
    assert admin.calls == ["create_topics", "list_topics"]


# -- kplan's records and the journal -----------------------------------------------------------------------------


class FakeProducer:
    """A record producer: `dead` = no broker answers (a flush waits its timeout and leaves the record queued)."""

    def __init__(self):
        self.dead = False
        self.queue: list = []
        self.written: dict[tuple[str, bytes], bytes] = {}
        self.purged = 0
        self.waited = 0  # flushes that waited for a broker that does not answer

    def produce(self, topic, key=None, value=None, on_delivery=None):
        self.queue.append((topic, key, value, on_delivery))

    def flush(self, timeout=None):
        if self.dead:
            if self.queue and timeout:
                self.waited += 1
                time.sleep(min(timeout, 0.05))
            return len(self.queue)
        for topic, key, value, on_delivery in self.queue:
            self.written[(topic, key)] = value
            on_delivery(None, SimpleNamespace(offset=lambda: 0))
        self.queue.clear()
        return 0

    def purge(self, in_queue=True, in_flight=True, blocking=True):
        self.purged += len(self.queue)
        self.queue.clear()


def test_a_record_nobody_acknowledged_is_purged_and_marks_kafka_down():
    producer, link = FakeProducer(), _link()
    producer.dead = True
    with pytest.raises(ClusterUnreachable, match="no acknowledgement within 0.05s"):
        write_record(producer, "__kplan_journal", b"s", b"{}", 0.05, "the journal", link=link)
    assert producer.purged == 1 and not producer.queue and link.is_down
    with pytest.raises(ClusterUnreachable, match="not attempted"):
        write_record(producer, "__kplan_journal", b"s", b"{}", 0.05, "the journal", link=link)
    assert producer.purged == 1  # nothing was even produced


class JournalAdmin:
    """What JournalStore asks the admin client: whether __kplan_journal exists."""

    def list_topics(self, topic=None, timeout=None):
        return SimpleNamespace(topics={"__kplan_journal": SimpleNamespace(error=None)})


def _store(tmp_path, producer, link) -> JournalStore:
    return JournalStore(producer, {"bootstrap.servers": "b:1"}, GuardedAdmin(JournalAdmin(), link), "shop", "c1",
                        0.05, state_dir=tmp_path)


def _cluster_copy(producer) -> dict | None:
    value = producer.written.get(("__kplan_journal", b"shop"))
    return json.loads(value) if value else None


def test_a_run_s_first_journal_write_must_reach_the_cluster(tmp_path):
    producer = FakeProducer()
    producer.dead = True
    store = _store(tmp_path, producer, _link())
    with pytest.raises(ClusterUnreachable):
        store.write(Journal("shop", None, "c1", "d"))
    assert store.path.exists()  # the local copy was written first


def test_later_journal_writes_fall_back_to_the_local_copy_and_the_next_write_that_reaches_the_cluster_catches_up(
        tmp_path, capsys):
    producer, clock = FakeProducer(), Clock()
    link = _link(clock, probe=lambda seconds: None)
    store = _store(tmp_path, producer, link)
    journal = Journal("shop", None, "c1", "d")
    store.write(journal)
    producer.dead = True
    journal.status = RunStatus.ROLLING_BACK
    store.write(journal)  # no answer: does not raise
    journal.status = RunStatus.ROLLBACK_INCOMPLETE
    waited = producer.waited
    assert waited >= 1  # the write before did wait for the cluster
    store.write(journal)  # Kafka known down: at once, without waiting for the cluster again
    assert producer.waited == waited
    assert json.loads(store.path.read_text())["status"] == "rollback-incomplete"
    assert _cluster_copy(producer)["status"] == "running" and store.pending is not None
    assert capsys.readouterr().err.count("Warning") == 1
    producer.dead = False
    clock.now += link.recheck_s
    store.close()  # a last try: the cluster answers again
    assert _cluster_copy(producer)["status"] == "rollback-incomplete" and store.pending is None


def test_reading_replays_a_local_copy_newer_than_the_cluster_s(tmp_path, monkeypatch):
    producer = FakeProducer()
    link = _link()
    store = _store(tmp_path, producer, link)
    journal = Journal("shop", None, "c1", "d")
    store.write(journal)
    producer.dead = True
    journal.status = RunStatus.ROLLBACK_INCOMPLETE
    journal.steps = [{"index": 0, "kind": "create-topics", "args": {}, "before": {}, "irreversible": False,
                      "status": StepStatus.UNDO_FAILED, "error": "no answer"}]
    store.write(journal)
    stale = producer.written[("__kplan_journal", b"shop")]
    assert json.loads(stale)["status"] == "running"

    # another process (e.g. `kplan recover` once the broker is back) reads the journal
    monkeypatch.setattr("kplan.state.records.read_compacted",
                        lambda conf, topic, timeout_s, link=None: {b"shop": producer.written[(topic, b"shop")]})
    producer.dead = False
    again = _store(tmp_path, producer, _link())
    found = again.read()
    assert found.status == RunStatus.ROLLBACK_INCOMPLETE and found.unfinished
    assert _cluster_copy(producer) == json.loads(store.path.read_text())  # the cluster copy caught up
    # nothing to replay once they agree
    producer.written.clear()
    monkeypatch.setattr("kplan.state.records.read_compacted",
                        lambda conf, topic, timeout_s, link=None: {b"shop": store.path.read_bytes()})
    assert again.read().run_id == journal.run_id and not producer.written


def test_reading_while_kafka_is_down_uses_the_local_copy_and_replays_nothing(tmp_path):
    producer, link = FakeProducer(), _link()
    store = _store(tmp_path, producer, link)
    store.write(Journal("shop", None, "c1", "d"))
    producer.written.clear()
    link.down("no answer")
    assert store.read().status == RunStatus.RUNNING and not producer.written


# -- a whole run -------------------------------------------------------------------------------------------------


class DiesAfterStep(Faults):
    def __init__(self, admin, producer, index):
        self.admin, self.producer, self.index = admin, producer, index

    def after_step(self, index):
        if index == self.index:
            self.admin.dead = self.producer.dead = True


class DyingAdmin(DeadAdmin):
    """Answers until `dead`, then never again."""

    def __init__(self):
        super().__init__()
        self.dead = False
        self.topics: dict[str, dict] = {}

    def list_topics(self, topic=None, timeout=None):
        if self.dead:
            return super().list_topics(topic, timeout)
        return SimpleNamespace(topics={
            n: SimpleNamespace(error=None, partitions={0: SimpleNamespace(replicas=[1])}) for n in self.topics}
            | {"__kplan_journal": SimpleNamespace(error=None, partitions={0: SimpleNamespace(replicas=[1])})})

    def create_topics(self, new_topics, request_timeout=None):
        if self.dead:
            return super().create_topics(new_topics, request_timeout)
        for t in new_topics:
            self.topics[t.topic] = {}
        return {t.topic: _done() for t in new_topics}

    def describe_configs(self, resources, request_timeout=None):
        return {r: _done({}) for r in resources}

    def describe_topics(self, topics, request_timeout=None):
        if self.dead:
            return super().describe_topics(topics, request_timeout)
        return {n: _done(SimpleNamespace(partitions=[SimpleNamespace(replicas=[1], leader=1)]))
                for n in topics.topic_names if n in self.topics}


def _done(value=None) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def test_a_run_whose_cluster_dies_gives_up_after_one_timeout_and_journals_locally(tmp_path):
    """Two topic batches (two steps) and the ownership record; Kafka dies once the first is done. The second step's
    "started" journal write spends the timeout; everything after it (the step, its undo, the first step's undo,
    the ownership record, the journal writes) fails at once."""
    timeout = 0.3
    admin, producer = DyingAdmin(), FakeProducer()
    writer = open_writers(ClusterSpec("127.0.0.1:1", timeout_s=timeout), admin=admin)
    writer.link.probe = lambda seconds: (_ for _ in ()).throw(OSError("refused"))
    store = JournalStore(producer, {"bootstrap.servers": "b:1"}, writer.admin, "s", "c", timeout,
                         state_dir=tmp_path)
    assert store.link is writer.link  # shared through the writer's admin client

    def write_ownership(record):
        write_record(producer, "__kplan_ownership", b"s", b"{}", timeout, "the ownership record", link=writer.link)

    steps = [CreateTopics((TopicArgs(name, 1, 1),), absent=(name,)) for name in ("a", "b")]
    steps.append(RecordOwnership(Ownership(names={"topics": frozenset({"a", "b"})}), Ownership()))
    executor = Executor(writer, store, SecretValues(), Progress(io.StringIO()), write_ownership,
                        faults=DiesAfterStep(admin, producer, 0))
    started = time.monotonic()
    result = executor.execute(Journal("s", None, "c", "d"), steps, {})
    took = time.monotonic() - started
    assert result.status == RunStatus.ROLLBACK_INCOMPLETE, result
    assert took < timeout + 1.0, took  # one timeout (the journal write), then nothing waits again
    local = Journal.from_json(json.loads(store.path.read_text()))
    assert local.unfinished and [s["status"] for s in local.steps][:2] == [StepStatus.UNDO_FAILED] * 2
    assert admin.calls == []  # no request reached the dead cluster: it was found gone by the journal write


# -- a broker that dies under a request: kplan's "unreachable" line, not librdkafka's error ----------------------


def _transport() -> KafkaException:
    return KafkaException(KafkaError(KafkaError._TRANSPORT, "Broker transport failure"))


def test_a_raw_transport_error_of_a_step_is_reported_as_kafka_unreachable():
    """Issue 26 defect 9a: a KafkaException(_TRANSPORT) that a step's admin call raises as it is (a metadata read,
    a future) ends the run with kplan's "Kafka is unreachable" line, not `KafkaError{code=_TRANSPORT,...}`."""
    from executor_runs import run, topics_step
    from fakes import FakeWriter

    class Dying(FakeWriter):
        def create_topics(self, specs, results=None):
            raise _transport()

    result, _ = run(Dying(), [topics_step("t")])
    assert result.status == RunStatus.ROLLED_BACK
    assert result.error.startswith("Kafka is unreachable (no answer: _TRANSPORT: Broker transport failure)"), \
        result.error
    assert "KafkaError{" not in result.error


def test_only_failures_without_an_answer_are_unreachable():
    from kplan.transport.reach import unreachable_reason

    assert unreachable_reason(KafkaException(KafkaError(KafkaError._ALL_BROKERS_DOWN))).startswith(
        "Kafka is unreachable (no answer: _ALL_BROKERS_DOWN")
    assert unreachable_reason(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))) is None
    assert unreachable_reason(KplanError("x")) is None and unreachable_reason(ValueError("y")) is None


class DiesUnderTheCreate(DeadAdmin):
    """The create's future fails with _TRANSPORT (the broker died under it: it may have landed); the re-read of
    the metadata then fails at once the same way, as librdkafka does once the connection is refused."""

    def list_topics(self, topic=None, timeout=None):
        self.calls.append("list_topics")
        raise _transport()

    def _pending(self, names):
        out = {}
        for n in names:
            f: Future = Future()
            f.set_exception(_transport())
            out[n] = f
        return out


def test_a_broker_dying_during_create_topics_ends_as_unreachable_not_a_raw_kafka_error():
    writer = TopicWrites(SimpleNamespace(kafka=AdminSession(ClusterSpec("127.0.0.1:1", timeout_s=0.5),
                                                            admin=DiesUnderTheCreate()), wire=None))
    with pytest.raises(ClusterUnreachable, match="creating topics: still failing"):
        writer.create_topics([TopicSpec("t", 1, 1, freeze({}))])
