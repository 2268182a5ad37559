"""Kafka's retriable errors on the real 3-broker cluster (issue 67, item 3): right after `share.version` is enabled,
the first plan of a stack with a share group used to fail with "has no coordinator for group ... yet
(COORDINATOR_NOT_AVAILABLE)". kplan's own Kafka client now asks again, within the stack's timeout, while Kafka
answers an error it marks retriable (kplan.transport.wire.client).

- The feature is turned off and on again (put back as it was after the test), and the plan that follows at once
  succeeds.
- A coordinator that moved (NOT_COORDINATOR: the group's request sent to a broker that is not its coordinator, as
  after a leader change of the group's `__consumer_offsets` partition) is looked up again and the request asked
  again: the deterministic form of the same retry against the real brokers (the plan's failure needs a cluster whose
  group coordinator is not up yet: on the local 3-broker cluster, only its first group lookup ever, which makes
  `__consumer_offsets`). A broker that goes on answering it is reported past the budget, naming the error.
- kplan's table of Kafka's retriable errors (kplan.transport.retry.KAFKA_RETRIABLE) is the stack's kafka-clients'.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from kafka.admin import KafkaAdminClient
from kplan_helpers import kplan, wait_for, write_stack

import localstack
from kplan.model.desired import ClusterSpec
from kplan.transport.kafka import dispose
from kplan.transport.retry import KAFKA_RETRIABLE
from kplan.transport.share_groups import describe
from kplan.transport.share_protocol import ShareGroupDescribeRequest
from kplan.transport.wire.client import open_client
from kplan.transport.wire.codec import Transient

TIMEOUT = "30s"


def _level(admin: KafkaAdminClient) -> int:
    return ((admin.describe_features().get("share.version") or {}).get("finalized") or (0, 0))[1]


def _set(admin: KafkaAdminClient, level: int) -> None:
    """share.version to `level`, waited for until a broker shows it (the controller answers first)."""
    how = "UPGRADE" if level > _level(admin) else "SAFE_DOWNGRADE"
    assert admin.update_features({"share.version": (how, level)}) == {"share.version": "OK"}
    wait_for(lambda: _level(admin) == level, 30, f"share.version {level}")


@pytest.fixture
def features(multibroker):
    """An admin client of the 3-broker cluster; share.version put back to its level before the test after it."""
    admin = KafkaAdminClient(bootstrap_servers=multibroker.BOOTSTRAP)
    before = _level(admin)
    try:
        yield admin
    finally:
        if _level(admin) != before:
            _set(admin, before)
        admin.close()


@pytest.mark.serial
@pytest.mark.cluster3
def test_the_first_plan_right_after_share_version_is_enabled_succeeds(multibroker, features, unique, tmp_path,
                                                                      monkeypatch):
    from confluent_kafka.admin import AdminClient, NewTopic

    # kplan started cold (its own `python -m kplan`): the test process's first warm run waits at most 30 s for the
    # zygote to import everything and fork, which a loaded machine exceeded (kplan_zygote.py)
    monkeypatch.setenv("KPLAN_TEST_COLD", "1")

    name = unique("sharefresh")
    topic = f"{name}.jobs"
    admin = AdminClient({"bootstrap.servers": multibroker.BOOTSTRAP})
    try:
        admin.create_topics([NewTopic(topic, 3, 3)])[topic].result(30)
        wait_for(lambda: topic in admin.list_topics(timeout=10).topics, 30, f"topic {topic}")
        path = write_stack(tmp_path / "s.yaml", {
            "stack": name, "cluster": {"bootstrap_servers": multibroker.BOOTSTRAP, "timeout": TIMEOUT},
            "share_groups": [{"name": f"{name}-g", "offsets": {"request": "r1", "reset": "earliest",
                                                                "topics": [topic]}}]})
        if _level(features) >= 1:
            _set(features, 0)
        _set(features, 1)
        r = kplan("plan", str(path), "--no-color")  # at once: nothing waits for the group coordinator
        assert r.code == 0, r.text
        assert f"share_group.{name}-g" in r.out and "Plan: 1 to add" in r.out, r.out
    finally:
        admin.delete_topics([topic])[topic].result(30)
        dispose(admin)


@pytest.mark.serial
@pytest.mark.cluster3
def test_a_group_request_sent_to_a_broker_that_is_not_its_coordinator_finds_the_coordinator_again(multibroker,
                                                                                                   unique):
    group = unique("moved")
    cluster = ClusterSpec(bootstrap_servers=multibroker.BOOTSTRAP, timeout_s=30.0)
    with open_client(cluster) as client:
        paused: list[float] = []
        client.sleep = lambda s: (paused.append(s), time.sleep(s))
        assert describe(client, group) == ("Dead", 0, {})  # finds the coordinator: every later request goes there
        paused.clear()  # on a new cluster the first group request may wait for __consumer_offsets to be made and led
        [coordinator] = set(client._coordinators.values())
        other = next(b for b in client.brokers() if b != coordinator)
        client._coordinators[group] = other  # as if the coordinator had moved to `coordinator` since
        assert describe(client, group) == ("Dead", 0, {})
        assert client._coordinators[group] == coordinator and len(paused) == 1


@pytest.mark.serial
@pytest.mark.cluster3
def test_a_broker_that_goes_on_answering_a_retriable_error_is_reported_past_the_budget(multibroker, unique):
    group = unique("notthere")
    cluster = ClusterSpec(bootstrap_servers=multibroker.BOOTSTRAP, timeout_s=30.0)
    with open_client(cluster) as client:
        client.budget = lambda: 2.0
        paused: list[float] = []
        client.sleep = lambda s: (paused.append(s), time.sleep(s))
        describe(client, group)
        [coordinator] = set(client._coordinators.values())
        other = next(b for b in client.brokers() if b != coordinator)
        started = time.monotonic()
        with pytest.raises(Transient) as raised:  # sent to that broker, whatever the answer: never rerouted
            client.send(ShareGroupDescribeRequest(group_ids=[group], include_authorized_operations=False), other)
        took = time.monotonic() - started
        where = "%s:%s" % client._where[other]
    assert str(raised.value) == (f"kplan's ShareGroupDescribe request: still failing after 2s of retries: Kafka at "
                                 f"{where} answered NOT_COORDINATOR")
    # asked again after growing pauses (0.1-0.2 s, doubling), given up before a pause would pass the budget
    assert len(paused) >= 3 and sum(paused) <= 2.0 and paused == sorted(paused), paused
    assert sum(paused) <= took < 2.0 + 5.0, took  # the budget, and the last answer's time


def test_kplans_table_of_retriable_errors_is_the_stacks_kafka_clients(stack, tmp_path):
    """Kafka's protocol error table: an error is retriable when its exception extends RetriableException."""
    source = tmp_path / "Retriable.java"
    source.write_text(
        "import org.apache.kafka.common.protocol.Errors;\n"
        "import org.apache.kafka.common.errors.RetriableException;\n"
        "public class Retriable { public static void main(String[] a) { for (Errors e : Errors.values())\n"
        "  if (e.exception() instanceof RetriableException) System.out.println(e.code() + \" \" + e.name()); } }\n")
    [jar] = (localstack.dist_dir() / "lib").glob("kafka-clients-*.jar")
    subprocess.run(["javac", "-cp", str(jar), "-d", str(tmp_path), str(source)], check=True, timeout=300)
    out = subprocess.run(["java", "-cp", f"{tmp_path}:{localstack.dist_dir() / 'lib'}/*", "Retriable"],
                         check=True, timeout=120, capture_output=True, text=True).stdout
    assert dict((int(c), n) for c, n in (line.split() for line in out.splitlines())) == KAFKA_RETRIABLE
