"""A source and a target cluster for MirrorMaker 2 tests (issue 44), and the MM2 connector configs that work on a
plain Connect worker (docs/replication-facts.md says why each key is there).

The source is the session stack's broker; the target is a second broker with a Connect worker of its own
(second_stack.py, started by the project's launcher on ports of its own). MM2's connectors run on the target's
worker: Connect's producer writes the replicated records to the worker's own cluster."""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest
import requests

MIRROR = "org.apache.kafka.connect.mirror."
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"


class MirrorPair(NamedTuple):
    source_bootstrap: str
    target_bootstrap: str
    target_connect_url: str


@pytest.fixture(scope="module")
def mirror_pair(stack, second_cluster) -> MirrorPair:
    """(source bootstrap, target bootstrap, target Connect URL): the target is this test process's second cluster
    (second_stack.SharedSecond). What the tests create on either is theirs to remove."""
    s = second_cluster.get("kafka", "connect")
    plugins = {p["class"] for p in requests.get(f"{s.connect_url}/connector-plugins", timeout=30).json()}
    missing = {MIRROR + c for c in ("MirrorSourceConnector", "MirrorCheckpointConnector",
                                    "MirrorHeartbeatConnector")} - plugins
    if missing:
        pytest.fail(f"the stack's Connect has no {', '.join(sorted(missing))}: dev/pom.xml lays out connect-mirror "
                    "(run `dev/stack up` to rebuild the jars)", pytrace=False)
    return MirrorPair(stack.bootstrap_servers, s.bootstrap, s.connect_url)


def offset_syncs_topic(target_alias: str) -> str:
    """The internal topic the source connector writes on the SOURCE cluster (offset-syncs.topic.location=source)."""
    return f"mm2-offset-syncs.{target_alias}.internal"


def connector_configs(pair: MirrorPair, source_alias: str, target_alias: str, topic_prefix: str,
                      group_prefix: str, identity: bool = False) -> dict[str, dict[str, str]]:
    """The three connectors' configs (class -> config) replicating the topics and groups named `<prefix>.*` from
    the pair's source to its target, with 1 s intervals so that a test sees offsets within seconds.

    On a plain worker, unlike the dedicated MM2 driver, nothing sets the byte-array converters: without them the
    worker's JSON converter turns every key, value and header into a base64 JSON string. The single-broker clusters
    need replication factor 1 where MM2 defaults to 2 or 3. heartbeats.replication.enabled=false: every topic
    named like `heartbeats` on the source would be replicated whatever `topics` says."""
    common = {
        "source.cluster.alias": source_alias, "target.cluster.alias": target_alias,
        "source.cluster.bootstrap.servers": pair.source_bootstrap,
        "target.cluster.bootstrap.servers": pair.target_bootstrap,
        "key.converter": BYTES, "value.converter": BYTES, "header.converter": BYTES,
        "tasks.max": "1",
    }
    if identity:
        common["replication.policy.class"] = MIRROR + "IdentityReplicationPolicy"
    topics = re.escape(topic_prefix) + r"\..*"
    return {
        MIRROR + "MirrorSourceConnector": {
            **common, "topics": topics, "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
            "sync.topic.acls.enabled": "false", "heartbeats.replication.enabled": "false",
            "refresh.topics.interval.seconds": "5", "sync.topic.configs.interval.seconds": "5"},
        MIRROR + "MirrorCheckpointConnector": {
            **common, "topics": topics, "groups": re.escape(group_prefix) + r"\..*",
            "checkpoints.topic.replication.factor": "1", "emit.checkpoints.interval.seconds": "1",
            "sync.group.offsets.enabled": "true", "sync.group.offsets.interval.seconds": "1",
            "refresh.groups.interval.seconds": "5"},
        MIRROR + "MirrorHeartbeatConnector": {**common, "heartbeats.topic.replication.factor": "1"},
    }


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """A group's committed offsets on partitions 0 and 1 of a topic (those it has), read with a plain consumer."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        got = c.committed([TopicPartition(topic, 0), TopicPartition(topic, 1)], timeout=10)
    finally:
        c.close()
    return {tp.partition: tp.offset for tp in got if tp.offset >= 0}
