"""Topic changes cut into requests within the controller's per-request limit (kplan.rules.batching and the topics'
record counts, kplan.kinds.topic.batches): the records each item makes, the packing, the steps the builder makes of
a big plan, plan-time validation in the same batches, and a run of them that fails between batches rolling back
batch by batch."""

import io
import json

import pytest
from builders import live, ltopic, stack, topic
from executor_runs import FailAt, FakeStore
from fakes import FakeWriter, writers

from kplan.apply.executor import Executor, Progress
from kplan.apply.steps import Step, build
from kplan.kinds.topic.batches import config_records, create_records
from kplan.kinds.topic.steps import AlterTopicConfigs, CreateTopics, DeleteTopics, IncreasePartitions
from kplan.plan.planner import make_plan
from kplan.rules.batching import MAX_RECORDS_PER_REQUEST, RECORDS_ENV, limit_of, limited, packed, records_per_request
from kplan.secrets import SecretValues
from kplan.state.journal import Journal, RunStatus, StepStatus


def test_the_records_are_those_kafka_counts():
    # measured on Kafka 4.3.1: 9,999 partitions alone pass, with one override they do not; min.insync.replicas
    # costs one record more (the controller clears the eligible leader replicas)
    assert create_records(9999, ()) == MAX_RECORDS_PER_REQUEST
    assert create_records(9999, ["retention.ms"]) == MAX_RECORDS_PER_REQUEST + 1
    assert create_records(9997, ["min.insync.replicas"]) == MAX_RECORDS_PER_REQUEST
    assert create_records(10_000, ()) > MAX_RECORDS_PER_REQUEST  # no request can create such a topic
    assert config_records(["retention.ms", "cleanup.policy"]) == 2
    assert config_records(["min.insync.replicas", "retention.ms"]) == 3


def test_the_limit_is_lowered_by_the_environment_never_raised():
    assert limit_of({}) == MAX_RECORDS_PER_REQUEST == 10_000
    assert limit_of({RECORDS_ENV: "50"}) == 50
    assert limit_of({RECORDS_ENV: "20000"}) == MAX_RECORDS_PER_REQUEST
    for junk in ("0", "-5", "ten", "", "1.5"):
        assert limit_of({RECORDS_ENV: junk}) == MAX_RECORDS_PER_REQUEST
    assert records_per_request() == MAX_RECORDS_PER_REQUEST
    with limited(50):
        assert records_per_request() == 50
        with limited(20_000):
            assert records_per_request() == MAX_RECORDS_PER_REQUEST
        assert records_per_request() == 50
    assert records_per_request() == MAX_RECORDS_PER_REQUEST


def test_apply_builds_its_steps_within_the_environments_limit(monkeypatch):
    from kplan.apply.steps import build

    monkeypatch.setenv(RECORDS_ENV, "8")
    s, lv = stack([topic(f"t{i}", partitions=3, rf=1) for i in range(4)]), live([], broker_count=1)
    plan = make_plan(s, lv)
    assert len([x for x in build(plan, s, lv).steps if isinstance(x, CreateTopics)]) == 2
    monkeypatch.setenv(RECORDS_ENV, "100")
    assert len([x for x in build(plan, s, lv).steps if isinstance(x, CreateTopics)]) == 1
    assert records_per_request() == MAX_RECORDS_PER_REQUEST  # only while the builders ran


def test_packing_keeps_the_order_and_each_batch_within_the_limit():
    items = [3, 4, 2, 5, 1, 1, 6]
    batches = packed(items, lambda n: n, 7)
    assert batches == [[3, 4], [2, 5], [1, 1], [6]]
    assert [x for b in batches for x in b] == items
    assert packed([], lambda n: n, 7) == []
    # an item over the limit goes alone (the broker refuses it; the plan's validation said so first)
    assert packed([2, 9, 2], lambda n: n, 7) == [[2], [9], [2]]
    assert packed(["a", "b", "c"], lambda n: 0, 2) == [["a", "b"], ["c"]]  # an item costs at least one


def _creating(n, partitions, **kw):
    names = [f"t{i:04d}" for i in range(n)]
    s = stack([topic(name, partitions=partitions, rf=1, **kw) for name in names])
    lv = live([], broker_count=1)
    return names, list(build(make_plan(s, lv), s, lv).steps)


def test_25000_partitions_are_created_in_three_requests_in_the_plans_order(monkeypatch):
    monkeypatch.delenv(RECORDS_ENV, raising=False)
    names, steps = _creating(2500, 10)
    creates = [s for s in steps if isinstance(s, CreateTopics)]
    # 11 records a topic (its own and one a partition): 909 topics a request
    assert [len(s.topics) for s in creates] == [909, 909, 682]
    assert [t.name for s in creates for t in s.topics] == names
    for s in creates:
        assert sum(create_records(t.partitions, t.config) for t in s.topics) <= MAX_RECORDS_PER_REQUEST
        assert s.absent == tuple(t.name for t in s.topics)  # each batch's undo deletes only its own topics
        assert Step.from_json(json.loads(json.dumps(s.to_json()))) == s


