"""Share groups (KIP-932, "queues for Kafka") on the real stack, with a real share consumer: the Java client's
KafkaShareConsumer (tests/integration/share_consumer/ShareReader.java, compiled once against the stack's own
kafka-clients), which joins a share group and prints every record it is delivered.

- The group's configs go through `group_configs:` (a share group's configs are GROUP config resources, as a
  consumer group's): `share.auto.offset.reset: earliest` makes the consumer, which starts at the latest offset by
  default, read every record from the start, and the brokers refuse an invalid value at plan.
- A reset request (`share_groups:`) is planned with the current and new start offset of each partition, refused in
  one line while the consumer runs, rolled back by an injected failure after its step to exactly the start offsets
  the group had (a topic it had none on cleared again), then applied: the consumer, started again, is delivered the
  records from exactly the requested offsets; the plan is then "No changes" (applied once).
- A plan deleting the topic the share group reads names the group (share group, its member, its lag) in the topic's
  consumer context and is refused without --allow-active-consumers while the consumer runs; with it, applied.
A 4.3.1 broker with share groups turned off (a broker of its own formatted with share.version 0, features_broker.py:
the session's stack never has its features changed; `serial`, as it starts a broker) refuses a stack declaring a
request with one located line naming the feature; `compat`: so does a Kafka without share groups (3.9), naming the
version.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import by_hand
import pytest
from confluent_kafka import Producer
from features_broker import share_off
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest
from kplan_helpers import base_stack, faulty_kplan, kplan, wait_for, write_stack

import localstack
from kplan.transport.share_protocol import DescribeShareGroupOffsetsRequest, ShareGroupDescribeRequest
from localstack.common import JIT  # C1 only, as the stack's JVMs: a JVM of seconds

SOURCE = Path(__file__).parent / "share_consumer" / "ShareReader.java"
CLIENT_JARS = ("kafka-clients-", "zstd-jni-", "lz4-java-", "snappy-java-", "slf4j-api-", "log4j-")
GROUP = 32  # the GROUP config resource type
GROUP_CONFIG = 8  # the config source of a group's own value


def _supported() -> bool:
    """Share groups on the stack's Kafka: the default stack's (4.3.1) and the matrix's 4.1 and newer."""
    version = os.environ.get("KPLAN_KAFKA_VERSION")
    return version is None or tuple(int(p) for p in version.split(".")[:2]) >= (4, 1)


def _classpath() -> str:
    lib = localstack.dist_dir() / "lib"
    return ":".join(sorted(str(j) for j in lib.glob("*.jar") if j.name.startswith(CLIENT_JARS)))


