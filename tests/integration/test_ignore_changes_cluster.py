"""`ignore_changes` on the real broker and Connect worker (issue 43): an SRE tunes a topic key and a platform
rewrites a connector key by hand; the plan says so once and changes nothing, and an apply that changes other keys
leaves both as the cluster has them (read back independently: the broker's DescribeConfigs, Connect's REST API)."""

from __future__ import annotations

import requests
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
from kplan_helpers import kplan, snapshot, stack_doc, wait_for, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
WEEK, TWO_WEEKS = "604800000", "1209600000"


def _stack(stack, prefix, tmp_path, *, compression="zstd", batch="500", file="sink.txt"):
    topic, sink = f"{prefix}.orders", f"{prefix}-sink"
    return write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": topic, "partitions": 1, "replication_factor": 1,
         "config": {"retention.ms": "7d", "compression.type": compression}, "ignore_changes": ["retention.*"]},
    ], [{"name": sink, "class": FILE_SINK, "tasks_max": 1, "ignore_changes": ["consumer.override.*"],
         "config": {"topics": topic, "file": str(tmp_path / file),
                    "consumer.override.max.poll.records": batch}}])), topic, sink


def _sre_tunes(admin, topic):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", TWO_WEEKS, incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([res])[res].result(timeout=20)
    # The controller has it now; the broker that answers DescribeConfigs learns it a moment later (a loaded
    # machine made that moment long enough for a plan to read the old value). The SRE's change is in the past
    # when the plan runs, so wait until the broker shows it.
    described = ConfigResource(ConfigResource.Type.TOPIC, topic)
    wait_for(lambda: admin.describe_configs([described])[described].result(timeout=10)["retention.ms"].value
             == TWO_WEEKS, 30, "the broker to show the tuned retention.ms")


def _platform_rewrites(connect_url, sink):
    url = f"{connect_url}/connectors/{sink}/config"
    config = requests.get(url, timeout=10).json()
    config["consumer.override.max.poll.records"] = "50"
    requests.put(url, json=config, timeout=10).raise_for_status()
    wait_for(lambda: requests.get(url, timeout=10).json().get("consumer.override.max.poll.records") == "50",
             30, "Connect to store the rewritten config")


def test_keys_tuned_by_hand_are_left_alone_and_said_once(stack, admin, prefix, tmp_path):
    path, topic, sink = _stack(stack, prefix, tmp_path)
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    snap = snapshot(admin, stack.connect_url, prefix)
    assert snap["topics"][topic]["overrides"]["retention.ms"] == WEEK  # created with the declared value

    _sre_tunes(admin, topic)
    _platform_rewrites(stack.connect_url, sink)
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text  # no changes: both differences are ignored
    assert "is locked" not in r.out, r.out  # the apply released its lock and waited until the broker showed it
    assert r.out.count("ignore_changes leaves") == 2, r.out
    assert f"retention.ms ({TWO_WEEKS}; declared {WEEK})" in r.out
    assert "consumer.override.max.poll.records (50; declared 500)" in r.out

    # another key of each changes: the apply writes it and leaves the ignored ones as they are on the cluster
    path, _, _ = _stack(stack, prefix, tmp_path, compression="lz4", file="sink2.txt")
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert "0 added, 2 changed, 0 destroyed" in r.out, r.out
    snap = snapshot(admin, stack.connect_url, prefix)
    assert snap["topics"][topic]["overrides"] == {"retention.ms": TWO_WEEKS, "compression.type": "lz4"}
    config = requests.get(f"{stack.connect_url}/connectors/{sink}/config", timeout=10).json()
    assert config["consumer.override.max.poll.records"] == "50" and config["file"].endswith("sink2.txt")

    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
