"""Consumer-group requests on the real stack, with real consumers started by the test: a reset to the earliest
offset, to a point in time and to an explicit offset is planned (current and new position shown), refused with one
line while the group has a live member, rolled back by an injected failure on a later step to exactly the offsets
the group had, then applied (checked by consuming from the group: the expected first record) and planned as no
change; a delete request deletes an Empty group."""

from __future__ import annotations

import glob
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer
from kplan_helpers import base_stack, faulty_kplan, kplan, require_consumer_protocol, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)


def _committed(admin, group: str) -> dict[tuple[str, int], int]:
    answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions or () if tp.offset >= 0}


def _group_state(admin, group: str) -> str:
    return admin.describe_consumer_groups([group])[group].result(timeout=30).state.name


def _produce(bootstrap: str, topic: str, values: range) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in values:
        producer.produce(topic, value=f"record-{i}".encode(), partition=0)
    producer.flush(30)


def _consumer(bootstrap: str, group: str, topic: str) -> Consumer:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "latest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    return consumer


def _consume(consumer: Consumer, want: int, timeout: float = 60) -> list[str]:
    out: list[str] = []
    deadline = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < deadline:
        msg = consumer.poll(1)
        if msg is not None and not msg.error():
            out.append(msg.value().decode())
    assert len(out) == want, out
    return out


def _first_record(bootstrap: str, group: str, topic: str) -> str:
    """The first record a consumer of the group reads (from its committed offset); commits nothing."""
    consumer = _consumer(bootstrap, group, topic)
    try:
        return _consume(consumer, 1)[0]
    finally:
        consumer.close()


def _journaled(state_dir: Path) -> dict:
    [path] = glob.glob(str(state_dir / "journal" / "*.json"))
    doc = json.loads(Path(path).read_text())
    return next(s for s in doc["steps"] if s["kind"] == "alter-group-offsets")


def _stack(stack, prefix: str, topic: str, groups=None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": topic, "partitions": 1, "replication_factor": 1}]
    if groups:
        doc["consumer_groups"] = groups
    return doc


@pytest.mark.parametrize("form", ["earliest", "time", "offset"])
def test_a_reset_is_planned_refused_with_members_rolled_back_then_applied(stack, admin, prefix, tmp_path, form):
    topic, group = f"{prefix}.in", f"{prefix}-app"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, range(0, 5))
    time.sleep(1.5)
    between = datetime.now(timezone.utc)  # records 5.. are written after this instant, 0..4 before it
    time.sleep(1.5)
    _produce(stack.bootstrap_servers, topic, range(5, 10))
    consumer = _consumer(stack.bootstrap_servers, group, topic)
    consumer.unsubscribe()
    from confluent_kafka import TopicPartition

    consumer.assign([TopicPartition(topic, 0, 0)])
    _consume(consumer, 8)
    consumer.commit(asynchronous=False)  # the group is at 8
    consumer.close()
    consumer = _consumer(stack.bootstrap_servers, group, topic)  # a live member again
    consumer.poll(5)
    assert _committed(admin, group) == {(topic, 0): 8}

    reset, target = {"earliest": ("earliest", 0), "time": (between.isoformat().replace("+00:00", "Z"), 5),
                     "offset": ([{"topic": topic, "partition": 0, "offset": 3}], 3)}[form]
    write_stack(path, _stack(stack, prefix, topic, [{"name": group, "offsets": {"request": "r1", "reset": reset}}]))

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"# consumer_group.{group} will be updated in place (consumer group request not applied yet)" in r.out
    assert f'offsets["{topic}/0"] = 8 -> {target}  # moved to the requested position' in r.out, r.out
    assert f"consumer group '{group}' has 1 live member (state Stable)" in r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    [change] = [c for c in doc["resource_changes"] if c["type"] == "consumer_group"]
    assert change["before"]["offsets"] == [{"topic": topic, "partition": 0, "offset": 8}]
    assert change["after"]["offsets"] == [{"topic": topic, "partition": 0, "offset": target}]
    assert change["planned"]["offsets"] == [{"topic": topic, "partition": 0, "offset": target}]
    md = kplan("plan", str(path), "--format", "markdown").out
    assert f'+ offsets["{topic}/0"] = {target}' in md and f'- offsets["{topic}/0"] = 8' in md

    # refused, in one line, while the group has a member: nothing changes
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    [line] = [x for x in r.err.splitlines() if "live member" in x]
    assert f"consumer group {group} has 1 live member (state Stable)" in line and "stop its consumers" in line
    assert _committed(admin, group) == {(topic, 0): 8}
    consumer.close()
    assert _group_state(admin, group) == "EMPTY"

    # a later step fails: the offsets go back to exactly those the group had
    state = tmp_path / "state"
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2", env={"KPLAN_STATE_DIR": str(state)})
    assert r.code == 1 and "injected failure after step 2" in r.text, r.text
    entry = _journaled(state)
    assert entry["outcome"]["offsets"] == [{"topic": topic, "partition": 0, "offset": 8}]
    assert entry["status"] == "undone", entry
    assert _committed(admin, group) == {(topic, 0): 8}
    assert _first_record(stack.bootstrap_servers, group, topic) == "record-8"

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"move 1 offset(s) of consumer group {group} (request r1) ... done" in r.out
    assert _committed(admin, group) == {(topic, 0): target}
    assert _first_record(stack.bootstrap_servers, group, topic) == f"record-{target}"
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text  # the token is recorded: applied once