def _compiled() -> Path:
    """The directory holding ShareReader.class, compiled on first use (cached in the stack directory by digest)."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    out = localstack.stack_dir() / "share-reader" / digest
    if not (out / "ShareReader.class").exists():
        tmp = out.with_name(f"{digest}.{os.getpid()}.tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        subprocess.run(["javac", "-d", str(tmp), "-cp", _classpath(), str(SOURCE)], check=True, timeout=300)
        try:
            tmp.rename(out)
        except OSError:  # compiled meanwhile by another test process
            pass
    return out


class ShareReader:
    """One running share consumer: the records it was delivered, as (partition, offset, value)."""

    def __init__(self, group: str, topic: str, bootstrap: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(["java", "-Xmx256m", *JIT, "-cp", f"{_compiled()}:{_classpath()}", "ShareReader",
                                      group, topic, bootstrap], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    @property
    def records(self) -> set[tuple[int, int, str]]:
        out = set()
        for line in list(self.lines):
            if line.startswith("RECORD "):
                _, p, o, v = line.split(" ", 3)
                out.add((int(p), int(o), v))
        return out

    def wait(self, predicate, what: str, timeout: float = 90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; the share consumer said:\n" + "\n".join(self.lines[-40:]))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # it leaves the group (its shutdown hook), so the group is Empty at once
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _send(bootstrap: str, request):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        async def call():
            return await admin._manager.send(request)

        return admin._manager.run(call)
    finally:
        admin.close()


def _offsets(bootstrap: str, group: str) -> dict[tuple[str, int], tuple[int, int]]:
    """The share group's (start offset, lag) per partition, read on the wire (not kplan's reader)."""
    answer = _send(bootstrap, DescribeShareGroupOffsetsRequest(groups=[(group, None)]))
    return {(t.topic_name, p.partition_index): (p.start_offset, p.lag) for g in answer.groups for t in g.topics or ()
            for p in t.partitions or () if p.error_code == 0 and p.start_offset >= 0}


def _starts(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    return {k: start for k, (start, _) in _offsets(bootstrap, group).items()}


def _members(bootstrap: str, group: str) -> int:
    answer = _send(bootstrap, ShareGroupDescribeRequest(group_ids=[group], include_authorized_operations=False))
    return len(answer.groups[0].members or ())


def _group_configs(bootstrap: str, group: str) -> dict[str, str]:
    answer = _send(bootstrap, DescribeConfigsRequest(resources=[(GROUP, group, None)], include_synonyms=False,
                                                     min_version=1))
    return {c.name: c.value for c in answer.results[0].configs if c.config_source == GROUP_CONFIG}


def _produce(bootstrap: str, topic: str, per_partition: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for p in (0, 1):
        for i in range(per_partition):
            producer.produce(topic, value=f"p{p}-{i}".encode(), partition=p)
    assert producer.flush(30) == 0


def _stack(stack, prefix: str, topic: str | None, group: str, configs: dict | None = None,
           request: dict | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": topic, "partitions": 2, "replication_factor": 1}] if topic else []
    if configs is not None:
        doc["group_configs"] = [{"group": group, "configs": configs}]
    if request is not None:
        doc["share_groups"] = [{"name": group, "offsets": request}]
    return doc


def _journaled(state_dir: Path) -> dict:
    [path] = glob.glob(str(state_dir / "journal" / "*.json"))
    doc = json.loads(Path(path).read_text())
    return next(s for s in doc["steps"] if s["kind"] == "alter-share-group-offsets")


@pytest.fixture
def readers(stack, prefix):
    """The share consumers a test starts, stopped after it; then the test's share groups (and their configs) go."""
    started: list[ShareReader] = []
    yield started
    for r in started:
        r.stop()
    _forget_groups(stack.bootstrap_servers, prefix)


def _forget_groups(bootstrap: str, prefix: str) -> None:
    """Best effort: the share groups named under `prefix`, their configs first (Kafka keeps a name's configs)."""
    from kafka.protocol.admin import IncrementalAlterConfigsRequest

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        names = [g["group_id"] for g in admin.list_groups(types_filter=["share"]) if g["group_id"].startswith(prefix)]
        for g in names:
            left = _group_configs(bootstrap, g)
            if left:
                _send(bootstrap, IncrementalAlterConfigsRequest(
                    resources=[(GROUP, g, [(k, 1, None) for k in left])], validate_only=False))
        if names:
            admin.delete_groups(names)
    except Exception:  # noqa: BLE001 - best effort: a group in use or already gone
        pass
    finally:
        admin.close()


