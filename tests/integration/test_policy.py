"""Policy rules against the real broker: a warning-level violation is shown in the plan (text and Markdown, located
at the topic) and does not stop the apply; an error-level one fails `validate`, `plan` and `apply`, and the cluster
is left as it was."""

from __future__ import annotations

import json

from confluent_kafka.admin import ConfigResource
from kplan_helpers import kplan, stack_doc, write_stack

POLICY = """rules:
  - rule: topic-partitions
    max: 4
    message: ask the platform team for more
  - rule: topic-min-insync-replicas
    min: 2
    severity: warning
"""


def _partitions(admin, name: str) -> int:
    return len(admin.list_topics(name, timeout=20).topics[name].partitions)


def test_plan_shows_a_warning_and_refuses_an_error_level_violation(stack, admin, prefix, tmp_path):
    (tmp_path / "platform.yaml").write_text(POLICY)
    topic = f"{prefix}.orders"

    def write(partitions: int):
        doc = stack_doc(stack, prefix, [{"name": topic, "partitions": partitions, "replication_factor": 1}])
        doc["policy"] = {"files": ["platform.yaml"]}
        return write_stack(tmp_path / "s.yaml", doc)

    path = write(2)
    warning = (f"s.yaml:7:3: topic.{topic}.config.min.insync.replicas: min.insync.replicas is not set (Kafka's "
               "default is 1), less than the minimum of 2 (policy rule topic-min-insync-replicas at ")
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 0, r.text
    assert f"Warning: {tmp_path}/{warning}{tmp_path}/platform.yaml:5)" in r.out, r.out
    r = kplan("plan", str(path), "--format", "markdown")
    assert r.code == 0, r.text
    assert f"**Warning:** {tmp_path}/{warning}{tmp_path}/platform.yaml:5)" in r.out, r.out
    doc = json.loads(kplan("plan", str(path), "--format", "json").out)
    assert doc["summary"]["warnings"] == 1 and doc["summary"]["errors"] == 0
    assert [d["code"] for d in doc["diagnostics"]] == ["policy:topic-min-insync-replicas"]
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _partitions(admin, topic) == 2

    path = write(8)
    error = (f"{tmp_path}/s.yaml:7:3: topic.{topic}.partitions: partitions is 8, more than the maximum of 4; ask the "
             f"platform team for more (policy rule topic-partitions at {tmp_path}/platform.yaml:2)")
    r = kplan("validate", str(path))
    assert r.code == 1 and error in r.out, r.text
    r = kplan("plan", str(path), "--no-color")
    assert r.code == 1
    assert f"Error: {error}" in r.out and "Plan failed: 1 error; nothing can be applied." in r.out, r.out
    r = kplan("plan", str(path), "--format", "markdown")
    assert r.code == 1 and f"**Error:** {error}" in r.out, r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    assert _partitions(admin, topic) == 2  # nothing applied
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    assert "min.insync.replicas" in admin.describe_configs([res])[res].result(30)


def test_a_forbidden_value_no_topic_config_can_have_is_a_located_error_and_nothing_is_created(
        stack, admin, prefix, tmp_path):
    """`values: [ture]` forbade nothing: a topic with unclean leader elections on was created despite the rule."""
    (tmp_path / "platform.yaml").write_text("rules:\n"
                                            "  - rule: topic-forbidden-config\n"
                                            "    keys: [unclean.leader.election.enable]\n"
                                            "    values: [ture]\n")
    topic = f"{prefix}.orders"
    doc = stack_doc(stack, prefix, [{"name": topic, "partitions": 1, "replication_factor": 1,
                                     "config": {"unclean.leader.election.enable": True}}])
    doc["policy"] = {"files": ["platform.yaml"]}
    path = write_stack(tmp_path / "s.yaml", doc)
    r = kplan("apply", str(path), "--auto-approve", "--no-color")
    assert r.code == 1, r.text
    (line,) = [s for s in r.text.splitlines() if "ture" in s]
    assert f"{tmp_path}/platform.yaml:4:14: " in line and "must be true or false" in line, line
    assert topic not in admin.list_topics(timeout=20).topics
