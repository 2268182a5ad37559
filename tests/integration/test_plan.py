"""`kplan plan` against the real broker and Connect worker: exactness, plan-time validation, secrets."""

from __future__ import annotations

import json

import pytest
import requests
from by_hand import create_topics, set_topic_configs
from confluent_kafka.admin import NewTopic
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"




def test_resources_created_out_of_band_to_match_exactly_plan_no_changes(stack, admin, prefix, tmp_path):
    t = f"{prefix}.events"
    topic_config = {"retention.ms": "86400000", "compression.type": "lz4"}
    create_topics(admin, [NewTopic(t, 3, 1, config=topic_config)])
    (tmp_path / "in.txt").touch()
    cfg = {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": str(tmp_path / "in.txt"), "topic": t}
    conn = f"{prefix}-src"
    assert requests.put(f"{stack.connect_url}/connectors/{conn}/config", json=cfg, timeout=30).status_code == 201
    wait_for(lambda: requests.get(f"{stack.connect_url}/connectors/{conn}/status", timeout=10).json()
             .get("connector", {}).get("state") == "RUNNING", what="connector running")
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        # units and a value equal to the broker's default (cleanup.policy) are not changes
        {"name": t, "partitions": 3, "replication_factor": 1,
         "config": {"retention.ms": "1d", "compression.type": "lz4", "cleanup.policy": "delete"}}],
        [{"name": conn, "class": FILE_SOURCE, "tasks_max": 1,
          "config": {"file": str(tmp_path / "in.txt"), "topic": t}}]))
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes." in r.out
    assert "2 existing resources match the stack but are not yet recorded as owned" in r.out


def test_every_action_type_and_undeclared_override_drift(stack, admin, prefix, tmp_path):
    keep, grow, gone = f"{prefix}.keep", f"{prefix}.grow", f"{prefix}.gone"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}},
        {"name": grow, "partitions": 1, "replication_factor": 1},
        {"name": gone, "partitions": 1, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    # an override someone set by hand: drift, left alone
    set_topic_configs(admin, keep, {"max.message.bytes": "2097152"})
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}},
        {"name": grow, "partitions": 3, "replication_factor": 1},
        {"name": f"{prefix}.new", "partitions": 1, "replication_factor": 1}]))
    r = kplan("plan", str(path), "--format", "json")
    assert r.code == 0, r.text
    doc = json.loads(r.out)
    actions = {c["address"]: c["actions"] for c in doc["resource_changes"]}
    assert actions[f"topic.{prefix}.new"] == ["create"]
    assert actions[f"topic.{keep}"] == ["update"]
    assert actions[f"topic.{grow}"] == ["update"]
    assert actions[f"topic.{gone}"] == ["delete"]
    grow_change = next(c for c in doc["resource_changes"] if c["address"] == f"topic.{grow}")
    assert "irreversible" in json.dumps(grow_change["flags"])
    text = kplan("plan", str(path)).out
    assert "max.message.bytes" in text and "drift" in text.lower()
    assert "Plan: 1 to add, 2 to change, 1 to destroy." in text


def test_partition_decrease_is_refused_unless_replace_is_allowed(stack, admin, prefix, tmp_path):
    t = f"{prefix}.p"
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 3, "replication_factor": 1}]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [{"name": t, "partitions": 2, "replication_factor": 1}]))
    r = kplan("plan", str(path))
    assert r.code == 1, r.text
    assert "partitions" in r.text and "allow_replace" in r.text
    write_stack(path, stack_doc(stack, prefix,
                                [{"name": t, "partitions": 2, "replication_factor": 1, "allow_replace": True}]))
    r = kplan("plan", str(path))
    assert r.code == 0, r.text
    assert "DATA LOSS" in r.out and "-/+" in r.out
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    md = wait_for(lambda: admin.list_topics(t, timeout=10).topics.get(t), what="replaced topic")
    assert len(md.partitions) == 2


def test_plan_time_validation_by_the_real_systems(stack, admin, prefix, tmp_path):
    t = f"{prefix}.v"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": t, "partitions": 1, "replication_factor": 3},                              # RF above brokers
        {"name": f"{prefix}.tiered", "partitions": 1, "replication_factor": 1,
         "config": {"remote.storage.enable": True}}],                                        # the broker refuses
        [{"name": f"{prefix}-ghost", "class": "com.example.Missing", "tasks_max": 1, "config": {"topic": t}},
         {"name": f"{prefix}-src", "class": FILE_SOURCE, "tasks_max": 1,
          "config": {"topic": t, "batch.size": "not-a-number"}}]))                          # Connect refuses
    r = kplan("plan", str(path))
    assert r.code == 1
    assert "replication factor 3 is higher than the number of brokers (1)" in r.text
    assert "broker would refuse" in r.text and "tiered" in r.text.lower()
    assert "com.example.Missing" in r.text
    # Connect's config/validate error, reported at the stack file's line of the key
    lines = [line for line in r.text.splitlines() if "batch.size" in line and "Error" in line]
    assert lines and f"{path}:" in lines[0]
    assert not admin.list_topics(timeout=10).topics.keys() & {t, f"{prefix}.tiered"}


def test_a_secret_never_appears_in_any_output(stack, admin, prefix, tmp_path, monkeypatch):
    secret = "s3cr3t-Value-42"
    t = f"{prefix}.sec"
    (tmp_path / "in.txt").touch()
    conn = {"name": f"{prefix}-src", "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(tmp_path / "in.txt"), "topic": t,
                       "my.app.password": "${secret:env:KPLAN_TEST_SECRET}"}}
    path = write_stack(tmp_path / "s.yaml",
                       stack_doc(stack, prefix, [{"name": t, "partitions": 1, "replication_factor": 1}], [conn]))
    env = {"KPLAN_TEST_SECRET": secret}
    outputs = [kplan("plan", str(path), "--format", f, env=env) for f in ("text", "markdown", "json")]
    planfile = tmp_path / "p.plan"
    outputs.append(kplan("plan", str(path), "-out", str(planfile), env=env))
    outputs.append(kplan("apply", str(path), "--auto-approve", env=env))
    assert all(o.code == 0 for o in outputs), [o.text for o in outputs]
    # the worker got the resolved secret...
    live = requests.get(f"{stack.connect_url}/connectors/{prefix}-src/config", timeout=10).json()
    assert live["my.app.password"] == secret
    # ...and a changed secret is a planned change, compared without being shown
    outputs.append(kplan("plan", str(path), "--format", "json", env={"KPLAN_TEST_SECRET": secret + "-rotated"}))
    outputs.append(kplan("plan", str(path), env={"KPLAN_TEST_SECRET": secret + "-rotated"}))
    assert '"update"' in outputs[-2].out and "(sensitive)" in outputs[-1].out
    # rotating it: the journal's before-image of the connector holds the old secret only masked
    outputs.append(kplan("apply", str(path), "--auto-approve", env={"KPLAN_TEST_SECRET": secret + "-rotated"}))
    assert outputs[-1].code == 0, outputs[-1].text
    for o in outputs:
        assert secret not in o.text
    assert secret not in planfile.read_text()
    # nor in the journal: neither its local copy nor the one in the cluster
    from kplan.state.journal import JOURNAL_TOPIC, local_state_dir
    from kplan.state.ownership import read_compacted

    (local,) = (local_state_dir() / "journal").glob(f"{prefix}@*.json")
    assert secret not in local.read_text()
    cluster_copy = read_compacted({"bootstrap.servers": stack.bootstrap_servers}, JOURNAL_TOPIC, 10)[prefix.encode()]
    assert secret.encode() not in cluster_copy