@pytest.mark.skipif(not _supported(), reason="share groups need Kafka 4.1 or newer")
def test_a_share_consumer_reads_from_its_group_configs_then_from_the_requested_start_offsets(
        stack, admin, prefix, tmp_path, readers):
    bootstrap = stack.bootstrap_servers
    topic, group = f"{prefix}.jobs", f"{prefix}-workers"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic, group))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(bootstrap, topic, 5)  # p0-0..4 at offsets 0..4 of partition 0, p1-0..4 of partition 1
    every = {(p, i, f"p{p}-{i}") for p in (0, 1) for i in range(5)}

    # 1. the group's configs: an invalid value is refused at plan; earliest makes the consumer read from the start
    write_stack(path, _stack(stack, prefix, topic, group, {"share.auto.offset.reset": "yesterday"}))
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1 and f"the brokers refuse the configs of group {group}" in r.out, r.text
    assert "share.auto.offset.reset" in r.out, r.out
    configs = {"share.auto.offset.reset": "earliest", "share.record.lock.duration.ms": 15000}
    write_stack(path, _stack(stack, prefix, topic, group, configs))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _group_configs(bootstrap, group) == {"share.auto.offset.reset": "earliest",
                                                "share.record.lock.duration.ms": "15000"}
    reader = ShareReader(group, topic, bootstrap)
    readers.append(reader)
    reader.wait(lambda: reader.records == every, "all 10 records delivered from the start (earliest)")
    # every record acknowledged: no lag (the start offset the brokers keep may stay behind the acknowledged records
    # until more are delivered; the lag counts what is not acknowledged)
    wait_for(lambda: sorted(_offsets(bootstrap, group)) == [(topic, 0), (topic, 1)] and
             all(lag == 0 for _, lag in _offsets(bootstrap, group).values()), 60, "every record acknowledged")
    had = _starts(bootstrap, group)

    # 2. a reset request: planned with each partition's current and new start offset, and the live member warned
    request = {"request": "replay-1", "reset": [{"topic": topic, "partition": 0, "offset": 3},
                                                {"topic": topic, "partition": 1, "offset": 1}]}
    write_stack(path, _stack(stack, prefix, topic, group, configs, request))
    r = kplan("plan", str(path), "--detailed-exitcode", "--no-color")
    assert r.code == 2, r.text
    assert f"# share_group.{group} will be updated in place (share group request not applied yet)" in r.out, r.out
    for partition, target in ((0, 3), (1, 1)):
        line = f'offsets["{topic}/{partition}"] = {had[(topic, partition)]} -> {target}  # moved to the requested'
        assert line in r.out, r.out
    assert f"share group '{group}' has 1 live member (state Stable)" in r.out, r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    [change] = [c for c in doc["resource_changes"] if c["type"] == "share_group"]
    assert change["planned"]["offsets"] == [{"topic": topic, "partition": 0, "offset": 3},
                                            {"topic": topic, "partition": 1, "offset": 1}]

    # ... refused, in one line, while the consumer runs: nothing changes
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    [line] = [x for x in r.err.splitlines() if "live member" in x]
    assert f"share group {group} has 1 live member" in line and "stop its consumers" in line, line
    assert _starts(bootstrap, group) == had

    # 3. the topic the share group reads, deleted by a plan while the consumer runs: named and refused
    write_stack(path, _stack(stack, prefix, None, group, configs))
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1, r.text
    assert (f"Error: topic.{topic}: deleting the topic breaks consumer groups with live members: {group} "
            "(share group, Stable, 1 member, lag 0); stop them first, or, to do it anyway, pass "
            "--allow-active-consumers" in r.out), r.out
    assert f"#     {group}: Stable, 1 member (share group), lag 0 messages" in r.out, r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    [context] = [c["consumers"] for c in doc["resource_changes"] if c["address"] == f"topic.{topic}"]
    [g] = context["groups"]
    assert (g["group"], g["state"], g["members"], g["lag"], g["protocol"], sorted(g["assigned"])) == (
        group, "Stable", 1, 0, "share", [0, 1]), g
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "nothing was applied" in r.err, r.text
    assert topic in admin.list_topics(timeout=20).topics

    # 4. the consumer stops: the group is Empty. A failure after the step rolls back to exactly the offsets before
    reader.stop()
    wait_for(lambda: _members(bootstrap, group) == 0, 60, f"share group {group} without members")
    write_stack(path, _stack(stack, prefix, topic, group, configs, request))
    state = tmp_path / "state"
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:1", env={"KPLAN_STATE_DIR": str(state)})
    assert r.code == 1 and "injected failure after step 1" in r.text, r.text
    entry = _journaled(state)
    assert entry["outcome"]["offsets"] == [{"topic": t, "partition": p, "offset": o}
                                           for (t, p), o in sorted(had.items())], entry
    assert entry["status"] == "undone", entry
    assert _starts(bootstrap, group) == had

    # 5. applied: the consumer, started again, is delivered the records from exactly the requested offsets
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"move 2 start offset(s) of share group {group} (request replay-1) ... done" in r.out, r.out
    assert _starts(bootstrap, group) == {(topic, 0): 3, (topic, 1): 1}
    again = ShareReader(group, topic, bootstrap)
    readers.append(again)
    want = {(0, 3, "p0-3"), (0, 4, "p0-4")} | {(1, i, f"p1-{i}") for i in range(1, 5)}
    again.wait(lambda: again.records == want, "the records from the requested start offsets")
    time.sleep(2)
    assert again.records == want  # nothing before them
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text  # the token is recorded: applied once

    # 6. the run's explicit allowance deletes the topic while the share consumer still reads it
    again.wait(lambda: _members(bootstrap, group) == 1, "the share consumer a member again")
    write_stack(path, _stack(stack, prefix, None, group, configs))
    r = kplan("apply", str(path), "--auto-approve", "--allow-active-consumers", "--no-color")
    assert r.code == 0, r.text
    assert f"{group} (share group, Stable, 1 member" in r.out and "(allowed by --allow-active-consumers)" in r.out
    wait_for(lambda: topic not in admin.list_topics(timeout=20).topics, 60, f"{topic} deleted")


