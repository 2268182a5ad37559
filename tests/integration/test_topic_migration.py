"""Topic migrations on the real stack (docs/migrations.md): a 12-partition topic of keyed records read by two consumer
groups migrated to 4 partitions (`migrate_from:`). Checked without kplan, by consuming with confluent-kafka: every
record of the old topic once in the new one (key, value, headers, timestamp), in per-key order; each group, consuming
the new topic from the offsets kplan moved it to, reads exactly the records it had not read (none it had read
again). The old topic is kept until migrate_from is removed. A kill at each step's edges and in the middle of the copy,
then `recover --resume` (exactly after: the checks above) or `--rollback` (exactly before: the new topic and the
copy's group gone, the groups' offsets as they were)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from kplan_helpers import ROOT, cleanup, killed_kplan, kplan, run_env, wait_for, write_stack

from kplan.transport.kafka import dispose

OLD_PARTITIONS, NEW_PARTITIONS, KEYS = 12, 4, 40
POSITIONS = {"early": lambda p: p % 3, "late": lambda p: 20 + p}  # each group's committed offset per old partition
TXN, ABORTED = 50, 5  # a transactional source: records a transaction, the one aborted


def _stack(stack, name: str, old: str, new: str | None, migrate: bool = True, rf: int = 1) -> dict:
    doc = {"stack": name, "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"}}
    doc["topics"] = ([{"name": new, "partitions": NEW_PARTITIONS, "replication_factor": rf,
                       **({"migrate_from": old} if migrate else {})}] if new else
                     [{"name": old, "partitions": OLD_PARTITIONS, "replication_factor": rf}])
    return doc


def _fill(stack, admin, prefix: str, tmp_path, records: int, rf: int = 1, transactions: bool = False):
    """The old topic (applied by kplan, owned by the stack) with `records` keyed records (headers, timestamps), and
    two groups committed at POSITIONS; the stack file and the names. `transactions`: written by a transactional
    producer, TXN records a transaction, the ABORTED-th aborted (each partition then ends in a commit marker)."""
    old, new = f"{prefix}.orders", f"{prefix}.orders.v2"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, old, None, rf=rf))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "partitioner": "murmur2_random",
                         **({"transactional.id": f"{prefix}-source"} if transactions else {})})
    if transactions:
        producer.init_transactions(30)
    now_ms = int(time.time() * 1000)  # recent: a record older than the broker's retention would be deleted under us
    for i in range(records):
        if transactions and i % TXN == 0:
            producer.begin_transaction()
        producer.produce(old, key=f"key-{i % KEYS}".encode(), value=f"v{i}".encode(), headers=[("n", str(i).encode())],
                         timestamp=now_ms - records + i)
        if i % 10_000 == 0:
            producer.poll(0)
        if transactions and i % TXN == TXN - 1:
            (producer.abort_transaction if i // TXN == ABORTED else producer.commit_transaction)(30)
    assert producer.flush(30) == 0
    for label, at in POSITIONS.items():
        c = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": f"{prefix}-{label}"})
        c.commit(offsets=[TopicPartition(old, p, at(p)) for p in range(OLD_PARTITIONS)], asynchronous=False)
        c.close()
    write_stack(path, _stack(stack, prefix, old, new, rf=rf))
    return path, old, new


def _read(bootstrap: str, topic: str, partitions: int, start: dict[int, int] | None = None) -> list[tuple]:
    """Every committed record of `topic` from `start` (partition -> offset; default the beginning), as (partition,
    offset, key, value, headers, timestamp)."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.partition.eof": True,
                  "isolation.level": "read_committed", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, (start or {}).get(p, -2)) for p in range(partitions)])
    out, ended, deadline = [], set(), time.monotonic() + 60
    while len(ended) < partitions and time.monotonic() < deadline:
        for m in c.consume(1000, 1):
            if m.error():
                ended.add(m.partition())
            else:
                out.append((m.partition(), m.offset(), m.key(), m.value(), tuple(m.headers() or ()), m.timestamp()[1]))
    c.close()
    assert len(ended) == partitions, "the topic was not read to its end within 60 s"
    return sorted(out, key=lambda r: (r[0], r[1]))


def _committed(admin, group: str) -> dict[tuple[str, int], int]:
    answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions or () if tp.offset >= 0}


