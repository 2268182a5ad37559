"""Issue 43's hand-over killed at every step (the conformance kit's kill harness, tests/integration/conformance.py):
stack A's apply that forgets a topic (`forget:`), and stack B's apply that adopts it, each paused at the start and in
the middle of each of its steps and SIGKILLed from outside; `recover --rollback` must leave exactly what was before
and `recover --resume` exactly what an uninterrupted apply leaves, with no lock and the unfinished run reported.

The independent read is what the hand-over moves and what it must not touch: the ownership records of both stacks,
read raw from kplan's compacted topic (the last value per stack, its JSON with the write time dropped and the run
marker as present or not), and the topic itself: partitions, replication, overrides, its records (counted from the
watermarks) and whether its topic id is still the one it had at setup (never re-created)."""

from __future__ import annotations

import json
import statistics
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient
from conformance import (
    Ctx,
    KindFixture,
    NotApplicable,
    applied,
    kill_trials,
    learn,
    run_kill,
    stack_file,
)
from kplan_helpers import cleanup, forget_stack, snapshot, write_stack

from kplan.transport.kafka import dispose

OWNERSHIP_TOPIC = "__kplan_ownership"  # its format: kplan/state/ownership.py; read here without kplan's code
RECORDS = 25  # produced into the topic before the hand-over


def _topic(ctx: Ctx) -> str:
    return f"{ctx.prefix}.t"


def _a(ctx: Ctx) -> str:
    """Stack A's name in the adoption fixture (there ctx.prefix is stack B): under the prefix, so it normalizes."""
    return f"{ctx.prefix}-a"


def _declared(ctx: Ctx, owner: str) -> dict:
    return {"name": _topic(ctx), "partitions": 3, "replication_factor": 1, "owner": owner,
            "labels": {"kit": "handover"}, "config": {"retention.ms": "1d", "cleanup.policy": "delete"}}


# -- the independent read ------------------------------------------------------------------------------------------

def _records(ctx: Ctx, stacks: list[str]) -> dict:
    """Each stack's ownership record as the cluster keeps it: the last value under its key in kplan's compacted
    topic (None when it has none or a tombstone), read with a plain consumer to the end of the partition."""
    consumer = Consumer({**ctx.kafka_config, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False})
    try:
        parts = consumer.list_topics(OWNERSHIP_TOPIC, timeout=20).topics[OWNERSHIP_TOPIC].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(OWNERSHIP_TOPIC, p), timeout=20)[1] for p in parts}
        consumer.assign([TopicPartition(OWNERSHIP_TOPIC, p, 0) for p in parts])
        last: dict[str, bytes | None] = {}
        left = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + 60
        while left:
            assert time.monotonic() < deadline, f"{OWNERSHIP_TOPIC} not read to its end in 60 s"
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            key = (msg.key() or b"").decode(errors="replace")
            if key in stacks:
                last[key] = msg.value()
            if msg.offset() + 1 >= ends[msg.partition()]:
                left.discard(msg.partition())
    finally:
        consumer.close()
    out = {}
    for stack in stacks:
        value = last.get(stack)
        doc = json.loads(value) if value else None
        if doc is not None:
            doc.pop("updated_at", None)
            doc["run"] = doc.get("run") is not None  # an unfinished run's marker: its id and pid differ per run
        out[stack] = doc
    return out


def _topic_state(ctx: Ctx) -> dict:
    """The topic as a client sees it: gone, or its shape, overrides, record count and whether its id is the one it
    had at setup."""
    name = _topic(ctx)
    shape = snapshot(ctx.admin, ctx.connect_url, name)["topics"].get(name)
    if shape is None:
        return {"exists": False}
    return {"exists": True, **shape, "records": _count(ctx, name), "same_id": _topic_id(ctx, name) == ctx.extra["id"]}


