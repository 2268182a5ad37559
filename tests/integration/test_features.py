"""Feature versions as declared state (issue 71, item 2) on a broker of its own formatted with share.version off
(features_broker.py; `features_cluster`): the session's stack never has its features changed. It starts a broker,
so it runs in the serial stage.

Read without kplan: the finalized levels with kafka-python's describe_features, the share group's start offsets
with DescribeShareGroupOffsets on the wire."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from features_broker import feature_off, finalized, share_off
from kplan_helpers import kplan, write_stack
from test_group_configs import _own
from test_share_groups import _starts

from kplan.transport.kafka import dispose

pytestmark = pytest.mark.serial


def _topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        admin.create_topics([NewTopic(name, 2, 1)])[name].result(30)
    finally:
        dispose(admin)
    producer = Producer({"bootstrap.servers": bootstrap})
    for p in (0, 1):
        for i in range(3):
            producer.produce(name, value=f"{p}-{i}".encode(), partition=p)
    assert producer.flush(30) == 0


def doc(name: str, bootstrap: str, features: list, share_groups: list | None = None, **more: list) -> dict:
    out = {"stack": name, "cluster": {"bootstrap_servers": bootstrap, "timeout": "20s"}, "features": features}
    if share_groups:
        out["share_groups"] = share_groups
    return out | more


def released(path, cwd) -> None:
    """The stack destroyed: its record no longer owns the feature (the level stays), so the next test's stack may."""
    r = kplan("destroy", path.name, "--auto-approve", cwd=cwd)
    assert r.code == 0, r.out + r.err


def test_one_apply_enables_share_version_then_moves_a_share_group_then_no_changes(features_cluster, unique, tmp_path):
    bootstrap = features_cluster.bootstrap
    name = unique("features")
    topic, group = f"{name}-jobs", f"{name}-workers"
    _topic(bootstrap, topic)
    share_off(bootstrap)
    request = {"request": "r1", "reset": "earliest", "topics": [topic]}
    path = write_stack(tmp_path / "stack.yaml", doc(name, bootstrap, [{"name": "share.version", "level": 1}],
                                                  [{"name": group, "offsets": request}]))
    plan = kplan("plan", path.name, "--format", "json", cwd=tmp_path)
    assert plan.code == 0, plan.err
    changes = {c["address"]: c for c in json.loads(plan.out)["resource_changes"]}
    assert changes["feature.share.version"]["planned"] == {"level": 1, "before": 0, "upgrade_type": "upgrade"}
    assert changes[f"share_group.{group}"]["actions"] == ["create"]

    applied = kplan("apply", path.name, "--auto-approve", cwd=tmp_path)
    assert applied.code == 0, applied.out + applied.err
    lines = [ln for ln in applied.out.splitlines() if ln.startswith("[")]
    assert "finalize feature(s) share.version 0 -> 1" in lines[0] and "share group" in lines[1], lines
    assert finalized(bootstrap)["share.version"] == 1
    assert _starts(bootstrap, group) == {(topic, 0): 0, (topic, 1): 0}

    again = kplan("plan", path.name, "--detailed-exitcode", cwd=tmp_path)
    assert again.code == 0 and "No changes" in again.out, again.out + again.err
    released(path, tmp_path)


def test_a_downgrade_is_refused_at_plan_unless_declared_then_a_safe_downgrade(features_cluster, unique, tmp_path):
    bootstrap = features_cluster.bootstrap
    name = unique("features-down")
    share_off(bootstrap)
    up = write_stack(tmp_path / "up.yaml", doc(name, bootstrap, [{"name": "share.version", "level": 1}]))
    assert kplan("apply", up.name, "--auto-approve", cwd=tmp_path).code == 0
    assert finalized(bootstrap)["share.version"] == 1

    down = write_stack(tmp_path / "down.yaml", doc(name, bootstrap, [{"name": "share.version", "level": 0}]))
    refused = kplan("apply", down.name, "--auto-approve", cwd=tmp_path)
    assert refused.code == 1
    assert ("down.yaml:6:3: feature.share.version.level: feature share.version would be downgraded from 1 to 0: "
            "refused; declare `downgrade: safe`") in refused.out
    assert finalized(bootstrap)["share.version"] == 1  # nothing applied

    allowed = write_stack(tmp_path / "allowed.yaml", doc(name, bootstrap, [
        {"name": "share.version", "level": 0, "downgrade": "safe"}]))
    applied = kplan("apply", allowed.name, "--auto-approve", cwd=tmp_path)
    assert applied.code == 0, applied.out + applied.err
    assert finalized(bootstrap).get("share.version", 0) == 0
    released(allowed, tmp_path)


def test_a_level_beyond_the_brokers_range_and_an_unknown_feature_are_refused(features_cluster, unique, tmp_path):
    bootstrap = features_cluster.bootstrap
    name = unique("features-mv")
    level = finalized(bootstrap)["metadata.version"]
    path = write_stack(tmp_path / "s.yaml", doc(name, bootstrap, [
        {"name": "metadata.version", "level": level + 1}, {"name": "nosuch.version", "level": 1}]))
    plan = kplan("plan", path.name, cwd=tmp_path)
    assert plan.code == 1
    assert (f"s.yaml:6:3: feature.metadata.version.level: feature metadata.version level {level + 1} is not "
            "supported by every broker") in plan.out
    assert ("s.yaml:8:3: feature.nosuch.version.level: no broker of the cluster knows feature 'nosuch.version'"
            in plan.out)


def test_group_configs_plan_against_the_declared_group_version(features_cluster, unique, tmp_path):
    """KIP-848 group configs (consumer.*) act only on consumer groups of the new protocol, which group.version turns
    on (Kafka stores them with it off): refused at plan while the feature is neither finalized nor declared; declared,
    one apply finalizes it and then sets the configs, and the next plan has no changes."""
    from kafka.admin import KafkaAdminClient

    bootstrap = features_cluster.bootstrap
    name = unique("features-gv")
    group = f"{name}-orders"
    feature_off(bootstrap, "group.version")
    configs = [{"group": group, "configs": {"consumer.session.timeout.ms": 50000}}]
    bare = write_stack(tmp_path / "bare.yaml", doc(name, bootstrap, [], group_configs=configs))
    refused = kplan("plan", bare.name, cwd=tmp_path)
    assert refused.code == 1, refused.out + refused.err
    assert (f"bare.yaml:7:3: group_config.{group}: group {group}: consumer.session.timeout.ms act(s) only on KIP-848 "
            "consumer groups, which need feature group.version at 1 or above (it is 0 on the cluster): declare it in "
            "the stack's features") in refused.out, refused.out

    path = write_stack(tmp_path / "stack.yaml", doc(name, bootstrap, [{"name": "group.version", "level": 1}],
                                                  group_configs=configs))
    applied = kplan("apply", path.name, "--auto-approve", cwd=tmp_path)
    assert applied.code == 0, applied.out + applied.err
    lines = [ln for ln in applied.out.splitlines() if ln.startswith("[")]
    assert "finalize feature(s) group.version 0 -> 1" in lines[0] and f"group {group}" in lines[1], lines
    assert finalized(bootstrap)["group.version"] == 1
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        assert _own(admin, group) == {"consumer.session.timeout.ms": "50000"}
    finally:
        admin.close()

    again = kplan("plan", path.name, "--detailed-exitcode", cwd=tmp_path)
    assert again.code == 0 and "No changes" in again.out, again.out + again.err
    released(path, tmp_path)
    feature_off(bootstrap, "group.version")  # the broker as it was formatted
