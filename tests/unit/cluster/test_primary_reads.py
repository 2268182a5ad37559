"""The kinds' reads the batched reader drives through its whole read (`kplan.cluster.kind_io.PRIMARY_READS`): the
reader makes them before the cluster's own requests go out, tells them the metadata once the pin is checked and the
names the stack's record owns once it is read, and puts what they learnt of their system into the live state. The
topic read describes the named topics from its early answer (what it missed, now), the record's extra topics after
the record; the connector read reads Connect on the read's pool. The real cluster: tests/integration/test_reader.py,
test_consistent_reads.py."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import pytest

import kplan.cluster.reader as reader_mod
import kplan.kinds.topic.io.read as topic_read_mod
from kplan.cluster.kind_io import PRIMARY_READS
from kplan.cluster.reader import KafkaReader
from kplan.kinds.connect_features import ConnectFacts
from kplan.kinds.connector.io.read import ConnectorRead
from kplan.kinds.connector.live import ConnectsRead, facts_of
from kplan.kinds.topic.io.read import TopicRead
from kplan.model.desired import ClusterSpec
from kplan.model.live import LiveConnector
from kplan.model.ownership import Ownership
from kplan.transport.reads import PrimaryContext

CLUSTER = ClusterSpec("127.0.0.1:1", None, timeout_s=2)


def answered(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def configs(value: str):
    return {"retention.ms": value}, {"retention.ms": value}, frozenset()


class Topics:
    """A reader's topic requests: the metadata (settle re-reads it) and the config describes, recorded."""

    def __init__(self, listed: dict):
        self.cluster, self.secrets, self.admin = CLUSTER, None, None
        self.listed = listed
        self.described: list[list[str]] = []

    def topic_metadata(self):
        return dict(self.listed)

    def describe_topic_configs(self, names):
        self.described.append(list(names))
        return {n: configs("2") for n in names if n in self.listed}


def topic_read(monkeypatch, reader: Topics, names, early: dict | None) -> TopicRead:
    asked = []
    monkeypatch.setattr(topic_read_mod, "describe_early",
                        lambda pool, cluster, secrets, n: asked.append(list(n)) or (None if early is None
                                                                                    else answered(early)))
    read = TopicRead(PrimaryContext(reader, None, names))
    assert asked == [list(names)]  # asked when made: before the metadata request goes out
    return read


def test_the_named_topics_come_from_the_early_answer_and_what_it_missed_is_described_after_the_metadata(monkeypatch):
    listed = {"a": (1, 1), "b": (2, 1), "late": (1, 1), "other": (1, 1), "__consumer_offsets": (50, 1)}
    reader = Topics(listed)
    read = topic_read(monkeypatch, reader, ["a", "b", "late", "absent", "__consumer_offsets"],
                      {"a": ({"retention.ms": "1"}, {"retention.ms": "1"}, ()), "b": ({}, {}, ())})
    read.after_pin(listed)
    assert reader.described == [["late"]]  # created after the early describe: described now, alone
    assert read.owned((), listed) == listed
    found, problem = read.result()
    assert problem is None and set(found) == {"a", "b", "late"}
    assert found["a"].overrides == {"retention.ms": "1"} and found["b"].partitions == 2


def test_without_an_early_answer_the_named_listed_topics_are_described_in_one_request(monkeypatch):
    listed = {"a": (1, 1), "b": (1, 1), "c": (1, 1)}
    reader = Topics(listed)
    read = topic_read(monkeypatch, reader, ["b", "a", "absent"], None)
    read.after_pin(listed)
    assert reader.described == [["a", "b"]]


def test_the_topics_only_the_record_owns_are_described_after_it_and_a_deleted_one_is_dropped(monkeypatch):
    listed = {"a": (1, 1), "owned": (3, 1), "gone": (1, 1)}
    reader = Topics(listed)
    read = topic_read(monkeypatch, reader, ["a"], None)
    read.after_pin(listed)
    reader.listed = {"a": (1, 1), "owned": (3, 1)}  # "gone" was deleted since the metadata was read
    settled = read.owned(["owned", "gone", "never-listed", "a"], listed)
    assert reader.described[:2] == [["a"], ["gone", "owned"]]  # the record's extras alone, after the named ones
    assert "gone" not in settled and "owned" in settled
    found, _ = read.result()
    assert set(found) == {"a", "owned"} and found["owned"].partitions == 3