def _groups(admin) -> set[str]:
    return {g.group_id for g in admin.list_consumer_groups().result(timeout=30).valid}


def _migrated(stack, admin, prefix: str, old: str, new: str, records: int) -> None:
    """Exactly after: every record once, per-key order, each group resumes at its first unread record."""
    before = _read(stack.bootstrap_servers, old, OLD_PARTITIONS)
    assert len(before) == records
    # a read_committed reader sees a transaction's records once its commit marker is written (after the commit's
    # answer): the copy's last records are waited for, then compared (a duplicate would show as more)
    after = wait_for(lambda: (a := _read(stack.bootstrap_servers, new, NEW_PARTITIONS)) and len(a) >= records and a,
                     timeout=90, what=f"the {records} records in {new}")
    assert sorted(r[2:] for r in after) == sorted(r[2:] for r in before)  # once each: key, value, headers, time
    by_key_old, by_key_new = defaultdict(list), defaultdict(list)
    for r in before:
        by_key_old[r[2]].append(r[3])
    for r in after:
        by_key_new[r[2]].append(r[3])
    assert by_key_new == by_key_old  # per-key order
    for label, at in POSITIONS.items():
        group = f"{prefix}-{label}"
        moved = {p: o for (t, p), o in _committed(admin, group).items() if t == new}
        assert sorted(moved) == list(range(NEW_PARTITIONS))
        unread = {r[3] for r in before if r[1] >= at(r[0])}
        resumed = _read(stack.bootstrap_servers, new, NEW_PARTITIONS, moved)
        assert unread <= {r[3] for r in resumed}, f"{group} would skip records it had not read"
        again = sorted(r[3] for r in resumed if r[3] not in unread)
        assert not again, f"{group} would read {len(again)} record(s) it had read again: {again[:5]}"
        assert {(t, p): o for (t, p), o in _committed(admin, group).items() if t == old} == {
            (old, p): at(p) for p in range(OLD_PARTITIONS)}  # its offsets on the old topic untouched


def _as_before(stack, admin, prefix: str, old: str, new: str, records: int) -> None:
    """Exactly before: no new topic, no copy group, the groups' offsets as they were, the old topic whole."""
    wait_for(lambda: new not in admin.list_topics(timeout=10).topics, what=f"{new} deleted")
    assert f"kplan-migrate-{new}" not in _groups(admin)
    for label, at in POSITIONS.items():
        assert _committed(admin, f"{prefix}-{label}") == {(old, p): at(p) for p in range(OLD_PARTITIONS)}
    assert len(_read(stack.bootstrap_servers, old, OLD_PARTITIONS)) == records


def test_a_keyed_topic_with_two_groups_migrates_to_fewer_partitions_and_the_old_topic_is_kept(
        stack, admin, prefix, tmp_path):
    _migrates_and_keeps(stack, admin, prefix, tmp_path, rf=1)


def test_a_topic_written_in_transactions_is_copied_to_its_end_past_the_markers(stack, admin, prefix, tmp_path):
    """A source written in transactions (12 of 50 records, one aborted): every partition ends in a commit marker,
    which no record reaches, and the groups' positions fall on records, markers and aborted records. The copy ends at
    each partition's end (its committed position is the end, past the last marker), every committed record is in the
    new topic once and no aborted one, each group resumes at its first unread record."""
    path, old, new = _fill(stack, admin, prefix, tmp_path, 12 * TXN, transactions=True)
    ends = {tp.partition: f.result(30).offset for tp, f in admin.list_offsets(
        {TopicPartition(old, p): OffsetSpec.latest() for p in range(OLD_PARTITIONS)}).items()}
    last = {r[0]: r[1] for r in _read(stack.bootstrap_servers, old, OLD_PARTITIONS)}
    assert all(last[p] < ends[p] - 1 for p in range(OLD_PARTITIONS))  # each partition's last offset is a marker
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    _migrated(stack, admin, prefix, old, new, 11 * TXN)
    assert {p: o for (t, p), o in _committed(admin, f"kplan-migrate-{new}").items() if t == old} == ends


