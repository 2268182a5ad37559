"""One request per batch: a plan's steps, run by the real executor through the real `TopicWrites`, reach the admin
client as ONE create request for every topic to create, ONE incremental-alter request for every config change,
ONE create-partitions request and ONE delete request, in the apply order. The admin client here is an in-memory
fake that logs each write request; the same counts on the real broker are in
tests/integration/test_apply_order.py. (The golden `steps` cases pin the planned steps; this pins what reaches
the wire.)"""

from __future__ import annotations

import io

from builders import live_state
from fake_admin import FakeAdmin

from kplan.apply.executor import Executor, Progress
from kplan.apply.steps import build
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import ClusterSpec, Stack, freeze
from kplan.model.live import LiveTopic
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues
from kplan.session.systems import open_writers
from kplan.state.journal import Journal, RunStatus
from kplan.transport.retry import RetryPolicy


class FakeStore:
    def write(self, journal):
        pass


def topic(name: str, partitions: int = 1, config=None) -> TopicSpec:
    return TopicSpec(name, partitions, 1, freeze(config or {}))


def ltopic(name: str, partitions: int = 1, overrides=None) -> LiveTopic:
    return LiveTopic(name, partitions, 1, freeze(overrides or {}), freeze(overrides or {}))


def run_plan(declared: list[TopicSpec], live_topics: list[LiveTopic], admin: FakeAdmin) -> tuple:
    stack = Stack("s", None, ClusterSpec("b:1"), freeze({"topics": tuple(declared)} if declared else {}))
    live = live_state("c", 1, {t.name: t for t in live_topics}, {},
                     owned_topics=frozenset(t.name for t in live_topics))
    plan = make_plan(stack, live, secrets=SecretValues())
    assert not plan.has_errors, [d.message for d in plan.errors]
    built = build(plan, stack, live)
    writer = open_writers(ClusterSpec("b:1", timeout_s=1.0), admin=admin,
                          policy=RetryPolicy(deadline_s=10.0, initial_s=0.01, max_s=0.02))
    out = io.StringIO()
    result = Executor(writer, FakeStore(), SecretValues(), Progress(out), lambda record: None).execute(
        Journal("s", None, "c", "d"), built.steps, built.secrets)
    return result, out.getvalue()


def test_every_topic_write_of_a_run_is_one_request_per_batch_in_the_apply_order():
    creates = [topic(f"new{i}", 2, {"retention.ms": "1000"} if i % 2 else None) for i in range(1, 7)]
    changed = [topic(f"cfg{i}", config={"retention.ms": str(1000 * i)}) for i in range(1, 5)]
    grown = [topic(f"grow{i}", partitions=3) for i in range(1, 4)]
    live = ([ltopic(t.name, overrides={"retention.ms": "5"}) for t in changed] + [ltopic(t.name) for t in grown]
            + [ltopic(f"gone{i}") for i in range(1, 4)])
    admin = FakeAdmin({t.name: (t.partitions, dict(t.overrides)) for t in live})

    result, progress = run_plan(creates + changed + grown, live, admin)

    assert result.status == RunStatus.COMPLETE, (result.error, progress)
    assert admin.requests == [
        ("create_topics", ["new1", "new2", "new3", "new4", "new5", "new6"]),
        ("incremental_alter_configs", ["cfg1", "cfg2", "cfg3", "cfg4"]),
        ("create_partitions", ["grow1", "grow2", "grow3"]),
        ("delete_topics", ["gone1", "gone2", "gone3"]),
    ]
    # and the cluster holds what the plan declared
    assert {n: p for n, (p, _) in admin.topics.items()} == {
        **{t.name: 2 for t in creates}, **{t.name: 1 for t in changed}, **{t.name: 3 for t in grown}}
    assert admin.topics["cfg3"][1] == {"retention.ms": "3000"} and admin.topics["new1"][1] == {"retention.ms": "1000"}


def test_a_retry_after_a_transient_failure_resends_only_the_failed_topics_in_one_request():
    creates = [topic(f"t{i}") for i in range(1, 6)]
    admin = FakeAdmin(transient={"t2", "t4"})
    result, progress = run_plan(creates, [], admin)
    assert result.status == RunStatus.COMPLETE, (result.error, progress)
    assert admin.requests == [("create_topics", ["t1", "t2", "t3", "t4", "t5"]), ("create_topics", ["t2", "t4"])]
    assert set(admin.topics) == {"t1", "t2", "t3", "t4", "t5"}
