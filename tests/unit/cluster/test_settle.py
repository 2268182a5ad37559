"""The re-read logic of kplan.kinds.topic.io.settle against a fake admin whose broker metadata lags its controller (the
lag itself, on the real broker, is reproduced by tests/integration/test_consistent_reads.py)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from kplan.kinds.topic.io.settle import NOT_LISTED, NotSettled, existing_topics, settled, settled_configs
from kplan.model.plan import Action, ResourceType


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


def _planner(cluster: LaggingCluster, declared: list[str], validated: bool):
    """A stand-in for read → plan → validate: creates what the metadata does not list; validation is the
    controller's validate-only create, whose TOPIC_ALREADY_EXISTS becomes a NOT_LISTED diagnostic."""
    runs = []

    def once():
        md = cluster.topic_metadata()
        creates = [n for n in declared if n not in md]
        diags = []
        if validated and creates:
            answers = cluster.create_topics([NewTopic(n) for n in creates], validate_only=True)
            diags = [SimpleNamespace(code=NOT_LISTED, address=f"topic.{n}") for n, f in answers.items()
                     if f.exception() is not None]
        runs.append(creates)
        changes = [SimpleNamespace(type=ResourceType.TOPIC, action=Action.CREATE, name=n) for n in creates]
        return md, SimpleNamespace(changes=changes, diagnostics=diags)

    return once, runs


@pytest.mark.parametrize("validated", [True, False])
def test_nothing_to_create_costs_nothing(validated):
    cluster = LaggingCluster({"a", "b"})
    clock = Clock()
    once, runs = _planner(cluster, ["a", "b"], validated)
    settled(once, cluster, 10, validated=validated, clock=clock, sleep=clock.sleep)
    assert runs == [[]] and cluster.creates == [] and cluster.reads == 1 and clock.sleeps == []


def test_validated_creates_cost_no_extra_request():
    cluster = LaggingCluster({"a"})
    clock = Clock()
    once, runs = _planner(cluster, ["a", "new1", "new2"], True)
    live, plan = settled(once, cluster, 10, validated=True, clock=clock, sleep=clock.sleep)
    assert [c.name for c in plan.changes] == ["new1", "new2"]
    assert cluster.creates == [["new1", "new2"]]  # the validator's own request, nothing more
    assert cluster.reads == 1 and clock.sleeps == []


def test_unvalidated_creates_ask_the_controller_once():
    cluster = LaggingCluster({"a"})
    clock = Clock()
    once, runs = _planner(cluster, ["a", "new"], False)
    settled(once, cluster, 10, validated=False, clock=clock, sleep=clock.sleep)
    assert cluster.creates == [["new"]] and clock.sleeps == []


@pytest.mark.parametrize("validated", [True, False])
def test_lagging_topics_are_waited_for_then_planned_again(validated):
    cluster = LaggingCluster({"a", "b", "c"}, listed_at={"b": 3, "c": 5})
    clock = Clock()
    once, runs = _planner(cluster, ["a", "b", "c", "new"], validated)
    live, plan = settled(once, cluster, 30, validated=validated, clock=clock, sleep=clock.sleep)
    assert runs[0] == ["b", "c", "new"]
    assert [c.name for c in plan.changes] == ["new"]  # never a create of b or c: they exist
    assert set(live) == {"a", "b", "c"}
    assert all(s <= 1.0 for s in clock.sleeps) and clock.now < 5


def test_metadata_that_never_settles_is_one_clear_error():
    cluster = LaggingCluster({f"t{i}" for i in range(8)}, listed_at={f"t{i}": 10**6 for i in range(8)})
    clock = Clock()
    once, runs = _planner(cluster, sorted(cluster.topics), True)
    with pytest.raises(NotSettled) as e:
        settled(once, cluster, 15, validated=True, clock=clock, sleep=clock.sleep)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("the cluster's metadata has not settled: 8 topic(s) exist")
    assert "t0, t1, t2, t3, t4 and 3 more" in msg and "15 s (cluster.timeout)" in msg and "retry" in msg
    assert 15 <= clock.now <= 16 and len(runs) == 1


def test_a_topic_deleted_while_waiting_is_no_longer_waited_for():
    cluster = LaggingCluster({"a", "b"}, listed_at={"b": 10**6})
    clock = Clock()
    seen = []

    def sleep(s):
        clock.sleep(s)
        seen.append(s)
        if len(seen) == 2:
            cluster.topics.discard("b")  # deleted before the broker ever listed it

    once, runs = _planner(cluster, ["a", "b"], True)
    live, plan = settled(once, cluster, 30, validated=True, clock=clock, sleep=sleep)
    assert [c.name for c in plan.changes] == ["b"] and len(seen) == 2  # absent now: a create is right


def test_a_live_state_file_is_never_asked():
    once = lambda: ({}, SimpleNamespace(changes=[SimpleNamespace(type=ResourceType.TOPIC, action=Action.CREATE,  # noqa: E731
                                                                 name="x")], diagnostics=[]))
    live, plan = settled(once, SimpleNamespace(), 5, validated=False)
    assert [c.name for c in plan.changes] == ["x"]


def test_refusals_prove_nothing_but_no_answer_is_raised():
    cluster = LaggingCluster({"a"}, refuse={"x": KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                            "y": KafkaError.POLICY_VIOLATION})
    assert existing_topics(cluster, ["a", "x", "y", "z"], 5) == {"a"}
    cluster = LaggingCluster(set(), refuse={"x": KafkaError._TIMED_OUT})
    with pytest.raises(KafkaException):
        existing_topics(cluster, ["x"], 5)


def test_no_answer_while_settling_is_one_error_line():
    from kplan.errors import KplanError

    cluster = LaggingCluster({"a"}, refuse={"new": KafkaError._TIMED_OUT})
    once, runs = _planner(cluster, ["a", "new"], False)
    with pytest.raises(KplanError) as e:
        settled(once, cluster, 5, validated=False)
    assert str(e.value).startswith("cannot ask the cluster which of 1 topic(s) exist: _TIMED_OUT")


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
