"""Delete-records requests on the real stack (docs/delete-records.md): records deleted up to an offset per partition
and up to a time, checked by consuming without kplan (the records before the new low watermark gone, the rest
untouched), run once; each refusal — a topic another stack owns, a topic not found, an offset beyond the high
watermark, records a consumer group has not read yet or a share group has not acknowledged — one located error line
that leaves the cluster unchanged; on the secured listener, a principal that cannot describe every group is refused
unless any group may lose records; and a request on a topic the same apply creates deletes nothing, once."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import by_hand
import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from kplan_helpers import base_stack, forget_stack, kplan, scram_principal, wait_for, write_stack


def _produce(bootstrap: str, topic: str, partition: int, values: range) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in values:
        producer.produce(topic, value=f"p{partition}-{i}".encode(), partition=partition)
    producer.flush(30)


def _read_all(bootstrap: str, topic: str, partitions: int) -> dict[int, list[str]]:
    """Every record of the topic by partition, read from its low watermark by a consumer that joins no group."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kplantest-unused", "enable.auto.commit": False})
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30) for p in range(partitions)}
        out: dict[int, list[str]] = {p: [] for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ends.items()])
        want = sum(high - low for low, high in ends.values())
        deadline = time.monotonic() + 60
        while sum(map(len, out.values())) < want and time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is not None and not msg.error():
                out[msg.partition()].append(msg.value().decode())
        return out
    finally:
        consumer.close()


def _lows(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kplantest-unused"})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[0] for p in range(partitions)}
    finally:
        consumer.close()


def _commit(admin, group: str, topic: str, offsets: dict[int, int]) -> None:
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, p, o) for p, o in offsets.items()])])[group].result(30)