@pytest.mark.skipif(not _supported(), reason="share groups need Kafka 4.1 or newer")
def test_a_rollback_clears_the_start_offsets_of_a_topic_the_share_group_had_none_on(stack, prefix, tmp_path, readers):
    """A reset on a topic the group never read: a failure after the step leaves the group without start offsets
    there again (DeleteShareGroupOffsets), so its consumers would start by its share.auto.offset.reset as before."""
    bootstrap = stack.bootstrap_servers
    topic, group = f"{prefix}.jobs", f"{prefix}-fresh"
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, topic, group))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce(bootstrap, topic, 4)
    request = {"request": "r1", "reset": "latest", "topics": [topic]}
    write_stack(path, _stack(stack, prefix, topic, group, request=request))
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 0 and f'+ offsets["{topic}/0"] = 4  # no start offset yet' in r.out, r.text
    assert f"it had no start offsets on {topic}: a rollback removes those it set there" in r.out, r.out
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:1",
                     env={"KPLAN_STATE_DIR": str(tmp_path / "state")})
    assert r.code == 1 and "injected failure after step 1" in r.text, r.text
    assert _starts(bootstrap, group) == {}
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _starts(bootstrap, group) == {(topic, 0): 4, (topic, 1): 4}


def _one_partition(stack, prefix: str, topic: str, group: str, request: dict | None = None) -> dict:
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": topic, "partitions": 1, "replication_factor": 1}]
    if request is not None:
        doc["share_groups"] = [{"name": group, "offsets": request}]
    return doc


def _produce_one(bootstrap: str, topic: str, values: range) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in values:
        producer.produce(topic, value=f"v{i}".encode(), partition=0)
    assert producer.flush(30) == 0


@pytest.mark.skipif(not _supported(), reason="share groups need Kafka 4.1 or newer")
def test_a_new_token_replays_though_kafka_shows_the_start_offset_at_the_target(stack, prefix, tmp_path, readers):
    """Issue 56, item 3: a share consumer acknowledged every record after a reset to earliest, and Kafka still shows
    the start offset 0. A new token with the same reset must send the alter (which drops the acknowledged state, so
    the records are delivered again), not plan "No changes" and record the token with nothing sent. On the way, what
    docs/share-groups.md says of a rollback: putting back the start offset Kafka showed (0) delivers again what was
    acknowledged after it."""
    bootstrap = stack.bootstrap_servers
    topic, group = f"{prefix}.jobs", f"{prefix}-replay"
    path = write_stack(tmp_path / "s.yaml", _one_partition(stack, prefix, topic, group))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce_one(bootstrap, topic, range(10))
    every = {(0, i, f"v{i}") for i in range(10)}
    write_stack(path, _one_partition(stack, prefix, topic, group, {"request": "r1", "reset": "earliest",
                                                                   "topics": [topic]}))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    reader = ShareReader(group, topic, bootstrap)
    readers.append(reader)
    reader.wait(lambda: reader.records == every, "all 10 records delivered from the start offset 0")
    wait_for(lambda: [lag for _, lag in _offsets(bootstrap, group).values()] == [0], 60, "every record acknowledged")
    reader.stop()
    wait_for(lambda: _members(bootstrap, group) == 0, 60, f"share group {group} without members")
    assert _starts(bootstrap, group) == {(topic, 0): 0}  # Kafka shows the start offset at the target still

    # a request to 5 rolled back: the start offset 0 is put back, and the 10 records are delivered again
    write_stack(path, _one_partition(stack, prefix, topic, group, {"request": "r2", "reset": [
        {"topic": topic, "partition": 0, "offset": 5}]}))
    r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:1",
                     env={"KPLAN_STATE_DIR": str(tmp_path / "state")})
    assert r.code == 1 and "injected failure after step 1" in r.text, r.text
    assert _starts(bootstrap, group) == {(topic, 0): 0}
    rolled = ShareReader(group, topic, bootstrap)
    readers.append(rolled)
    rolled.wait(lambda: rolled.records == every, "all 10 records delivered again after the rollback")
    wait_for(lambda: [lag for _, lag in _offsets(bootstrap, group).values()] == [0], 60, "every record acknowledged")
    rolled.stop()
    wait_for(lambda: _members(bootstrap, group) == 0, 60, f"share group {group} without members")
    assert _starts(bootstrap, group) == {(topic, 0): 0}

    write_stack(path, _one_partition(stack, prefix, topic, group, {"request": "r3", "reset": "earliest",
                                                                   "topics": [topic]}))
    r = kplan("plan", str(path), "--detailed-exitcode", "--no-color")
    assert r.code == 2, r.text
    assert f'~ offsets["{topic}/0"] = 0 -> 0  # set again: records acknowledged after it are delivered again' in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert f"move 1 start offset(s) of share group {group} (request r3) ... done" in r.out, r.out
    again = ShareReader(group, topic, bootstrap)
    readers.append(again)
    again.wait(lambda: again.records == every, "all 10 records delivered again")


