"""The groups' positions a destroy's consumer guard and a delete-records plan read, batched (issue 69): every consumer
group's committed offsets in one OffsetFetch per coordinator and every share group's description in one
ShareGroupDescribe per coordinator, after one FindCoordinator (the local stack has one broker, so one of each however
many groups the cluster holds; a share group's start offsets still one request a group), counted by the request budget's
counter (tests/integration/counting_kplan.py) on a real `kplan plan --destroy`; and a group kplan's principal may
not describe still stops the guard with the line it gave before."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import by_hand
import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from kplan_helpers import ROOT, base_stack, forget_stack, kplan, run_env, scram_principal, wait_for, write_stack

pytestmark = [pytest.mark.integration]

COUNTER = Path(__file__).with_name("counting_kplan.py")
GROUPS, SHARES, RECORDS = 12, 3, 20


def _commit(admin, group: str, topic: str, offsets: dict[int, int]) -> None:
    admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, p, o) for p, o in offsets.items()])])[group].result(30)


def _share_starts(stack, group: str, topic: str, offset: int) -> None:
    """Start offsets for a new share group (AlterShareGroupOffsets makes it), through kplan's own client."""
    from kplan.kinds.group_request.io import alter_share
    from kplan.transport.wire.client import Client
    from kplan.transport.wire.connection import settings_of

    with Client(settings_of({"bootstrap.servers": stack.bootstrap_servers}, 20)) as client:
        alter_share(client, group, [(topic, 0, offset), (topic, 1, offset)])


def _counted(tmp_path: Path, *args: str) -> tuple[int, str, dict]:
    out = tmp_path / "counts.json"
    r = subprocess.run([sys.executable, str(COUNTER), "--out", str(out), "--", *args], capture_output=True,
                       text=True, env=run_env(None), cwd=ROOT, timeout=300)
    return r.returncode, r.stdout + r.stderr, json.loads(out.read_text())["counts"]


def test_a_destroy_reads_every_groups_positions_in_one_request_per_coordinator(stack, admin, prefix, tmp_path):
    topic = f"{prefix}.orders"
    doc = base_stack(prefix, stack)
    doc["topics"] = [{"name": topic, "partitions": 2, "replication_factor": 1}]
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    for i in range(RECORDS):
        producer.produce(topic, value=b"r", partition=0)
        producer.produce(topic, value=b"r", partition=1)
    assert producer.flush(30) == 0
    groups = [f"{prefix}-g{i:02d}" for i in range(GROUPS)]
    shares = [f"{prefix}-s{i}" for i in range(SHARES)]
    for i, group in enumerate(groups):
        _commit(admin, group, topic, {0: 0, 1: i})
    for share in shares:
        _share_starts(stack, share, topic, 0)

    code, text, counts = _counted(tmp_path, "plan", str(path), "--destroy", "--format", "json")
    assert code == 0, text
    plan = json.loads(text[text.index("{"):])
    [change] = [c for c in plan["resource_changes"] if c["address"] == f"topic.{topic}"]
    shown = {g["group"]: g for g in change["consumers"]["groups"]}
    assert sorted(shown) == sorted(groups + shares), change["consumers"]
    assert [shown[g]["lag"] for g in groups] == [2 * RECORDS - i for i in range(GROUPS)], shown
    assert [shown[s]["protocol"] for s in shares] == ["share"] * SHARES, shown
    assert "kafka list_consumer_group_offsets" not in counts["kplan.cluster.consumers:read_consumers"], counts
    reads = counts.get("kplan.cluster.consumers:group_offsets", {})
    assert (reads.get("wire FindCoordinator"), reads.get("wire OffsetFetch")) == (1, 1), counts
    share_reads = counts["kplan.cluster.consumers:_share_positions"]
    assert (share_reads["wire FindCoordinator"], share_reads["wire ShareGroupDescribe"]) == (1, 1), counts
    # one DescribeShareGroupOffsets a group (kplan.transport.share_groups.start_offsets_of: Kafka 4.3.1 answers a
    # request for several groups ~2 s late)
    assert share_reads["wire DescribeShareGroupOffsets"] >= SHARES, counts
    assert "kplan.cluster.consumers:share_reader" not in counts, counts


def test_a_group_the_principal_may_not_describe_stops_the_guard_as_before(stack, secured, admin, unique, tmp_path):
    """With DESCRIBE on the cluster every group is listed; one the principal may not describe answers
    GROUP_AUTHORIZATION_FAILED (its coordinator's lookup refused) and the guard does not run, in the same line."""
    from confluent_kafka import admin as kafka_admin

    from kplan.transport.kafka import dispose

    user, password = unique("guard-watcher"), "guard-watcher-pw-1"
    topic, hidden = f"{user}.t", f"{user}-hidden"
    super_admin = kafka_admin.AdminClient(secured.kafka_config())
    env = "KPLAN_TEST_KAFKA_PASSWORD"
    try:
        with scram_principal(secured, super_admin, user, password):
            k = kafka_admin
            allow = [(k.ResourceType.TOPIC, topic, k.ResourcePatternType.LITERAL, k.AclOperation.ALL),
                     (k.ResourceType.TOPIC, "__kplan", k.ResourcePatternType.PREFIXED, k.AclOperation.ALL),
                     (k.ResourceType.BROKER, "kafka-cluster", k.ResourcePatternType.LITERAL, k.AclOperation.DESCRIBE)]
            by_hand.create_acls(super_admin, [k.AclBinding(kind, name, pattern, f"User:{user}", "*", op,
                                                           k.AclPermissionType.ALLOW)
                                              for kind, name, pattern, op in allow])

            def stack_of(who: str) -> Path:
                return write_stack(tmp_path / f"{who}.yaml", {"stack": user, "cluster": {
                    "bootstrap_servers": secured.bootstrap_servers, "timeout": "10s", "client": {
                        "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": who,
                        "sasl.password": "${secret:env:%s}" % env, "ssl.ca.location": secured.ca_file}},
                    "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}]})

            r = kplan("apply", str(stack_of(secured.admin_user)), "--auto-approve", env={env: secured.admin_password})
            assert r.code == 0, r.text
            _commit(super_admin, hidden, topic, {0: 0})
            path = stack_of(user)
            # librdkafka's call named no group ("LISTCONSUMERGROUPOFFSETS worker coordinator request failed: ..."),
            # the batched read names it
            said = re.compile(r"Warning: the consumer groups could not be read: .*Broker: Group authorization failed; "
                              "the plan shows no consumer groups and the consumer guard did not run")
            runs = []

            def planned():
                runs.append(kplan("plan", str(path), "--destroy", "--no-color", env={env: password}))
                assert "Traceback" not in runs[-1].text and password not in runs[-1].text, runs[-1].text
                return said.search(runs[-1].out) is not None

            wait_for(lambda: planned() or len(runs) >= 10, 60, "the plan's line")
            assert runs[-1].code == 0 and said.search(runs[-1].out), runs[-1].text
    finally:
        for f in super_admin.delete_consumer_groups([hidden]).values():
            f.exception(30)
        for f in super_admin.delete_topics([topic]).values():
            f.exception(30)
        forget_stack(admin, stack.bootstrap_servers, user)
        dispose(super_admin)
