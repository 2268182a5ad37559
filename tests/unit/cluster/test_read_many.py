"""One batched read for several stacks on one cluster (`KafkaReader.read_many`, a repository of stacks: kplan.session
.many): one metadata request, one config read of the union of their topics, one read of the records; each stack's
live state is the one a read of its own gives (its topics and owned ones, its record, its lock, the other stacks as
foreign owners). The real cluster: tests/integration/test_plan_many.py."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

import kplan.cluster.reader as reader_mod
import kplan.kinds.topic.io.read as topic_read_mod
from kplan.cluster.reader import KafkaReader, OwnerIndex
from kplan.kinds.topic.io.read import TopicRead
from kplan.model.desired import ClusterSpec
from kplan.model.ownership import Ownership
from kplan.model.plan import ResourceType

CLUSTER = ClusterSpec("127.0.0.1:1", None, timeout_s=2)
LISTED = {"a1": 1, "a2": 2, "b1": 3, "shared": 1, "owned-by-a": 4, "orphan": 1, "__consumer_offsets": 50,
          "_kplan_owners": 1, "_kplan_lock.b": 1}


def topic(partitions: int):
    return SimpleNamespace(error=None, partitions={i: SimpleNamespace(replicas=[1]) for i in range(partitions)})


class Admin:
    def __init__(self, calls: list):
        self.calls = calls

    def describe_cluster(self, request_timeout=None, include_authorized_operations=False):
        self.calls.append("describe_cluster")
        from concurrent.futures import Future

        f: Future = Future()
        f.set_result(SimpleNamespace(cluster_id="c1", nodes=[SimpleNamespace(id=1, rack="r1")],
                                     authorized_operations=None))
        return f

    def list_topics(self, timeout=None):
        self.calls.append("metadata")
        return SimpleNamespace(cluster_id="c1", topics={n: topic(p) for n, p in LISTED.items()})

    def poll(self, _):
        pass


class Records:
    ownership_topic = "_kplan_owners"

    def __init__(self, calls: list, records: dict):
        self.calls, self.records = calls, records

    def read_all(self, conf, timeout_s):
        self.calls.append("records")
        return self.records

    def lock_topic(self, stack_name):
        return f"_kplan_lock.{stack_name}"


RECORDS = {
    "a": Ownership(names={"topics": frozenset({"a1", "owned-by-a"})}),
    "b": Ownership(names={"topics": frozenset({"b1", "shared"})}, run={"run_id": "r1"}),
    "z": Ownership(names={"topics": frozenset({"shared", "orphan"})}),  # not planned here: a foreign owner
}
REQUESTS = {"a": (["a1", "a2", "absent"], frozenset({"topics"})), "b": (["b1", "shared"], frozenset({"topics"})),
            "c": (["shared"], frozenset())}


@pytest.fixture
def reader(monkeypatch):
    calls: list = []
    monkeypatch.setattr(reader_mod, "PRIMARY_READS", {"topics": TopicRead})
    monkeypatch.setattr(reader_mod, "ADMIN_READS", {})
    monkeypatch.setattr(reader_mod, "OWN_READS", {})
    monkeypatch.setattr(topic_read_mod, "describe_early", lambda pool, cluster, secrets, names: None)
    r = KafkaReader(CLUSTER, records=Records(calls, RECORDS))
    r._admin = Admin(calls)

    def describe(names):
        calls.append(("describe", sorted(names)))
        return {n: ({"retention.ms": str(len(n))}, {"retention.ms": str(len(n))}, frozenset()) for n in names}

    monkeypatch.setattr(r, "describe_topic_configs", describe)
    return r, calls


def test_each_stack_gets_what_a_read_of_its_own_gives(reader):
    r, calls = reader
    alone = {name: r.read(name, topic_names=names, sections=sections) for name, (names, sections) in REQUESTS.items()}
    assert calls.count("metadata") == 3
    calls.clear()
    together = r.read_many(REQUESTS)
    assert together == alone
    assert set(together["a"].of(ResourceType.TOPIC).resources) == {"a1", "a2", "owned-by-a"}
    assert set(together["c"].of(ResourceType.TOPIC).resources) == {"shared"}
    assert together["b"].locked and not together["a"].locked and together["b"].unfinished_run
    assert together["a"].foreign_owners == {"topic.b1": "b", "topic.shared": "z", "topic.orphan": "z"}


def test_the_cluster_is_asked_once_for_all_of_them(reader):
    r, calls = reader
    r.read_many(REQUESTS)
    assert calls.count("metadata") == 1 and calls.count("records") == 1 and calls.count("describe_cluster") == 1
    described = [c for c in calls if isinstance(c, tuple)]
    # the union of the named topics, then what only the records own (the one record read for all)
    assert described == [("describe", ["a1", "a2", "b1", "shared"]), ("describe", ["owned-by-a"])]


def test_the_owner_index_gives_the_foreign_owners_of_each_stack_the_last_other_owner_in_name_order():
    records = {"a": Ownership(names={"topics": frozenset({"x", "y"})}),
               "b": Ownership(names={"topics": frozenset({"y", "z"})}),  # y: two owners (a conflict)
               "c": Ownership(names={"topics": frozenset({"y"})})}
    index = OwnerIndex(records)
    expected = {"a": {"topic.y": "c", "topic.z": "b"}, "b": {"topic.x": "a", "topic.y": "c"},
                "c": {"topic.x": "a", "topic.y": "b", "topic.z": "b"},
                "d": {"topic.x": "a", "topic.y": "c", "topic.z": "b"}}
    for name in ("a", "b", "c", "d"):
        assert dict(index.foreign(name)) == expected[name]
        assert list(index.foreign(name)) == sorted(index.foreign(name))


def test_a_read_with_a_client_of_its_own_is_imported_by_the_reading_thread(reader, monkeypatch):
    """Its module is imported (its hook called) by the thread that reads, before the pool runs it: two of the pool's
    threads importing modules of one package at once can deadlock, which Python breaks by handing one a module half
    made (kplan import failed so, reading the dynamic-config family's three kinds, which share their io package)."""
    r, _ = reader
    loaded: list = []

    def hook():
        loaded.append(threading.current_thread())
        return lambda cluster, secrets: ({}, None)

    monkeypatch.setattr(reader_mod, "OWN_READS", {"quotas": hook, "broker_configs": hook})
    r.read_many({"a": (["a1"], frozenset({"quotas", "broker_configs"}))})
    assert loaded == [threading.current_thread()] * 2
