"""The re-read logic of kplan.cluster.settle against a fake admin whose broker metadata lags its controller (the
lag itself, on the real broker, is reproduced by tests/integration/test_consistent_reads.py)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from confluent_kafka import KafkaError, KafkaException

from kplan.cluster.settle import NotSettled, existing_topics, settled_configs, settled_metadata


def _done() -> Future:
    f: Future = Future()
    f.set_result(None)
    return f


def _failed(code: int) -> Future:
    f: Future = Future()
    f.set_exception(KafkaException(KafkaError(code)))
    return f


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


class LaggingCluster:
    """A controller that has `topics`; a broker that lists (and describes) a topic only from its `listed_at`-th
    metadata read on (0: from the start). `deleted`: topics the controller has dropped but the broker still
    lists, whose configs it no longer describes, for `deleted` reads."""

    def __init__(self, topics, listed_at=None, deleted=None, refuse=None):
        self.topics = set(topics)
        self.listed_at = dict(listed_at or {})
        self.deleted = dict(deleted or {})
        self.refuse = dict(refuse or {})  # name -> error code the validate-only create answers instead
        self.reads = 0
        self.creates: list[list[str]] = []
        self.admin = self

    def _listed(self) -> set[str]:
        shown = {n for n in self.topics if self.listed_at.get(n, 0) <= self.reads}
        return shown | {n for n, until in self.deleted.items() if self.reads < until}

    def topic_metadata(self):
        self.reads += 1
        return {n: (1, 1) for n in self._listed()}

    def describe_topic_configs(self, names):
        return {n: ({}, {}, frozenset()) for n in names if n in self.topics and n in self._listed()}

    def create_topics(self, new_topics, validate_only=False, request_timeout=None):
        assert validate_only, "settling never creates"
        self.creates.append([t.topic for t in new_topics])
        out = {}
        for t in new_topics:
            if t.topic in self.refuse:
                out[t.topic] = _failed(self.refuse[t.topic])
            else:
                out[t.topic] = _failed(KafkaError.TOPIC_ALREADY_EXISTS) if t.topic in self.topics else _done()
        return out


def test_nothing_lags_no_extra_request():
    cluster = LaggingCluster({"a", "b"})
    clock = Clock()
    md = settled_metadata(cluster, ["a", "b"], 10, clock=clock, sleep=clock.sleep)
    assert set(md) == {"a", "b"}
    assert cluster.creates == [] and cluster.reads == 1 and clock.sleeps == []


def test_absent_topics_cost_one_question_and_no_wait():
    cluster = LaggingCluster({"a"})
    clock = Clock()
    md = settled_metadata(cluster, ["a", "new1", "new2"], 10, clock=clock, sleep=clock.sleep)
    assert set(md) == {"a"}
    assert cluster.creates == [["new1", "new2"]] and cluster.reads == 1 and clock.sleeps == []


def test_lagging_topics_are_waited_for_until_listed():
    cluster = LaggingCluster({"a", "b", "c"}, listed_at={"b": 3, "c": 5})
    clock = Clock()
    md = settled_metadata(cluster, ["a", "b", "c", "new"], 30, clock=clock, sleep=clock.sleep)
    assert set(md) == {"a", "b", "c"}  # never planned as new: the metadata lists them
    assert cluster.reads == 5
    assert cluster.creates[0] == ["b", "c", "new"]
    assert all(s <= 1.0 for s in clock.sleeps) and clock.now < 5


def test_metadata_that_never_settles_is_one_clear_error():
    cluster = LaggingCluster({f"t{i}" for i in range(8)}, listed_at={f"t{i}": 10**6 for i in range(8)})
    clock = Clock()
    with pytest.raises(NotSettled) as e:
        settled_metadata(cluster, sorted(cluster.topics), 15, clock=clock, sleep=clock.sleep)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("the cluster's metadata has not settled: 8 topic(s) exist")
    assert "t0, t1, t2, t3, t4 and 3 more" in msg and "15 s (cluster.timeout)" in msg and "retry" in msg
    assert 15 <= clock.now <= 16


def test_a_topic_deleted_while_waiting_is_no_longer_waited_for():
    cluster = LaggingCluster({"a", "b"}, listed_at={"b": 10**6})
    clock = Clock()
    seen = []

    def sleep(s):
        clock.sleep(s)
        seen.append(s)
        if len(seen) == 2:
            cluster.topics.discard("b")  # deleted before the broker ever listed it

    md = settled_metadata(cluster, ["a", "b"], 30, clock=clock, sleep=sleep)
    assert set(md) == {"a"} and len(seen) == 2


def test_no_declared_names_reads_once():
    cluster = LaggingCluster({"a"})
    assert set(settled_metadata(cluster, None, 10)) == {"a"} and cluster.creates == []


def test_refusals_prove_nothing_but_no_answer_is_raised():
    cluster = LaggingCluster({"a"}, refuse={"x": KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                            "y": KafkaError.POLICY_VIOLATION})
    assert existing_topics(cluster, ["a", "x", "y", "z"], 5) == {"a"}
    cluster = LaggingCluster(set(), refuse={"x": KafkaError._TIMED_OUT})
    with pytest.raises(KafkaException):
        existing_topics(cluster, ["x"], 5)


def test_listed_but_not_described_is_read_again():
    cluster = LaggingCluster({"a", "b"})
    clock = Clock()
    metadata = {"a": (1, 1), "b": (1, 1)}
    configs = {"a": ({}, {}, frozenset())}  # b: describe_configs did not know it yet
    md, cf = settled_configs(cluster, metadata, configs, {"a", "b"}, 10, clock=clock, sleep=clock.sleep)
    assert set(md) == {"a", "b"} and set(cf) == {"a", "b"}
    assert configs == {"a": ({}, {}, frozenset())}  # the caller's dicts are not changed


def test_listed_but_deleted_is_dropped():
    cluster = LaggingCluster({"a"}, deleted={"gone": 2})
    clock = Clock()
    metadata = cluster.topic_metadata()
    configs = cluster.describe_topic_configs(sorted(metadata))
    assert "gone" in metadata and "gone" not in configs
    md, cf = settled_configs(cluster, metadata, configs, {"a", "gone"}, 10, clock=clock, sleep=clock.sleep)
    assert set(md) == {"a"} and set(cf) == {"a"}


def test_listed_never_described_is_one_clear_error():
    cluster = LaggingCluster({"a"}, deleted={"gone": 10**6})
    clock = Clock()
    metadata = cluster.topic_metadata()
    with pytest.raises(NotSettled) as e:
        settled_configs(cluster, metadata, {"a": ({}, {}, frozenset())}, {"a", "gone"}, 5, clock=clock,
                        sleep=clock.sleep)
    assert "are listed by the broker's metadata but their configs cannot be read yet (gone)" in str(e.value)


def test_all_described_costs_nothing():
    cluster = LaggingCluster({"a"})
    md, cf = settled_configs(cluster, {"a": (1, 1)}, {"a": ({}, {}, frozenset())}, {"a"}, 5)
    assert cluster.reads == 0 and set(cf) == {"a"}
