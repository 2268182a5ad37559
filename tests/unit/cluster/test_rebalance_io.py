"""The rebalance's I/O helpers against fake admin clients: the throttle read back until every broker shows it, the
preferred leader election's answers (ELECTION_NOT_NEEDED is a success) and its wait for the metadata."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import ConfigSource

from kplan.errors import WriteError
from kplan.kinds.topic.io.writes import elect_preferred, read_leaders, wait_throttle


def done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


class ConfigAdmin:
    """Broker 2 shows the rate only from its second describe on (it applies dynamic configs a moment later)."""

    def __init__(self):
        self.asked: list[str] = []

    def describe_configs(self, resources, request_timeout=None):
        (res,) = resources
        self.asked.append(res.name)
        applied = res.name != "2" or self.asked.count("2") > 1
        entries = {}
        if applied and res.restype.name == "BROKER":
            entries["leader.replication.throttled.rate"] = SimpleNamespace(
                value="1024", source=ConfigSource.DYNAMIC_BROKER_CONFIG.value)
        if res.restype.name == "TOPIC":
            entries["leader.replication.throttled.replicas"] = SimpleNamespace(
                value="*", source=ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
        return {res: done(entries)}


def test_the_throttle_is_waited_for_on_every_broker_until_it_shows():
    admin = ConfigAdmin()
    wait_throttle(admin, ["1", "2"], {"leader.replication.throttled.rate": "1024"}, ["orders"],
                  {"leader.replication.throttled.replicas": "*"}, timeout_s=5)
    assert admin.asked.count("2") == 2 and admin.asked.count("1") >= 1
    with pytest.raises(WriteError, match="does not show on 1"):  # a value that never comes
        wait_throttle(ConfigAdmin(), ["1"], {"leader.replication.throttled.rate": "9"}, [], {}, timeout_s=0.2)
    # cleared: no dynamic value left
    wait_throttle(ConfigAdmin(), [], {}, ["t"], {"follower.replication.throttled.replicas": None}, timeout_s=1)


class ElectAdmin:
    def __init__(self, answers, leaders_then):
        self.answers, self.leaders_then = answers, list(leaders_then)

    def elect_leaders(self, election_type, partitions):
        return done({tp: self.answers.get(tp.partition) for tp in partitions})

    def list_topics(self, timeout=None):
        leaders = self.leaders_then.pop(0) if len(self.leaders_then) > 1 else self.leaders_then[0]
        parts = {p: SimpleNamespace(replicas=[1, 2] if p == 0 else [2, 1], leader=leader)
                 for p, leader in enumerate(leaders)}
        return SimpleNamespace(topics={"orders": SimpleNamespace(partitions=parts, error=None)})


def test_an_election_not_needed_is_a_success_and_apply_waits_for_the_preferred_leaders():
    admin = ElectAdmin({1: KafkaError(KafkaError.ELECTION_NOT_NEEDED)}, [(2, 2), (1, 2)])
    elect_preferred(admin, {"orders": (0, 1)}, timeout_s=5)
    assert read_leaders(admin, ["orders", "gone"], 5) == {"orders": (1, 2)}


def test_a_refused_election_names_the_partition():
    admin = ElectAdmin({0: KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED)}, [(2, 2)])
    with pytest.raises(WriteError, match="orders-0"):
        elect_preferred(admin, {"orders": (0,)}, timeout_s=5)
    admin = ElectAdmin({}, [(2, 2)])  # accepted, but the metadata never shows it
    with pytest.raises(WriteError, match="does not lead orders-0"):
        elect_preferred(admin, {"orders": (0,)}, timeout_s=5, wait_s=0.3)