def test_a_delete_request_deletes_an_empty_group_and_is_refused_while_it_has_members(stack, admin, prefix, tmp_path):
    topic, group = f"{prefix}.in", f"{prefix}-old"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, range(3))
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    _consume(consumer, 3)
    consumer.commit(asynchronous=False)
    write_stack(path, _stack(stack, prefix, topic, [{"name": group, "delete": {"request": "retire-1"}}]))

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"# consumer_group.{group} will be destroyed (consumer group request not applied yet)" in r.out
    assert f'- offsets["{topic}/0"] = 3  # deleted with the group' in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and f"consumer group {group} has 1 live member" in r.err, r.text
    assert _committed(admin, group) == {(topic, 0): 3}
    consumer.close()

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"delete consumer group {group} (request retire-1) ... done" in r.out
    assert _group_state(admin, group) == "DEAD" and _committed(admin, group) == {}
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def test_requests_on_a_live_consumer_protocol_group_are_refused_then_applied(stack, admin, prefix, tmp_path):
    """Issue 41, defect 5: a group of Kafka 4's consumer protocol (KIP-848, `group.protocol=consumer`) with a live
    member is seen as such (a classic DescribeGroups calls it Dead without members): the plan warns, apply refuses a
    reset and a delete without changing anything; once the member leaves, the reset is applied."""
    require_consumer_protocol(admin)
    topic, group = f"{prefix}.in", f"{prefix}-kip848"
    reset = {"name": group, "offsets": {"request": "r1", "reset": "earliest"}}
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, range(0, 6))
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group, "group.protocol": "consumer",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        _consume(consumer, 4)
        from confluent_kafka import TopicPartition

        consumer.commit(offsets=[TopicPartition(topic, 0, 4)], asynchronous=False)
        described = admin.describe_consumer_groups([group])[group].result(timeout=30)
        assert (described.type.name, described.state.name, len(described.members)) == ("CONSUMER", "STABLE", 1)
        assert _committed(admin, group) == {(topic, 0): 4}

        write_stack(path, _stack(stack, prefix, topic, [reset]))
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 2, r.text
        assert f'offsets["{topic}/0"] = 4 -> 0  # moved to the requested position' in r.out, r.out
        assert f"consumer group '{group}' has 1 live member (state Stable)" in r.out, r.out
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1, r.text
        [line] = [x for x in r.err.splitlines() if "live member" in x]
        assert f"consumer group {group} has 1 live member (state Stable)" in line, line
        assert _committed(admin, group) == {(topic, 0): 4}

        write_stack(path, _stack(stack, prefix, topic, [{"name": group, "delete": {"request": "retire-1"}}]))
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1 and f"consumer group {group} has 1 live member" in r.err, r.text
        assert _committed(admin, group) == {(topic, 0): 4}
    finally:
        consumer.close()
    wait_for(lambda: _group_state(admin, group) == "EMPTY", what=f"group {group} Empty")
    write_stack(path, _stack(stack, prefix, topic, [reset]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _committed(admin, group) == {(topic, 0): 0}


def test_groups_sharing_a_partition_each_get_their_own_reset_target(stack, admin, prefix, tmp_path):
    """Issue 41, defect 1: three groups at 3 on one partition, reset to earliest, latest and a time in one stack.
    Each is planned and applied to its own target (0, 10, 5); before the fix the positions were resolved per
    partition, and every group got the target of the one declared last."""
    from confluent_kafka import TopicPartition

    topic = f"{prefix}.in"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, range(0, 5))
    time.sleep(1.5)
    between = datetime.now(timezone.utc)  # records 5.. are written after this instant, 0..4 before it
    time.sleep(1.5)
    _produce(stack.bootstrap_servers, topic, range(5, 10))
    resets = {f"{prefix}-early": ("earliest", 0), f"{prefix}-late": ("latest", 10),
              f"{prefix}-then": (between.isoformat().replace("+00:00", "Z"), 5)}
    for group in resets:
        admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 3)])])[
            group].result(timeout=30)
    groups = [{"name": g, "offsets": {"request": "r1", "reset": reset}} for g, (reset, _) in resets.items()]
    write_stack(path, _stack(stack, prefix, topic, groups))

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    for group, (_, target) in resets.items():
        block = r.out.split(f'consumer_group "{group}"', 1)[1].split("}", 1)[0]
        assert f'offsets["{topic}/0"] = 3 -> {target}' in block, f"{group}:\n{r.out}"
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert {g: _committed(admin, g) for g in resets} == {g: {(topic, 0): t} for g, (_, t) in resets.items()}
    for group in resets:
        admin.delete_consumer_groups([group])[group].result(timeout=30)