@contextmanager
def _cluster3(multibroker, unique, connect_url: str | None = None) -> Iterator[tuple[SimpleNamespace, Any, str]]:
    """The 3-broker cluster in the place of the stack: (the cluster, as the tests read `stack`: its bootstrap servers
    and its Connect worker's URL when given; an admin client of it; the test's prefix). What the test made under the
    prefix is deleted after."""
    cluster = SimpleNamespace(bootstrap_servers=multibroker.BOOTSTRAP, connect_url=connect_url)
    admin, prefix = AdminClient({"bootstrap.servers": multibroker.BOOTSTRAP}), unique("topic-migration")
    try:
        yield cluster, admin, prefix
    finally:
        cleanup(admin, connect_url, prefix)
        dispose(admin)


@pytest.mark.cluster3
def test_on_the_3_broker_cluster_a_keyed_topic_migrates_with_its_groups(multibroker, unique, tmp_path):
    """The same on the 3-broker cluster, replication factor 3: the copy's transactions and the moved offsets with
    replicated partitions, the sizes asked of every broker."""
    with _cluster3(multibroker, unique) as (cluster, admin, prefix):
        _migrates_and_keeps(cluster, admin, prefix, tmp_path, rf=3)


def _migrates_and_keeps(stack, admin, prefix: str, tmp_path, rf: int) -> None:
    path, old, new = _fill(stack, admin, prefix, tmp_path, 600, rf=rf)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert (f"topic '{new}' is migrated from '{old}' (12 -> 4 partitions): 600 records, " in r.out
            and f"consumer groups whose positions move: {prefix}-early (committed on 12 partitions), {prefix}-late "
            "(committed on 12 partitions)" in r.out), r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    _migrated(stack, admin, prefix, old, new, 600)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and f"topic '{old}' is the topic '{new}' migrates from: kept until" in r.out, r.text
    write_stack(path, _stack(stack, prefix, old, new, migrate=False, rf=rf))  # the later, separately reviewed apply
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and f"# topic.{old} will be destroyed" in r.out and "1 to destroy" in r.out, r.text


@pytest.mark.parametrize("kill", ["after-step:1", "in-step:2", "after-step:2"])
@pytest.mark.parametrize("recovery", ["resume", "rollback"])
def test_a_migration_killed_at_a_step_edge_ends_exactly_before_or_after(stack, admin, prefix, tmp_path, kill,
                                                                        recovery):
    path, old, new = _fill(stack, admin, prefix, tmp_path, 600)
    run = killed_kplan("apply", str(path), "--auto-approve", kill_at=kill)
    assert run.code == -9, run.text
    r = kplan("recover", str(path), f"--{recovery}", "--force", "--auto-approve")
    assert r.code == 0, r.text
    if recovery == "resume":
        _migrated(stack, admin, prefix, old, new, 600)
        assert kplan("plan", str(path), "--detailed-exitcode").code == 0
    else:
        _as_before(stack, admin, prefix, old, new, 600)