def _stack(stack, prefix: str, topics: list[str], requests: list[dict] | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": t, "partitions": 2, "replication_factor": 1} for t in topics]
    if requests:
        doc["delete_records"] = requests
    return doc


def test_records_before_the_offsets_are_deleted_the_rest_untouched_once(stack, admin, prefix, tmp_path):
    topic, group = f"{prefix}.t", f"{prefix}-reader"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    for p in (0, 1):
        _produce(stack.bootstrap_servers, topic, p, range(10))
    _commit(admin, group, topic, {0: 8, 1: 6})  # a group that has read past the cut: no refusal
    request = {"topic": topic, "request": "trim-1", "before": [{"partition": 0, "offset": 4},
                                                                {"partition": 1, "offset": 2}]}
    write_stack(path, _stack(stack, prefix, [topic], [request]))

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert 'low_watermark["0"] = 0 -> 4' in r.out and 'low_watermark["1"] = 0 -> 2' in r.out, r.out
    assert "IRREVERSIBLE: deletes 6 records, which cannot be put back" in r.out, r.out
    assert (f"apply deletes 6 records of topic '{topic}' before the declared offsets (partition 0: 4, partition 1: "
            "2; request 'trim-1')") in r.out, r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    [change] = [c for c in doc["resource_changes"] if c["type"] == "records"]
    assert change["before"]["partitions"] == [{"partition": 0, "low": 0, "high": 10},
                                              {"partition": 1, "low": 0, "high": 10}]
    assert change["after"]["partitions"] == [{"partition": 0, "low": 4, "high": 10, "removed": 4},
                                             {"partition": 1, "low": 2, "high": 10, "removed": 2}]
    assert change["after"]["removed"] == 6
    assert change["planned"]["lows"] == [{"partition": 0, "offset": 4}, {"partition": 1, "offset": 2}]

    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"delete the records of topic {topic} before 2 offset(s) (request trim-1) ... done" in r.out, r.out
    assert _lows(stack.bootstrap_servers, topic, 2) == {0: 4, 1: 2}
    assert _read_all(stack.bootstrap_servers, topic, 2) == {0: [f"p0-{i}" for i in range(4, 10)],
                                                            1: [f"p1-{i}" for i in range(2, 10)]}
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text  # the token is recorded: run once

    # a new token whose offsets are deleted already: nothing to delete, nothing changes
    request.update(request="trim-2", before=[{"partition": 0, "offset": 3}])
    write_stack(path, _stack(stack, prefix, [topic], [request]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0 and "delete the records" not in r.out, r.text
    assert _lows(stack.bootstrap_servers, topic, 2) == {0: 4, 1: 2}


def test_records_older_than_a_time_are_deleted(stack, admin, prefix, tmp_path):
    topic = f"{prefix}.t"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, 0, range(5))
    time.sleep(1.5)
    between = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    time.sleep(1.5)
    _produce(stack.bootstrap_servers, topic, 0, range(5, 10))
    _produce(stack.bootstrap_servers, topic, 1, range(5, 8))  # partition 1: every record after the time
    write_stack(path, _stack(stack, prefix, [topic], [{"topic": topic, "request": "old-1", "before": between}]))

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert 'low_watermark["0"] = 0 -> 5' in r.out and 'low_watermark["1"]' not in r.out, r.out
    assert f"apply deletes 5 records of topic '{topic}' older than {between}" in r.out, r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _lows(stack.bootstrap_servers, topic, 2) == {0: 5, 1: 0}
    assert _read_all(stack.bootstrap_servers, topic, 2) == {0: [f"p0-{i}" for i in range(5, 10)],
                                                            1: [f"p1-{i}" for i in range(5, 8)]}
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


@pytest.mark.parametrize("case", ["owned-elsewhere", "not-found", "beyond-end", "unread"])
def test_a_refused_request_is_one_located_line_and_changes_nothing(stack, admin, prefix, tmp_path, case):
    topic, group = f"{prefix}.t", f"{prefix}-slow"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, 0, range(10))
    target, other = topic, f"{prefix}-other"
    request: dict = {"request": "r1", "before": [{"partition": 0, "offset": 5}]}
    expected = {
        "not-found": f"delete_records of topic '{prefix}.nope': the cluster has no such topic",
        "beyond-end": f"delete_records of topic '{topic}': an offset is beyond the partition's high watermark (the end "
                      "of its log): partition 0: offset 11 > 10",
        "unread": f"delete_records of topic '{topic}': it deletes records that consumer group(s) {group} have not "
                  f"read yet (committed offset below the new low watermark: {group} (partition 0 at 2 < 5))",
        "owned-elsewhere": f"delete_records of topic '{prefix}.theirs': the topic is owned by stack '{other}'",
    }[case]
    try:
        if case == "owned-elsewhere":
            target = f"{prefix}.theirs"
            theirs = write_stack(tmp_path / "other.yaml", {**base_stack(other, stack), "topics": [
                {"name": target, "partitions": 1, "replication_factor": 1}]})
            assert kplan("apply", str(theirs), "--auto-approve").code == 0
            _produce(stack.bootstrap_servers, target, 0, range(10))
        elif case == "not-found":
            target = f"{prefix}.nope"
        elif case == "beyond-end":
            request["before"] = [{"partition": 0, "offset": 11}]
        else:
            _commit(admin, group, topic, {0: 2})
        write_stack(path, _stack(stack, prefix, [topic], [{"topic": target, **request}]))
        lines = path.read_text().splitlines()
        line = next(i for i, x in enumerate(lines, 1) if x.startswith("delete_records:")) + 1

        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1, r.text
        [error] = [x for x in r.text.splitlines() if expected in x]
        assert error.startswith(f"Error: {path.name}:{line}:") or f"{path}:{line}:" in error, error
        assert "Traceback" not in r.text
        if case == "unread":
            assert f"allow it: allow_unread: [{group}]" in error, error
        if case != "not-found":
            assert _lows(stack.bootstrap_servers, target, 1) == {0: 0}
            assert len(_read_all(stack.bootstrap_servers, target, 1)[0]) == 10
        if case == "unread":  # allowed: applied
            write_stack(path, _stack(stack, prefix, [topic], [{"topic": topic, **request, "allow_unread": [group]}]))
            r = kplan("apply", str(path), "--auto-approve")
            assert r.code == 0, r.text
            assert _lows(stack.bootstrap_servers, topic, 1) == {0: 5}
    finally:
        if case == "owned-elsewhere":
            kplan("destroy", str(theirs), "--auto-approve")
            forget_stack(admin, stack.bootstrap_servers, other)


def test_a_share_group_that_has_not_acknowledged_the_records_refuses_the_request(stack, prefix, tmp_path):
    from kplan.kinds.group_request.io import alter_share
    from kplan.model.desired import ClusterSpec
    from kplan.transport.wire.client import open_client

    topic, group, done = f"{prefix}.t", f"{prefix}-workers", f"{prefix}-done"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, 0, range(10))
    with open_client(ClusterSpec(stack.bootstrap_servers)) as client:  # share groups at their first unacknowledged
        alter_share(client, group, [(topic, 0, 2)])
        alter_share(client, done, [(topic, 0, 7)])  # one that has acknowledged past the cut: no refusal
    request = {"topic": topic, "request": "r1", "before": [{"partition": 0, "offset": 5}]}
    write_stack(path, _stack(stack, prefix, [topic], [request]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "Traceback" not in r.text, r.text
    [error] = [x for x in r.text.splitlines() if "delete_records of topic" in x]
    assert (f"it deletes records that share group(s) {group} have not acknowledged yet (start offset below the new "
            f"low watermark: {group} (partition 0 at 2 < 5)); let them read past it, move them (share_groups), or "
            f"allow it: allow_unread: [{group}]") in error, error
    assert _lows(stack.bootstrap_servers, topic, 1) == {0: 0}

    write_stack(path, _stack(stack, prefix, [topic], [{**request, "allow_unread": [group]}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _lows(stack.bootstrap_servers, topic, 1) == {0: 5}


def _if_said(run, pattern: str):
    """The run when its output matches `pattern` (the ACLs just written reach the broker's authorizer within a
    moment)."""
    return run if re.search(pattern, run.text) else None


@pytest.fixture
def watcher(secured, unique):
    """A SCRAM user that may DESCRIBE one topic (which holds 10 records) and nothing else, a consumer group with
    offsets on it that the user may not describe, and the super user's admin client: (user, password, topic, admin).
    """
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )

    from kplan.transport.kafka import dispose

    user, password = unique("rec-watcher"), "rec-watcher-pw-1"
    topic, group = f"{user}.t", f"{user}-hidden"
    admin = AdminClient(secured.kafka_config())
    with scram_principal(secured, admin, user, password):
        by_hand.create_topics(admin, [NewTopic(topic, 1, 1)])
        by_hand.create_acls(admin, [AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, f"User:{user}",
                                               "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
        producer = Producer(secured.kafka_config())
        for i in range(10):
            producer.produce(topic, value=f"record-{i}".encode())
        producer.flush(30)
        _commit(admin, group, topic, {0: 3})
        yield user, password, topic, admin
        for f in admin.delete_consumer_groups([group]).values():
            f.result(30)
        for f in admin.delete_topics([topic]).values():
            f.result(30)
    dispose(admin)


def test_a_principal_that_cannot_see_every_group_is_refused_unless_any_group_may_lose_records(stack, secured, watcher,
                                                                                               tmp_path):
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    user, password, topic, admin = watcher
    env = "KPLAN_TEST_KAFKA_PASSWORD"
    client = {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user,
              "sasl.password": "${secret:env:%s}" % env, "ssl.ca.location": secured.ca_file}

    def planned(allow: list[str] | None = None):
        request = {"topic": topic, "request": "r1", "before": [{"partition": 0, "offset": 6}],
                   **({"allow_unread": allow} if allow else {})}
        path = write_stack(tmp_path / "s.yaml", {"stack": user, "cluster": {
            "bootstrap_servers": secured.bootstrap_servers, "timeout": "10s", "client": client},
            "delete_records": [request]})
        r = kplan("plan", str(path), "--detailed-exitcode", env={env: password})
        assert "Traceback" not in r.text and password not in r.text, r.text
        return r

    unseen = (f"kplan cannot tell whether every group has read the records it deletes: User:{user} may not DESCRIBE "
              "the cluster, so Kafka lists only the groups it may describe; grant it the DESCRIBE it lacks, or let any "
              'group lose unread records: allow_unread: ["*"]')
    r = wait_for(lambda: _if_said(planned(), re.escape(unseen)), 20, "the plan to refuse the unseen groups")
    assert r.code == 1 and [x for x in r.text.splitlines() if "delete_records of topic" in x] == [
        x for x in r.text.splitlines() if unseen in x], r.text

    r = planned(["*"])  # any group may lose records: the groups are not read, the deletion is planned
    assert r.code == 2 and "Error:" not in r.text, r.text
    assert f"apply deletes 6 records of topic '{topic}'" in r.out, r.out

    # DESCRIBE on the cluster lists every group, but the groups the user may not describe are counted and named
    by_hand.create_acls(admin, [AclBinding(ResourceType.BROKER, "kafka-cluster", ResourcePatternType.LITERAL,
                                           f"User:{user}", "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
    hidden = f"kplan cannot tell whether every group has read the records it deletes: User:{user} may not DESCRIBE "
    r = wait_for(lambda: _if_said(planned(), re.escape(hidden) + r"\d+ groups? \("), 20, "the plan to count the groups")
    assert r.code == 1, r.text
    assert _lows(stack.bootstrap_servers, topic, 1) == {0: 0}  # nothing deleted


def test_a_request_on_a_topic_the_same_apply_creates_deletes_nothing_once(stack, prefix, tmp_path):
    topic, pinned = f"{prefix}.new", f"{prefix}.pinned"
    write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic, pinned], [
        {"topic": topic, "request": "r1", "before": "7d"},
        {"topic": pinned, "request": "p1", "before": [{"partition": 0, "offset": 5}]}]))
    r = kplan("plan", str(tmp_path / "s.yaml"))
    assert r.code == 1, r.text
    [error] = [x for x in r.text.splitlines() if "delete_records of topic" in x]
    assert (f"delete_records of topic '{pinned}': this plan creates the topic, which has no records yet (partition 0: "
            "offset 5); apply the topic first") in error, error

    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, [topic, pinned], [
        {"topic": topic, "request": "r1", "before": "7d"}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0 and "delete the records" not in r.out, r.text
    assert _lows(stack.bootstrap_servers, topic, 2) == {0: 0, 1: 0}
    _produce(stack.bootstrap_servers, topic, 0, range(5))
    r = kplan("plan", str(path), "--detailed-exitcode")  # the token was recorded: the request is not asked again
    assert r.code == 0 and "No changes." in r.out, r.text