def _produce_at(bootstrap: str, topic: str, values: range, timestamp_ms: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in values:
        producer.produce(topic, value=f"record-{i}".encode(), partition=0, timestamp=timestamp_ms)
    producer.flush(30)


@pytest.mark.parametrize("form", ["latest", "time"])
def test_a_saved_plan_sets_the_offsets_it_resolved_though_records_arrived_since(stack, admin, prefix, tmp_path, form):
    """Issue 56, item 4: `plan -out` resolves `latest` (or a time with no record at or after it) to the end, 10;
    records arrive before `apply PLANFILE`, which must set the reviewed 10, not refuse the whole plan because a
    fresh plan resolves 15 (or 11). The saved plan stays stale when the request was applied by another run."""
    from confluent_kafka import TopicPartition

    topic, group = f"{prefix}.in", f"{prefix}-app"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    now = int(time.time() * 1000)
    _produce_at(stack.bootstrap_servers, topic, range(0, 10), now - 2 * 3600_000)  # written two hours ago
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0, 3)])])[
        group].result(timeout=30)
    reset = "latest" if form == "latest" else datetime.fromtimestamp(now / 1000 - 3600, timezone.utc).isoformat()
    write_stack(path, _stack(stack, prefix, topic, [{"name": group, "offsets": {"request": "r1", "reset": reset}}]))
    planfile = tmp_path / "p.plan"
    r = kplan("plan", str(path), "-out", str(planfile), "--no-color")
    assert r.code == 0 and f'offsets["{topic}/0"] = 3 -> 10  # moved to the requested position' in r.out, r.text
    if form == "latest":
        _produce(stack.bootstrap_servers, topic, range(10, 15))  # a fresh plan resolves latest to 15
    else:  # one record before the time, one after: a fresh plan resolves the time to 11
        _produce_at(stack.bootstrap_servers, topic, range(10, 11), now - 3 * 3600_000)
        _produce_at(stack.bootstrap_servers, topic, range(11, 12), now)
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 0, r.text
    assert f"move 1 offset(s) of consumer group {group} (request r1) ... done" in r.out, r.out
    assert _committed(admin, group) == {(topic, 0): 10}
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0

    # a saved plan whose request another run applied meanwhile is stale
    write_stack(path, _stack(stack, prefix, topic, [{"name": group, "offsets": {"request": "r2", "reset": reset}}]))
    assert kplan("plan", str(path), "-out", str(planfile)).code == 0
    assert kplan("apply", str(path), "--auto-approve").code == 0
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 1 and "the saved plan is stale: the cluster changed since it was made " \
        f"(consumer_group.{group} token: r1 when planned, r2 now); run `kplan plan` again" in r.err, r.text
    admin.delete_consumer_groups([group])[group].result(timeout=30)