@pytest.mark.parametrize("recovery", ["resume", "rollback"])
def test_a_migration_killed_in_the_middle_of_its_copy_ends_exactly_before_or_after(stack, admin, prefix, tmp_path,
                                                                                   recovery):
    records = 60_000  # 30 transactions of 2,000: the kill lands between the first commit and the last
    path, old, new = _fill(stack, admin, prefix, tmp_path, records)
    apply = subprocess.Popen([sys.executable, "-m", "kplan", "apply", str(path), "--auto-approve"], cwd=ROOT,
                             env=run_env(None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        copied = wait_for(lambda: _committed(admin, f"kplan-migrate-{new}") or None, timeout=120,
                          what="the copy's first transaction")
        os.kill(apply.pid, signal.SIGKILL)
    finally:
        apply.wait(30)
    assert apply.returncode == -9
    assert sum(copied.values()) < records  # killed mid-copy
    r = kplan("recover", str(path), f"--{recovery}", "--force", "--auto-approve")
    assert r.code == 0, r.text
    if recovery == "resume":
        _migrated(stack, admin, prefix, old, new, records)
    else:
        _as_before(stack, admin, prefix, old, new, records)


def test_a_group_with_live_members_refuses_the_migration_before_anything_is_done(stack, admin, prefix, tmp_path):
    path, old, new = _fill(stack, admin, prefix, tmp_path, 60)
    member = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": f"{prefix}-early"})
    member.subscribe([old])
    try:
        wait_for(lambda: member.poll(0.5) is not None or member.assignment(), what="a live member of the group")
        r = kplan("apply", str(path), "--auto-approve")
    finally:
        member.close()
    assert r.code == 1, r.text
    assert (f"moves consumer groups that have live members: {prefix}-early (1 member); stop their consumers"
            in r.err), r.text
    assert new not in admin.list_topics(timeout=10).topics  # refused before its first step


def test_a_copy_follows_a_producer_writing_throughout_until_the_old_topic_is_idle(stack, admin, prefix, tmp_path):
    """Live traffic (docs/migrations.md): a producer keeps writing keyed records to the old topic before, during and
    after the copy's first pass; the copy (`cutover: {idle: 8s}`) follows them and cuts over only once the producer
    has stopped and the topic has had no new record for 8 s. Every record the producer had acknowledged is in the new
    topic once, per-key order holds, and each group resumes at its first unread record (the live records included)."""
    _follows_live_traffic(stack, admin, prefix, tmp_path)


@pytest.mark.cluster3
def test_on_the_3_broker_cluster_a_copy_follows_a_producer_writing_throughout(multibroker, unique, tmp_path):
    with _cluster3(multibroker, unique) as (cluster, admin, prefix):
        _follows_live_traffic(cluster, admin, prefix, tmp_path, rf=3)


@pytest.mark.parametrize("recovery", ["resume", "rollback"])
def test_a_copy_killed_while_it_follows_live_traffic_ends_exactly_before_or_after(stack, admin, prefix, tmp_path,
                                                                                 recovery):
    """Killed while it follows the producer, the copy is finished by recover --resume (it follows again until the
    topic is idle: every record once, the groups where they belong) or undone by --rollback (the old topic with every
    record written, live ones included, and its groups as they were)."""
    _follows_live_traffic(stack, admin, prefix, tmp_path, recovery=recovery)


def _follows_live_traffic(stack, admin, prefix: str, tmp_path, rf: int = 1, recovery: str | None = None) -> None:
    path, old, new = _fill(stack, admin, prefix, tmp_path, 3000, rf=rf)
    doc = _stack(stack, prefix, old, new, rf=rf)
    doc["topics"][0]["cutover"] = {"idle": "8s", "wait": "5m"}
    write_stack(path, doc)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and f"the copy then follows '{old}''s new records until it has had no new record for 8 s, at " \
        "most 300 s, then the groups move" in r.out, r.text

    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "partitioner": "murmur2_random"})
    acked = []
    sent = 0

    def write(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            producer.produce(old, key=f"key-{sent % KEYS}".encode(), value=f"live{sent}".encode(),
                             headers=[("n", str(sent).encode())],
                             on_delivery=lambda err, msg: acked.append(msg.value()) if err is None else None)
            sent += 1
            producer.poll(0)
            time.sleep(0.01)

    def new_end() -> int:
        ask = {TopicPartition(new, p): OffsetSpec.latest() for p in range(NEW_PARTITIONS)}
        try:
            return sum(f.result(10).offset for f in admin.list_offsets(ask).values())
        except Exception:  # noqa: BLE001 - not created yet
            return 0

    write(200)  # writing before the apply starts
    log = tmp_path / "apply.log"
    with log.open("w") as out:
        apply = subprocess.Popen([sys.executable, "-m", "kplan", "apply", str(path), "--auto-approve"], cwd=ROOT,
                                 env=run_env(None), stdout=out, stderr=subprocess.STDOUT)
    try:
        # still writing while the copy runs, until the copy has followed records written after its first pass began
        deadline = time.monotonic() + 240
        while new_end() < 3000 + sent - 50 or sent < 600:
            assert time.monotonic() < deadline and apply.poll() is None, "the copy did not follow the producer"
            write(20)
        if recovery is not None:
            os.kill(apply.pid, signal.SIGKILL)
        write(200)  # and some more, then the producer stops: the topic goes idle, the copy cuts over
        assert producer.flush(30) == 0
        assert recovery is not None or apply.poll() is None, "the apply cut over while the producer was still writing"
        code = apply.wait(300)
    finally:
        if apply.poll() is None:
            apply.kill()
    assert len(acked) == sent
    if recovery is None:
        assert code == 0, log.read_text()
    else:
        assert code == -9
        r = kplan("recover", str(path), f"--{recovery}", "--force", "--auto-approve")
        assert r.code == 0, r.text
    if recovery == "rollback":
        _as_before(stack, admin, prefix, old, new, 3000 + sent)
        return
    _migrated(stack, admin, prefix, old, new, 3000 + sent)
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def test_a_sink_connector_of_the_stack_stopped_then_switched_reads_the_new_topic_from_where_it_stopped(
        stack, admin, prefix, tmp_path):
    """A sink connector of the stack reading the old topic (docs/migrations.md, Connectors): stopped by one apply
    (`state: stopped`: its consumer group connect-<name> has no members, its offsets committed), then the migration
    and the connector's `topics` switched to the new topic in the next: the copy and the group moves run before the
    connector's update (the apply order), so the connector, running again, reads from the new topic exactly the records
    it had not read: every record once in its file, none twice."""
    _sink_switched(stack, admin, prefix, tmp_path)


@pytest.mark.cluster3
def test_on_the_3_broker_cluster_a_sink_connector_switched_reads_the_new_topic_from_where_it_stopped(
        multibroker, multibroker_connect, unique, tmp_path):
    """The same on the 3-broker cluster (replication factor 3) with its own Connect worker."""
    with _cluster3(multibroker, unique, multibroker_connect) as (cluster, admin, prefix):
        _sink_switched(cluster, admin, prefix, tmp_path, rf=3)


def _sink_switched(stack, admin, prefix: str, tmp_path, rf: int = 1) -> None:
    sink = f"{prefix}-sink"
    out = tmp_path / "sink.txt"
    path, old, new = _fill(stack, admin, prefix, tmp_path, 600, rf=rf)

    def doc(topic_entry: dict, topic: str, state: str) -> dict:
        d = _stack(stack, prefix, old, None)
        d["cluster"]["connect_url"] = stack.connect_url
        d["topics"] = [topic_entry]
        d["connectors"] = [{"name": sink, "class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                            "tasks_max": 1, "state": state, "config": {"file": str(out), "topics": topic,
                                       "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                                       "value.converter": "org.apache.kafka.connect.storage.StringConverter"}}]
        return d

    def lines() -> list[str]:
        return out.read_text().splitlines() if out.exists() else []

    old_entry = {"name": old, "partitions": OLD_PARTITIONS, "replication_factor": rf}
    write_stack(path, doc(old_entry, old, "running"))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    wait_for(lambda: len(lines()) >= 600, timeout=120, what="the sink's 600 lines")
    write_stack(path, doc(old_entry, old, "stopped"))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    group = f"connect-{sink}"
    wait_for(lambda: sum(o for (t, _), o in _committed(admin, group).items() if t == old) == 600, timeout=60,
             what=f"{group}'s offsets committed at the old topic's end")
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "partitioner": "murmur2_random"})
    for i in range(100):  # written while the sink is stopped: it has not read them
        producer.produce(old, key=f"key-{i % KEYS}".encode(), value=f"w{i}".encode())
    assert producer.flush(30) == 0

    write_stack(path, doc({"name": new, "partitions": NEW_PARTITIONS, "replication_factor": rf, "migrate_from": old},
                          new, "running"))
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 2 and f"{group} (committed on 12 partitions)" in r.out, r.text
    assert "still names" not in r.out, r.text  # no warning: the connector names the new topic
    assert (f"connector '{sink}' of the stack names '{new}' in its topics: apply updates it after the copy of '{old}' "
            "and the groups' moves") in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    ends = {p: o for (t, p), o in _committed(admin, group).items() if t == new}
    assert sorted(ends) == list(range(NEW_PARTITIONS))  # moved to the new topic, before the connector ran again
    want = sorted([f"v{i}" for i in range(600)] + [f"w{i}" for i in range(100)])
    wait_for(lambda: len(lines()) >= 700, timeout=120, what="the sink's 700 lines")
    last = {}  # each partition's last record + 1, what a sink commits once it has read it (transaction markers follow)
    for r in _read(stack.bootstrap_servers, new, NEW_PARTITIONS):
        last[r[0]] = r[1] + 1
    wait_for(lambda: all(_committed(admin, group).get((new, p), -1) >= o for p, o in last.items()), timeout=60,
             what=f"{group} committed past the new topic's last records")  # it has read all it will read
    assert sorted(lines()) == want  # each record once: the 600 read from the old topic, the 100 from the new
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


def test_a_reference_to_another_stacks_sink_on_the_old_topic_is_a_warning_saying_what_to_change(
        stack, admin, prefix, tmp_path):
    """The stack references a sink connector another stack owns and expects it to read the old topic
    (`references:`): kplan never changes a referenced resource, so the migration's plan warns at the reference (text
    and JSON alike) with what the connector's owner and this stack change; the connector is left as it was."""
    import json

    import requests

    path, old, new = _fill(stack, admin, prefix, tmp_path, 60)
    sink = f"{prefix}-archive"
    other = _stack(stack, f"{prefix}-other", old, None)
    other["cluster"]["connect_url"] = stack.connect_url
    other["topics"] = []
    other["connectors"] = [{"name": sink, "class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
                            "tasks_max": 1, "state": "stopped",
                            "config": {"file": str(tmp_path / "archive.txt"), "topics": old}}]
    r = kplan("apply", str(write_stack(tmp_path / "other.yaml", other)), "--auto-approve")
    assert r.code == 0, r.text
    doc = _stack(stack, prefix, old, new)
    doc["cluster"]["connect_url"] = stack.connect_url
    doc["references"] = [{"address": f"connector.{sink}", "expect": {"config": {"topics": old}}}]
    write_stack(path, doc)
    r = kplan("plan", str(path), "--detailed-exitcode")
    want = (f"the stack references connector.{sink}, expecting '{old}' in its topics ('{old}' is the topic '{new}' "
            "migrates from): kplan never changes a referenced resource, so the reference does not switch with the "
            f"migration; have the stack that owns the connector name '{new}' in its topics")
    assert r.code == 2 and f"Warning: {path}:" in r.text and want in r.text, r.text
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    (found,) = [d for d in json.loads(r.out)["diagnostics"] if d["code"] == "migration-reference-on-old-topic"]
    assert found["address"] == f"connector.{sink}" and found["message"].startswith(want), found
    assert requests.get(f"{stack.connect_url}/connectors/{sink}/config", timeout=30).json()["topics"] == old


def test_a_cutover_at_a_time_follows_until_then_and_says_what_was_written_after_it(stack, admin, prefix, tmp_path):
    """`cutover: {at: ...}`: the copy follows the producer until that time, then the groups move; the producer goes
    on writing the old topic after it (not moved, as it should have been), and apply says how many records the new
    topic does not hold. Every record up to where the copy stopped is in the new topic once."""
    import datetime

    path, old, new = _fill(stack, admin, prefix, tmp_path, 600)
    doc = _stack(stack, prefix, old, new)
    doc["topics"][0]["cutover"] = {"at": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=8)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    write_stack(path, doc)
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "partitioner": "murmur2_random"})
    log = tmp_path / "apply.log"
    with log.open("w") as out:
        apply = subprocess.Popen([sys.executable, "-m", "kplan", "apply", str(path), "--auto-approve"], cwd=ROOT,
                                 env=run_env(None), stdout=out, stderr=subprocess.STDOUT)
    sent = 0
    try:
        while apply.poll() is None:  # writing throughout, and until the apply has ended
            producer.produce(old, key=f"key-{sent % KEYS}".encode(), value=f"late{sent}".encode())
            sent += 1
            producer.poll(0)
            time.sleep(0.01)
    finally:
        assert producer.flush(30) == 0
    assert apply.wait(10) == 0, log.read_text()
    text = log.read_text()
    assert f"Warning: {old} gained " in text and f"{new} does not hold them" in text, text
    copied = _committed(admin, f"kplan-migrate-{new}")
    before = [r for r in _read(stack.bootstrap_servers, old, OLD_PARTITIONS) if r[1] < copied[(old, r[0])]]
    after = _read(stack.bootstrap_servers, new, NEW_PARTITIONS)
    assert sorted(r[2:] for r in after) == sorted(r[2:] for r in before)  # up to the cutover, each record once
    assert len(before) > 600  # it followed: records written while the apply ran were copied
    assert len(_read(stack.bootstrap_servers, old, OLD_PARTITIONS)) == 600 + sent > len(before)
