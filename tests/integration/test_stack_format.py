"""The stack format against the real broker and Connect worker: the most specific authoritative_config wins,
connector class aliases, template directories on every command, removed topic configs, and the largest values
the schema accepts."""

from __future__ import annotations

import json

import requests
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ConfigSource
from kplan_helpers import kplan, stack_doc, write_stack


def _overrides(admin, topic: str) -> dict[str, str]:
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([res])[res].result(30)
    return {k: e.value for k, e in entries.items() if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}


def _attributes(plan_json: str, address: str) -> dict[tuple, dict]:
    change = next(c for c in json.loads(plan_json)["resource_changes"] if c["address"] == address)
    return {tuple(a["path"]): a for a in change["attributes"]}


def test_a_topics_own_authoritative_false_wins_over_the_stack(stack, admin, prefix, tmp_path):
    t = f"{prefix}.keep"
    doc = stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1,
                                     "config": {"retention.ms": "1d"}}])
    path = write_stack(tmp_path / "s.yaml", doc)
    assert kplan("apply", str(path), "--auto-approve").code == 0
    res = ConfigResource(ConfigResource.Type.TOPIC, t, incremental_configs=[
        ConfigEntry("max.message.bytes", "2097152", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([res])[res].result(30)  # an override set by hand, not in the stack

    # Stack-wide authoritative, the topic says nothing: the override is planned for removal (the control).
    write_stack(path, {**doc, "authoritative_config": True})
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    assert _attributes(r.out, f"topic.{t}")[("config", "max.message.bytes")]["kind"] == "remove"

    # The topic's own false wins: drift, left alone, by plan and by apply.
    doc["topics"][0]["authoritative_config"] = False
    write_stack(path, {**doc, "authoritative_config": True})
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    attr = _attributes(r.out, f"topic.{t}")[("config", "max.message.bytes")]
    assert (attr["kind"], attr["changed"], attr["note"]) == ("drift", False, "override not declared; left alone")
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert "No changes to apply." in r.out
    assert _overrides(admin, t) == {"retention.ms": "86400000", "max.message.bytes": "2097152"}


def test_a_connector_class_alias_plans_applies_and_then_matches(stack, admin, prefix, tmp_path):
    t = f"{prefix}.in"
    doc = stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}], [
        {"name": f"{prefix}-sink", "class": "FileStreamSink",
         "config": {"topics": t, "file": str(tmp_path / "out.txt")}}])
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    stored = requests.get(f"{stack.connect_url}/connectors/{prefix}-sink/config", timeout=30).json()
    assert stored["connector.class"] == "FileStreamSink"  # Connect stores what was written
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes." in r.out