def test_with_no_names_every_listed_non_internal_topic_is_read(monkeypatch):
    listed = {"a": (1, 1), "b": (1, 1), "__consumer_offsets": (50, 1)}
    reader = Topics(listed)
    read = TopicRead(PrimaryContext(reader, None, None))
    read.after_pin(listed)
    read.owned((), listed)
    assert reader.described == [["a", "b"]] and set(read.result()[0]) == {"a", "b"}


def test_the_connector_read_goes_out_on_the_pool_when_made_and_gives_the_connect_facts(monkeypatch):
    import kplan.kinds.connector.io.read as connector_read

    gate = __import__("threading").Event()
    connector = LiveConnector("c", {}, "RUNNING", ())

    def read_connect(clients):
        gate.wait(5)
        return ConnectsRead({"c": connector}, ConnectFacts(frozenset({"FileStreamSink"}), {"analytics": "down"},
                                                           {"default": "3.9.2"},
                                                           {"default": {"FileStreamSink": ("4.1.0", "4.3.1")}}))

    monkeypatch.setattr(connector_read, "read_connects", read_connect)
    reader = SimpleNamespace(connects=SimpleNamespace(clients={}))
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = ConnectorRead(PrimaryContext(reader, pool, None))
        assert read.future.running()  # on its own thread already, before anything else is asked
        read.after_pin({})
        assert read.owned(["c"], {"t": (1, 1)}) == {"t": (1, 1)}
        gate.set()
        assert read.result() == (ConnectsRead({"c": connector}, ConnectFacts(
            frozenset({"FileStreamSink"}), {"analytics": "down"}, {"default": "3.9.2"},
            {"default": {"FileStreamSink": ("4.1.0", "4.3.1")}})), None)


# -- the reader drives them ------------------------------------------------------------------------------------


class Admin:
    def __init__(self, calls: list):
        self.calls = calls

    def describe_cluster(self, request_timeout=None, include_authorized_operations=False):
        self.calls.append("describe_cluster")
        return answered(SimpleNamespace(cluster_id="c1", nodes=[SimpleNamespace(id=1, rack=None)],
                                        authorized_operations=None))

    def list_topics(self, timeout=None):
        self.calls.append("metadata")
        part = SimpleNamespace(replicas=[1])
        topic = SimpleNamespace(error=None, partitions={0: part})
        return SimpleNamespace(cluster_id="c1", topics={"t": topic, "_kplan_owners": topic, "lock-s": topic})

    def poll(self, _):
        pass


class Records:
    ownership_topic = "_kplan_owners"

    def __init__(self, calls, record):
        self.calls, self.record = calls, record

    def read_all(self, conf, timeout_s):
        self.calls.append("records")
        return {"s": self.record}

    def lock_topic(self, stack_name):
        return f"lock-{stack_name}"


class Fake:
    """A primary read that records what the reader tells it, and when."""

    def __init__(self, section: str, calls: list, answer=None):
        self.section, self.calls, self.answer = section, calls, {} if answer is None else answer

    def __call__(self, ctx):
        self.calls.append(f"{self.section} made ({list(ctx.names or ())})")
        return self

    def after_pin(self, metadata):
        self.calls.append(f"{self.section} after_pin {sorted(metadata)}")

    def owned(self, names, metadata):
        self.calls.append(f"{self.section} owned {sorted(names)}")
        return {n: m for n, m in metadata.items() if n != "t"} if self.section == "b" else metadata

    def result(self):
        self.calls.append(f"{self.section} result")
        return self.answer, None


