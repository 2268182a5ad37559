"""Consumer-aware plans on the real stack (docs/consumers.md), with real confluent-kafka consumers started here: a
plan deleting a topic a Stable group reads names the group, its members and its lag (the messages produced minus
those it committed) and fails, and so does apply, until the run allows it; once its consumers have closed (Empty),
deleting a topic is a warning; a retention cut below a group's lag (records produced with old timestamps) is
reported with how many unconsumed records the new retention would drop."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from kplan_helpers import kplan, require_consumer_protocol, stack_doc, wait_for, write_stack

pytestmark = [pytest.mark.integration, pytest.mark.compat]


def _produce(bootstrap: str, topic: str, counts: dict[int, int], timestamp_ms: int | None = None) -> None:
    p = Producer({"bootstrap.servers": bootstrap})
    for partition, n in counts.items():
        for i in range(n):
            kw = {"timestamp": timestamp_ms} if timestamp_ms is not None else {}
            p.produce(topic, value=f"m{i}".encode(), partition=partition, **kw)
    assert p.flush(30) == 0


def _consumer(bootstrap: str, group: str) -> Consumer:
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "session.timeout.ms": 45000})


def _commit(c: Consumer, topic: str, offsets: dict[int, int]) -> None:
    """Commit these positions for the group (what it has consumed: the next offset to read, per partition)."""
    c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False)


def _join(consumers: list[Consumer], topic: str, admin, group: str, members: int) -> None:
    """Subscribe every consumer and poll them until the group is Stable with `members` members (polled messages are
    not committed: auto commit is off)."""
    for c in consumers:
        c.subscribe([topic])

    def stable():
        for c in consumers:
            c.poll(0.2)
        d = admin.describe_consumer_groups([group])[group].result(10)
        return d.state.name == "STABLE" and len(d.members) == members and all(c.assignment() for c in consumers)

    wait_for(stable, timeout=90, what=f"group {group} Stable with {members} members")


def _close(consumers: list[Consumer]) -> None:
    for c in consumers:
        c.close()


def _delete_groups(admin, groups: list[str]) -> None:
    for f in admin.delete_consumer_groups(groups).values():
        try:
            f.result(20)
        except Exception:  # noqa: BLE001 - best effort: a group still in use or already gone
            pass


def _consumer_context(doc: dict, address: str) -> dict:
    return next(c for c in doc["resource_changes"] if c["address"] == address)["consumers"]


def test_deleting_a_topic_a_stable_group_reads_fails_until_allowed_and_an_empty_group_warns(stack, admin, prefix,
                                                                                          tmp_path):
    bootstrap = stack.bootstrap_servers
    read, idle = f"{prefix}.read", f"{prefix}.idle"
    g_read, g_idle = f"{prefix}-billing", f"{prefix}-audit"
    topics = [{"name": read, "partitions": 2, "replication_factor": 1},
              {"name": idle, "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    _produce(bootstrap, read, {0: 20, 1: 10})  # 30 produced
    _produce(bootstrap, idle, {0: 7})
    readers = [_consumer(bootstrap, g_read), _consumer(bootstrap, g_read)]
    auditor = _consumer(bootstrap, g_idle)
    try:
        _commit(readers[0], read, {0: 6, 1: 4})  # 10 consumed: the lag is 30 - 10 = 20
        _commit(auditor, idle, {0: 3})  # 3 consumed of 7
        _join(readers, read, admin, g_read, 2)
        _join([auditor], idle, admin, g_idle, 1)

        # 1. the stack no longer declares `read`: the plan names the group, its 2 members and its lag, and fails
        path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, topics[1:]))
        r = kplan("plan", str(path), "--no-color")
        assert r.code == 1, r.text
        assert (f"Error: topic.{read}: deleting the topic breaks consumer groups with live members: {g_read} "
                "(Stable, 2 members, lag 20); stop them first, or, to do it anyway, pass --allow-active-consumers"
                in r.out), r.out
        assert f"#     {g_read}: Stable, 2 members, lag 20 messages" in r.out, r.out
        doc = json.loads(kplan("plan", str(path), "--format", "json").out)
        [group] = _consumer_context(doc, f"topic.{read}")["groups"]
        assert (group["group"], group["state"], group["members"], group["lag"]) == (g_read, "Stable", 2, 20)
        assert _consumer_context(doc, f"topic.{read}")["because"] == ["delete"]
        md = kplan("plan", str(path), "--format", "markdown").out
        assert f"| `{read}` | delete | `{g_read}` | **Stable** | 2 | 20 |" in md, md

        # ... apply refuses it, and the topic stays
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1 and "nothing was applied" in r.err and g_read in r.out, r.text
        assert read in admin.list_topics(timeout=20).topics

        # ... the run's explicit allowance applies it while the group is still Stable
        r = kplan("apply", str(path), "--auto-approve", "--allow-active-consumers", "--no-color")
        assert r.code == 0, r.text
        assert "(allowed by --allow-active-consumers)" in r.out, r.out
        wait_for(lambda: read not in admin.list_topics(timeout=20).topics, what=f"{read} deleted")

        # 2. the auditor closes: its group is Empty, with its committed offsets; deleting `idle` is a warning
        _close([auditor])
        wait_for(lambda: admin.describe_consumer_groups([g_idle])[g_idle].result(10).state.name == "EMPTY",
                 what=f"group {g_idle} Empty")
        path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, []))
        r = kplan("plan", str(path), "--no-color", "--format", "json")
        assert r.code == 0, r.text
        doc = json.loads(r.out)
        [group] = _consumer_context(doc, f"topic.{idle}")["groups"]
        assert (group["state"], group["members"], group["lag"]) == ("Empty", 0, 4)
        assert [(d["severity"], d["code"]) for d in doc["diagnostics"] if d["address"] == f"topic.{idle}"] == [
            ("warning", "consumers-committed")]
        r = kplan("plan", str(path), "--no-color")
        assert (f"Warning: topic.{idle}: deleting the topic drops the committed offsets of consumer groups without "
                f"live members: {g_idle} (Empty, 0 members, lag 4)") in r.out, r.out
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
    finally:
        _close(readers)
        if auditor is not None:
            try:
                auditor.close()
            except RuntimeError:  # already closed
                pass
        _delete_groups(admin, [g_read, g_idle])


def test_a_retention_cut_below_a_groups_lag_is_reported(stack, admin, prefix, tmp_path):
    bootstrap = stack.bootstrap_servers
    topic, group = f"{prefix}.events", f"{prefix}-analytics"
    spec = {"name": topic, "partitions": 1, "replication_factor": 1}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [spec]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    three_hours_ago = int(time.time() * 1000) - 3 * 3600 * 1000
    _produce(bootstrap, topic, {0: 10}, timestamp_ms=three_hours_ago)  # offsets 0-9, three hours old
    _produce(bootstrap, topic, {0: 5})  # offsets 10-14, now
    c = _consumer(bootstrap, group)
    try:
        _commit(c, topic, {0: 2})  # consumed 2: 13 unconsumed, 8 of them three hours old
    finally:
        c.close()
    try:
        path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [{**spec, "config": {"retention.ms": "1h"}}]))
        r = kplan("plan", str(path), "--format", "json")
        assert r.code == 0, r.text
        ctx = _consumer_context(json.loads(r.out), f"topic.{topic}")
        assert ctx["because"] == ["retention.ms"] and ctx["retention_ms"] == 3_600_000
        [g] = ctx["groups"]
        assert (g["group"], g["state"], g["lag"], g["beyond_retention"]) == (group, "Empty", 13, 8)
        assert 3 * 3600_000 - 60_000 < g["oldest_unconsumed_age_ms"] < 3 * 3600_000 + 600_000
        r = kplan("plan", str(path), "--no-color")
        assert (f"Warning: {path}:7:3: topic.{topic}: the new retention.ms (1h) is shorter than consumer lag: {group} "
                "has 13 unconsumed, 8 of them older than 1h") in r.out, r.out
        assert f"{group}: Empty, 0 members, lag 13 messages, oldest unconsumed 3h" in r.out, r.out
        # a no-change plan looks at no consumer group: nothing is shown
        assert kplan("apply", str(path), "--auto-approve").code == 0
        r = kplan("plan", str(path), "--no-color")
        assert r.code == 0 and "#   consumers (" not in r.out, r.out
    finally:
        _delete_groups(admin, [group])


def _stable_members(admin, group: str, consumers: list[Consumer], topic: str) -> None:
    """Poll `consumers` until the group is Stable and every one of them is assigned a partition of `topic`."""
    def ready():
        for c in consumers:
            c.poll(0.2)
        d = admin.describe_consumer_groups([group])[group].result(10)
        return (d.state.name == "STABLE" and len(d.members) == len(consumers)
                and all(any(tp.topic == topic for tp in c.assignment()) for c in consumers))

    wait_for(ready, timeout=90, what=f"group {group} Stable with {len(consumers)} member(s) assigned {topic}")


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_a_live_group_that_never_committed_blocks_deleting_its_topic(stack, admin, prefix, tmp_path, protocol):
    """Issue 41, defects 4 and 5: a consumer with auto commit off (as Flink, Spark and hand-committing services
    run) is a live member assigned the topic but has no committed offset on it; with `group.protocol=consumer`
    (KIP-848, Kafka 4) too. The guard sees it by its members' assignments."""
    if protocol == "consumer":
        require_consumer_protocol(admin)
    topic, group = f"{prefix}.t", f"{prefix}-{protocol}-reader"
    spec = {"name": topic, "partitions": 1, "replication_factor": 1}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [spec]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(stack.bootstrap_servers, topic, {0: 5})
    conf = {"bootstrap.servers": stack.bootstrap_servers, "group.id": group, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "group.protocol": protocol}
    if protocol == "classic":
        conf["session.timeout.ms"] = 45000
    reader = Consumer(conf)
    try:
        reader.subscribe([topic])
        _stable_members(admin, group, [reader], topic)
        path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, []))
        r = kplan("plan", str(path), "--no-color")
        assert r.code == 1, r.text
        assert (f"Error: topic.{topic}: deleting the topic breaks consumer groups with live members: {group} "
                "(Stable, 1 member, assigned 1 partition, no committed offsets)") in r.out, r.out
        doc = json.loads(kplan("plan", str(path), "--format", "json").out)
        [g] = _consumer_context(doc, f"topic.{topic}")["groups"]
        assert (g["group"], g["state"], g["members"], g["lag"], g["assigned"], g["protocol"]) == (
            group, "Stable", 1, None, [0], protocol), g
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1 and group in r.out and "nothing was applied" in r.err, r.text
        assert topic in admin.list_topics(timeout=20).topics
    finally:
        reader.close()
        _delete_groups(admin, [group])


