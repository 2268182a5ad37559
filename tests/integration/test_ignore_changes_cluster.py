"""`ignore_changes` on the real broker and Connect worker (issue 43): an SRE tunes a topic key and a platform
rewrites a connector key by hand; the plan says so once and changes nothing, and an apply that changes other keys
leaves both as the cluster has them (read back independently: the broker's DescribeConfigs, Connect's REST API)."""

from __future__ import annotations

import requests
import yaml
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource
from kplan_helpers import base_stack, kplan, snapshot, stack_doc, wait_for, write_stack

import localstack

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


def _located(path, needle):
    """`file:line:column` of the first `needle` in the stack file (as validate locates a value: 1-based)."""
    lines = path.read_text().splitlines()
    line = next(i for i, s in enumerate(lines) if needle in s)
    return f"{path}:{line + 1}:{lines[line].index(needle) + 1}"


def test_an_ignore_rule_no_topic_config_can_match_is_a_located_error_and_nothing_is_reverted(
        stack, admin, prefix, tmp_path):
    """Issue 56 item 6: `retention.msec` passed validate and the plan reverted the hand-tuned retention.ms."""
    path, topic, sink = _stack(stack, prefix, tmp_path)
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    _sre_tunes(admin, topic)

    doc = stack_doc(stack, prefix, [
        {"name": topic, "partitions": 1, "replication_factor": 1,
         "config": {"retention.ms": "7d", "compression.type": "zstd"},
         "ignore_changes": ["retention.msec", "segmnt.*", "compression.*"]},
        {"name": f"{prefix}.other", "partitions": 1, "replication_factor": 1},
        {"name": f"{prefix}.third", "partitions": 1, "replication_factor": 1},
    ])
    doc["defaults"] = {"topic": {"ignore_changes": ["max.message.byte"]}}  # the two topics without their own list
    bad = write_stack(tmp_path / "bad.yaml", doc)
    r = kplan("validate", str(bad))
    assert r.code == 1, r.text
    errors = [line for line in r.text.splitlines() if "ignore_changes pattern" in line]
    assert len(errors) == 3, r.text  # one line each: the topic's two, the defaults' once for both topics
    retention = next(e for e in errors if '"retention.msec"' in e)
    assert retention.startswith(_located(bad, "retention.msec") + ": "), retention
    assert 'did you mean "retention.ms"' in retention and topic in retention, retention
    glob = next(e for e in errors if '"segmnt.*"' in e)
    assert glob.startswith(_located(bad, "segmnt.*") + ": ") and "matches no topic config" in glob, glob
    default = next(e for e in errors if '"max.message.byte"' in e)
    assert default.startswith(_located(bad, "max.message.byte") + ": "), default
    assert 'did you mean "max.message.bytes"' in default and f"{prefix}.other" in default, default
    assert f"{prefix}.third" in default, default
    assert '"compression.*"' not in r.text  # a glob that matches known keys is fine

    r = kplan("apply", str(bad), "--auto-approve")
    assert r.code == 1 and '"retention.msec"' in r.text, r.text
    described = ConfigResource(ConfigResource.Type.TOPIC, topic)
    assert admin.describe_configs([described])[described].result(timeout=10)["retention.ms"].value == TWO_WEEKS

    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text


def test_a_connector_ignore_rule_that_misses_the_key_the_plan_rewrites_is_a_warning(stack, admin, prefix, tmp_path):
    """A connector's keys are open-ended (each plugin has its own): validate cannot know them, so a rule that matches
    none of the connector's keys is said by the plan that writes its config, naming the key it likely meant."""
    path, topic, sink = _stack(stack, prefix, tmp_path)
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    _platform_rewrites(stack.connect_url, sink)

    doc = yaml.safe_load(path.read_text())
    doc["connectors"][0]["ignore_changes"] = ["consumer.overide.*", "producer.override.*"]
    bad = write_stack(tmp_path / "bad.yaml", doc)
    r = kplan("validate", str(bad))
    assert r.code == 0, r.text
    r = kplan("plan", str(bad), "--detailed-exitcode")
    assert r.code == 2, r.text  # the plan writes consumer.override.max.poll.records back to 500
    warned = [line for line in r.text.splitlines() if "ignore_changes pattern" in line]
    assert len(warned) == 1, r.text  # producer.override.* names no key either, but none it resembles is written
    assert warned[0].startswith("Warning: ") and f"connector {sink!r}" in warned[0], warned[0]
    assert '"consumer.overide.*"' in warned[0] and 'did you mean "consumer.override.max.poll.records"' in warned[0]

    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text


def test_a_cdc_sources_own_connector_ignore_rule_is_a_located_error(stack, prefix, tmp_path):
    """A cdc source's connector is kplan's to configure: `defaults.connector.ignore_changes` is documented not to
    apply to it, and its own `connector: {ignore_changes: [...]}` was accepted and silently did nothing."""
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1},
                       "connector": {"ignore_changes": ["consumer.override.*"]}}  # not the source's: no error
    doc["cdc"] = [{
        "name": f"{prefix}-pg", "engine": "postgres", "topic_prefix": prefix.replace("-", "_"), "schema": "public",
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "tables": ["users"], "connector": {"ignore_changes": ["snapshot.*"]}}]
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path), env={"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD})
    assert r.code == 1, r.text
    (line,) = [s for s in r.text.splitlines() if "ignore_changes" in s]
    assert line.startswith("Error: " + _located(path, "snapshot.*").rsplit(":", 1)[0] + ":"), line
    assert "cdc source" in line and "kplan's to configure" in line, line