@pytest.fixture
def driven(monkeypatch):
    calls: list = []
    facts = ConnectFacts(versions={"default": "4.0.0"})  # what the connectors' read learnt of its system
    reads = {"connectors": Fake("connectors", calls, ConnectsRead({}, facts)), "b": Fake("b", calls)}
    monkeypatch.setattr(reader_mod, "PRIMARY_READS", reads)
    monkeypatch.setattr(reader_mod, "ADMIN_READS", {})
    monkeypatch.setattr(reader_mod, "OWN_READS", {})
    reader = KafkaReader(CLUSTER, records=Records(calls, Ownership(names={"b": frozenset({"x", "y"})})))
    reader._admin = Admin(calls)
    return reader, calls


def test_the_reader_makes_them_first_and_tells_them_the_metadata_then_the_records_names(driven):
    reader, calls = driven
    live = reader.read("s", topic_names=["t"])
    assert calls.index("records") < calls.index("connectors owned []")  # (read on the pool, beside the after_pins)
    calls.remove("records")
    assert calls == ["connectors made (['t'])", "b made (['t'])", "describe_cluster", "metadata",
                     "connectors after_pin ['_kplan_owners', 'lock-s', 't']",
                     "b after_pin ['_kplan_owners', 'lock-s', 't']",
                     "connectors owned []", "b owned ['x', 'y']", "connectors result", "b result"]
    # the metadata as the reads leave it (here "b" found "t" gone), and what they learnt of their systems (the
    # connectors' slice keeps the Connect facts)
    assert live.all_topic_names == {"_kplan_owners", "lock-s"} and live.locked
    assert facts_of(live).versions == {"default": "4.0.0"}
    assert reader.last_metadata.keys() == {"t", "_kplan_owners", "lock-s"}


def test_the_real_registration_reads_connect_first_then_the_topics():
    assert list(PRIMARY_READS) == ["connectors", "topics"]
    assert PRIMARY_READS["connectors"] is ConnectorRead and PRIMARY_READS["topics"] is TopicRead


def test_one_kind_at_most_limits_the_batched_read_by_name():
    """The batched read takes one list of names (`read(topic_names=)`, `PrimaryContext.names`), which the session
    builds from the kinds' registered read scopes (`KindIO.read_scope_ref`, kplan.session.plan.read_request) and
    every primary read is handed. That holds while one kind alone scopes its read: a second one would have its names
    mixed with the first's, and needs the read to take names per kind first."""
    from kplan.kinds import scoped_sections

    assert len(scoped_sections()) <= 1, scoped_sections()


def test_read_connects_gathers_each_connect_clusters_connectors_and_facts():
    """read_connects itself (the test above fakes it): connectors keyed per Connect cluster, the plugins of all,
    each cluster's worker version and installed plugin versions, and a cluster that could not be read -> why."""
    from kplan.errors import KplanError
    from kplan.kinds.connector.io.read import read_connects

    class Client:
        def __init__(self, answers):
            self.answers = answers

        def get_json(self, path, ok=(200,)):
            if self.answers is None:
                raise KplanError("Kafka Connect at http://analytics:8083 is unreachable")
            return self.answers[path.split("?")[0]]

    listing = {"c": {"info": {"config": {"connector.class": "FileStreamSink"}, "type": "sink"},
                     "status": {"connector": {"state": "RUNNING"}, "tasks": []}}}
    plugins = [{"class": "FileStreamSink", "type": "sink", "version": "4.1.0"},
               {"class": "FileStreamSink", "type": "sink", "version": "4.3.1"},
               {"class": "org.apache.kafka.connect.transforms.Cast$Value", "type": "transformation"}]
    default = Client({"/connectors": listing, "/connector-plugins": plugins, "/": {"version": "3.9.2"}})
    read = read_connects({"default": default, "analytics": Client(None)})
    shown = {k: (c.connect, c.state, c.type) for k, c in read.connectors.items()}
    assert shown == {"c": ("default", "RUNNING", "sink")}
    assert read.facts == ConnectFacts(frozenset({"FileStreamSink"}),
                                      {"analytics": "Kafka Connect at http://analytics:8083 is unreachable"},
                                      {"default": "3.9.2"},
                                      {"default": {"FileStreamSink": ("4.1.0", "4.3.1"),
                                                   "org.apache.kafka.connect.transforms.Cast$Value": ()}})