def _count(ctx: Ctx, name: str) -> int:
    consumer = Consumer({**ctx.kafka_config, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}"})
    try:
        parts = consumer.list_topics(name, timeout=20).topics[name].partitions
        marks = [consumer.get_watermark_offsets(TopicPartition(name, p), timeout=20) for p in parts]
    finally:
        consumer.close()
    return sum(high - low for low, high in marks)


def _topic_id(ctx: Ctx, name: str) -> str:
    return str(ctx.admin.describe_topics(TopicCollection([name]))[name].result(timeout=20).topic_id)


def _produced(ctx: Ctx) -> None:
    """RECORDS records in the topic, acknowledged by all replicas; its id kept for the read."""
    name = _topic(ctx)
    producer = Producer({**ctx.kafka_config, "acks": "all", "enable.idempotence": True})
    for n in range(RECORDS):
        producer.produce(name, key=str(n).encode(), value=f"record-{n}".encode())
    assert producer.flush(30) == 0, "records not acknowledged"
    ctx.extra["id"] = _topic_id(ctx, name)
    assert _count(ctx, name) == RECORDS


def _teardown(ctx: Ctx) -> None:
    cleanup(ctx.admin, ctx.connect_url, ctx.prefix)
    for stack in (ctx.prefix, _a(ctx)):
        forget_stack(ctx.admin, ctx.bootstrap, stack)


# -- (a) stack A forgets the topic --------------------------------------------------------------------------------

def forget_sections(ctx: Ctx, version: int) -> dict:
    """Stack A (ctx.prefix): v1 declares the topic, v2 forgets it."""
    if version == 1:
        return {"topics": [_declared(ctx, "team-a")]}
    return {"topics": [], "forget": [{"address": f"topic.{_topic(ctx)}"}]}


def forget_setup(ctx: Ctx) -> None:
    """A's version 1 applied by kplan (the topic is A's creation), then records in it: the kit's own apply of
    version 1 then finds nothing to do."""
    applied(ctx, stack_file(FORGET, ctx, 1), "stack A with the topic (setup)")
    _produced(ctx)


def forget_read(ctx: Ctx) -> dict:
    return {"ownership": _records(ctx, [ctx.prefix]), "topic": _topic_state(ctx)}


FORGET = KindFixture(
    kind="handover-forget", section="topics", sections=forget_sections, read=forget_read, setup=forget_setup,
    teardown=_teardown, kill_versions=(2,),
    imported=NotApplicable("kill trials only"), destroy_restores=NotApplicable("kill trials only"),
)


# -- (b) stack B adopts it ----------------------------------------------------------------------------------------

def adopt_sections(ctx: Ctx, version: int) -> dict:
    """Stack B (ctx.prefix): v1 has a topic of its own only, v2 also declares the forgotten topic (as it is)."""
    own = {"name": f"{ctx.prefix}.own", "partitions": 1, "replication_factor": 1}
    return {"topics": [own] if version == 1 else [own, _declared(ctx, "team-b")]}


def adopt_setup(ctx: Ctx) -> None:
    """The first half of the hand-over: stack A creates the topic, records go in, A forgets it."""
    path = ctx.tmp / "a.yaml"
    a = {"stack": _a(ctx), "cluster": ctx.cluster}
    write_stack(path, {**a, "topics": [_declared(ctx, "team-a")]})
    applied(ctx, path, "stack A with the topic (setup)")
    _produced(ctx)
    write_stack(path, {**a, "topics": [], "forget": [{"address": f"topic.{_topic(ctx)}"}]})
    applied(ctx, path, "stack A forgetting the topic (setup)")


def adopt_read(ctx: Ctx) -> dict:
    return {"ownership": _records(ctx, [_a(ctx), ctx.prefix]), "topic": _topic_state(ctx)}


ADOPT = KindFixture(
    kind="handover-adopt", section="topics", sections=adopt_sections, read=adopt_read, setup=adopt_setup,
    teardown=_teardown, kill_versions=(2,),
    imported=NotApplicable("kill trials only"), destroy_restores=NotApplicable("kill trials only"),
)


# -- the trials -------------------------------------------------------------------------------------------------

@pytest.fixture
def handover_ctx(request, stack, unique, tmp_path):
    """A Ctx maker on the local stack's plain listener (topics only: the stack file names no Connect), each call
    a stack name and directory of its own."""
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    request.addfinalizer(lambda: dispose(admin))

    def make(fx: KindFixture) -> Ctx:
        prefix = unique(fx.kind)
        (tmp_path / prefix).mkdir()
        return Ctx(prefix, tmp_path / prefix, stack.bootstrap_servers, stack.connect_url, stack.schema_registry_url,
                   admin, {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"},
                   {"bootstrap.servers": stack.bootstrap_servers})
    return make


def owners(read: dict, topic: str) -> list[str]:
    """The stacks whose record names the topic (normalized names)."""
    return sorted(s for s, doc in read["ownership"].items() if doc and topic in doc.get("topics", []))


def every_kill_trial(fx: KindFixture, make, before_owners: list[str], after_owners: list[str]) -> None:
    """Learn the uninterrupted apply, check it hands the topic over with every record, then run each of its kill
    trials on a fresh stack name; every one must be ok (exactly before / after, recovered, no lock, reported)."""
    learned = learn(fx, make(fx), fx.kill_versions[-1])
    for state, want in ((learned.before, before_owners), (learned.after, after_owners)):
        topic = state["kind"]["topic"]
        assert owners(state["kind"], "{P}.t") == want, state
        assert topic["exists"] and topic["same_id"] and topic["records"] == RECORDS, state
        assert not any(doc and doc["run"] for doc in state["kind"]["ownership"].values()), state
    assert learned.steps >= 1, "the apply ran no step"
    trials = kill_trials(fx, {fx.kill_versions[-1]: learned})
    outcomes, times = [], []
    for trial in trials:
        started = time.monotonic()
        outcome = run_kill(fx, make(fx), trial, learned)
        times.append(time.monotonic() - started)
        outcomes.append(outcome)
        print(f"{trial.id}: {outcome['verdict']} ok={outcome['ok']} recover_exit={outcome.get('recover_exit')} "
              f"lock_left={outcome.get('lock_left')} unfinished_reported={outcome.get('unfinished_reported')} "
              f"plan_exit={outcome.get('plan_exit', '-')} ({times[-1]:.1f} s)")
    print(f"{fx.kind}: {len(trials)} trials over {learned.steps} step(s); per trial min {min(times):.1f} s, "
          f"median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    failed = [o for o in outcomes if not o["ok"]]
    assert not failed, json.dumps(failed, indent=1, default=str)[:8000]


def test_a_kill_at_any_step_of_forgetting_a_topic_rolls_back_or_resumes_exactly(handover_ctx):
    every_kill_trial(FORGET, handover_ctx, ["{P}"], [])


def test_a_kill_at_any_step_of_adopting_a_forgotten_topic_rolls_back_or_resumes_exactly(handover_ctx):
    every_kill_trial(ADOPT, handover_ctx, [], ["{P}"])