@pytest.mark.skipif(not _supported(), reason="share groups need Kafka 4.1 or newer")
def test_a_saved_plan_sets_the_start_offsets_it_resolved_though_records_arrived_since(stack, prefix, tmp_path,
                                                                                      readers):
    """Issue 56, item 4: `plan -out` resolves `latest` to 10; five records arrive; `apply PLANFILE` sets the reviewed
    10 (a fresh plan resolves 15) instead of refusing the whole plan."""
    bootstrap = stack.bootstrap_servers
    topic, group = f"{prefix}.jobs", f"{prefix}-saved"
    path = write_stack(tmp_path / "s.yaml", _one_partition(stack, prefix, topic, group))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    _produce_one(bootstrap, topic, range(10))
    write_stack(path, _one_partition(stack, prefix, topic, group, {"request": "r1", "reset": "latest",
                                                                   "topics": [topic]}))
    planfile = tmp_path / "p.plan"
    r = kplan("plan", str(path), "-out", str(planfile), "--no-color")
    assert r.code == 0 and f'+ offsets["{topic}/0"] = 10  # no start offset yet' in r.out, r.text
    _produce_one(bootstrap, topic, range(10, 15))
    r = kplan("apply", str(planfile), "--auto-approve")
    assert r.code == 0, r.text
    assert _starts(bootstrap, group) == {(topic, 0): 10}
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


@pytest.mark.compat
def test_share_group_requests_on_this_kafka(stack, admin, prefix, tmp_path):
    """Where the cluster has share groups (4.1+ with share.version 1: the default stack, the matrix's 4.4.0) a request
    is planned; where it has none (3.9: `make matrix`) it is refused in one located line, nothing planned."""
    from confluent_kafka.admin import NewTopic

    topic = f"{prefix}.t"
    by_hand.create_topics(admin, [NewTopic(topic, 1, 1)])  # listed: the plan reads the request's topic
    path = write_stack(tmp_path / "s.yaml", base_stack(prefix, stack) | {
        "share_groups": [{"name": f"{prefix}-g", "offsets": {"request": "r1", "reset": "earliest",
                                                              "topics": [topic]}}]})
    r = kplan("plan", str(path), "--no-color")
    if _supported():
        assert r.code == 0 and "share group requests" not in r.text, r.text
        assert f"share_group.{prefix}-g" in r.out and "Plan: 1 to add" in r.out, r.out
        return
    assert r.code == 1, r.text
    [line] = [x for x in r.out.splitlines() if "share group requests" in x]
    assert re.search(rf"s\.yaml:\d+:\d+: share_group\.{prefix}-g: the stack declares share group requests, but "
                     r"the cluster has no share groups \(KIP-932: Kafka 4\.1 or newer", line), line


@pytest.mark.serial
@pytest.mark.skipif(not _supported(), reason="share.version is a feature of Kafka 4.1 and newer")
def test_share_group_requests_are_refused_in_one_line_while_share_version_is_0(features_cluster, prefix, tmp_path):
    """On the broker of its own formatted with share.version 0 (features_broker.py): the session's stack keeps its
    features, so that the tests running beside this one see share groups on."""
    share_off(features_cluster.bootstrap)  # where test_features.py left it on
    path = write_stack(tmp_path / "s.yaml", {
        "stack": prefix, "cluster": {"bootstrap_servers": features_cluster.bootstrap, "timeout": "20s"},
        "share_groups": [{"name": f"{prefix}-g", "offsets": {"request": "r1", "reset": "earliest",
                                                              "topics": ["t"]}}]})
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1, r.text
    lines = [x for x in r.out.splitlines() if "share group requests" in x]
    assert len(lines) == 1, r.text
    [line] = lines
    assert re.search(rf"s\.yaml:\d+:\d+: share_group\.{prefix}-g: the stack declares share group requests, but "
                     r"share groups are not enabled on the cluster \(feature share\.version is 0\): enable them with "
                     r"kafka-features\.sh upgrade --feature share\.version=1", line), line