def test_one_request_when_the_plan_fits(monkeypatch):
    monkeypatch.delenv(RECORDS_ENV, raising=False)
    _, steps = _creating(40, 3, config={"retention.ms": "1000"})
    assert len([s for s in steps if isinstance(s, CreateTopics)]) == 1


def test_config_changes_partition_increases_and_deletes_are_batched_with_their_before_images(monkeypatch):
    monkeypatch.setenv(RECORDS_ENV, "5")
    names = [f"t{i}" for i in range(6)]
    s = stack([topic(n, partitions=4, rf=1, config={"retention.ms": "1", "segment.ms": "100000"}) for n in names])
    lv = live([ltopic(n, partitions=2, rf=1, overrides={"retention.ms": "9"}) for n in names]
              + [ltopic(f"gone{i}", rf=1) for i in range(7)], owned_topics={*names, *(f"gone{i}" for i in range(7))},
              broker_count=1)
    steps = list(build(make_plan(s, lv), s, lv).steps)
    alters = [x for x in steps if isinstance(x, AlterTopicConfigs)]
    assert [list(x.topics) for x in alters] == [["t0", "t1"], ["t2", "t3"], ["t4", "t5"]]  # 2 keys each
    assert all(set(x.overrides_before) == set(x.topics) for x in alters)
    grows = [x for x in steps if isinstance(x, IncreasePartitions)]
    assert [dict(x.partitions) for x in grows] == [{"t0": 4, "t1": 4}, {"t2": 4, "t3": 4}, {"t4": 4, "t5": 4}]
    assert all(set(x.partitions_before) == set(x.partitions) for x in grows)
    deletes = [x for x in steps if isinstance(x, DeleteTopics)]
    assert [len(x.names) for x in deletes] == [5, 2]
    assert all(set(x.topics_before) == set(x.names) for x in deletes)


def test_a_failure_between_batches_undoes_the_done_batches_newest_first_and_only_what_they_created(monkeypatch):
    monkeypatch.setenv(RECORDS_ENV, "8")
    names, steps = _creating(9, 3)  # 4 records a topic: 2 a batch
    assert [len(s.topics) for s in steps if isinstance(s, CreateTopics)] == [2, 2, 2, 2, 1]
    fake = FakeWriter(topics={"other"})
    journal = Journal("s", None, "c", "d")
    ex = Executor(writers(fake), FakeStore(), SecretValues(), Progress(io.StringIO()), lambda record: None,
                  faults=FailAt(2))  # the third batch fails after it ran
    result = ex.execute(journal, steps)
    assert result.status == RunStatus.ROLLED_BACK
    assert fake.deleted == ["t0004", "t0005", "t0002", "t0003", "t0000", "t0001"]  # batch by batch, newest first
    assert fake.topics == {"other"}
    statuses = [e["status"] for e in journal.steps if e["kind"] == "create-topics"]
    assert statuses == [StepStatus.UNDONE] * 3 + [StepStatus.PENDING] * 2


@pytest.mark.parametrize("limit", ["2", "3", "10000"])
def test_every_topic_is_in_exactly_one_batch(monkeypatch, limit):
    monkeypatch.setenv(RECORDS_ENV, limit)
    names, steps = _creating(7, 1)
    created = [t.name for s in steps if isinstance(s, CreateTopics) for t in s.topics]
    assert created == names


class _CountingAdmin:
    """Validate-only creates answered at once; each request's topics recorded."""

    def __init__(self):
        self.requests: list[list[str]] = []

    def create_topics(self, new, validate_only=False, request_timeout=None):
        from concurrent.futures import Future

        assert validate_only
        self.requests.append([t.topic for t in new])
        out = {}
        for t in new:
            out[t.topic] = fut = Future()
            fut.set_result(None)
        return out


def test_plan_time_validation_asks_in_the_same_batches_and_sees_every_answer(monkeypatch):
    from kplan.cluster.validator import RealValidator
    from kplan.kinds.topic.io.settle import existing_topics

    monkeypatch.setenv(RECORDS_ENV, "8")
    s = stack([topic(f"t{i}", partitions=3, rf=1) for i in range(9)])  # 4 records each: 2 a request
    admin = _CountingAdmin()
    assert RealValidator(admin, None, 5).validate(s, make_plan(s, live([], broker_count=1))) == []
    assert [len(r) for r in admin.requests] == [2, 2, 2, 2, 1]
    assert sorted(n for r in admin.requests for n in r) == sorted(f"t{i}" for i in range(9))
    admin.requests.clear()
    assert existing_topics(admin, [f"t{i}" for i in range(9)], 5) == set()  # 2 records a name: 4 a request
    assert [len(r) for r in admin.requests] == [4, 4, 1]