def test_destroying_a_stacks_own_sink_and_streams_app_is_not_blocked_by_their_groups(stack, admin, prefix, tmp_path):
    """Issue 41, defect 3: apply deletes a sink connector (and a Kafka Streams application's ACLs) before it deletes
    the topics, so their groups (`connect-<name>`, the application.id) are not live consumers for the guard: shown
    with what takes them away, not an error. A group of a connector the plan keeps, and any other group, still
    block."""
    from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType
    from confluent_kafka.admin import ResourceType as AclResource

    topic, sink, app, other = f"{prefix}.orders", f"{prefix}-sink", f"{prefix}-app", f"{prefix}-other"
    spec = {"name": topic, "partitions": 1, "replication_factor": 1}
    connector = {"name": sink, "class": "FileStreamSink", "tasks_max": 1,
                 "config": {"topics": topic, "file": str(tmp_path / "out.txt")}}
    doc = stack_doc(stack, prefix, [spec], [connector])
    doc["streams_apps"] = [{"application_id": app, "principal": f"User:{app}", "inputs": [topic]}]
    path = write_stack(tmp_path / "s.yaml", doc)
    readers: list[Consumer] = []
    try:
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
        for i in range(4):
            producer.produce(topic, value=json.dumps({"n": i}).encode(), partition=0)  # JSON: the worker's converter
        assert producer.flush(30) == 0

        def sink_consumed():
            d = admin.describe_consumer_groups([f"connect-{sink}"])[f"connect-{sink}"].result(10)
            offsets = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(f"connect-{sink}")])
            done = offsets[f"connect-{sink}"].result(10).topic_partitions or []
            return (d.state.name == "STABLE" and len(d.members) == 1
                    and [(tp.topic, tp.offset) for tp in done] == [(topic, 4)])
        wait_for(sink_consumed, timeout=120, what=f"the sink's group connect-{sink} Stable, at offset 4")
        # the application's instance (its group is its application.id) and an unrelated reader, both live, both
        # having committed offsets (as the sink has)
        for group in (app, other):
            c = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group,
                          "enable.auto.commit": False, "auto.offset.reset": "earliest"})
            _commit(c, topic, {0: 1})
            c.subscribe([topic])
            _stable_members(admin, group, [c], topic)
            readers.append(c)

        # the stack keeps the connector and the application but no longer declares the topic: all three block
        kept = {**doc, "topics": []}
        r = kplan("plan", str(write_stack(tmp_path / "kept.yaml", kept)), "--no-color")
        assert r.code == 1, r.text
        [line] = [x for x in r.out.splitlines() if x.startswith("Error:") and f"topic.{topic}: deleting" in x]
        assert f"connect-{sink} (" in line and f"{app} (Stable, 1 member" in line, line
        assert f"{other} (Stable, 1 member" in line, line

        # destroy: the sink's and the application's groups go with them; the unrelated reader alone blocks
        r = kplan("plan", str(path), "--destroy", "--no-color")
        assert r.code == 1, r.text
        [line] = [x for x in r.out.splitlines() if x.startswith("Error:") and f"topic.{topic}: deleting" in x]
        assert f"live members: {other} (Stable, 1 member, lag 3);" in line, line
        assert f"connect-{sink}" not in line and f"{app} (" not in line, line
        [line] = [x for x in r.out.splitlines() if x.startswith(f"  #     connect-{sink}: ")]
        assert line.endswith(f", lag 0 messages — this stack's connector {sink}, deleted first"), line
        [line] = [x for x in r.out.splitlines() if x.startswith(f"  #     {app}: ")]
        assert line.startswith(f"  #     {app}: Stable, 1 member, lag 3 messages, oldest unconsumed "), line
        assert line.endswith(f" — this stack's Kafka Streams application {app}, removed first (its ACLs deleted)"), line
        doc_json = json.loads(kplan("plan", str(path), "--destroy", "--format", "json").out)
        leaves = {g["group"]: g["leaves"] for g in _consumer_context(doc_json, f"topic.{topic}")["groups"]}
        assert leaves == {f"connect-{sink}": f"this stack's connector {sink}, deleted first",
                          app: f"this stack's Kafka Streams application {app}, removed first (its ACLs deleted)",
                          other: None}, leaves

        readers.pop().close()  # the unrelated reader stops: nothing blocks the destroy any more
        wait_for(lambda: admin.describe_consumer_groups([other])[other].result(10).state.name == "EMPTY",
                 what=f"group {other} Empty")
        r = kplan("plan", str(path), "--destroy", "--no-color")
        assert r.code == 0 and "Error:" not in r.out, r.text
        r = kplan("destroy", str(path), "--auto-approve")
        assert r.code == 0, r.text
        wait_for(lambda: topic not in admin.list_topics(timeout=20).topics, what=f"{topic} deleted")
    finally:
        _close(readers)
        _delete_groups(admin, [app, other, f"connect-{sink}"])
        for f in admin.delete_acls([AclBindingFilter(AclResource.ANY, None, ResourcePatternType.ANY, f"User:{app}",
                                                     None, AclOperation.ANY, AclPermissionType.ANY)]).values():
            f.result(30)
