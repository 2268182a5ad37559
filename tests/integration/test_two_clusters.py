"""A stack with several clusters (`clusters:`, docs/clusters.md) against two real, separate Kafka clusters: the
session's stack (broker + Connect: "east", with a connector) and a second single broker started by the launcher on
ports of its own ("west"). One plan grouped by cluster, one apply over both, a failure in the second cluster
rolling back both, destroy over both."""

from __future__ import annotations

import json

import jsonschema
import pytest
import requests
from confluent_kafka.admin import AdminClient, NewTopic
from kplan_helpers import ROOT, faulty_kplan, killed_kplan, kplan, wait_for, write_stack
from second_stack import topic_names
from test_audit import CANARY, SCHEMA, _events

from kplan.transport.kafka import dispose


@pytest.fixture(scope="module")
def west(stack, second_cluster):
    """A second broker (this test process's second cluster: its Connect worker, when up, is not used here)."""
    return second_cluster.get("kafka")


def _create_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        admin.create_topics([NewTopic(name, 1, 1)])[name].result(15)
        wait_for(lambda: name in admin.list_topics(timeout=10).topics, what=f"topic {name} listed")
    finally:
        dispose(admin)


def _delete_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        admin.delete_topics([name])[name].result(15)
        wait_for(lambda: name not in admin.list_topics(timeout=10).topics, what=f"topic {name} gone")
    finally:
        dispose(admin)


def _connectors(stack) -> list[str]:
    return requests.get(f"{stack.connect_url}/connectors", timeout=10).json()


def _doc(name: str, stack, west, tmp_path, *, west_topics: int = 2) -> dict:
    return {
        "stack": name,
        "clusters": {
            "east": {"bootstrap_servers": stack.bootstrap_servers, "connect_url": stack.connect_url,
                     "timeout": "20s"},
            "west": {"bootstrap_servers": west.bootstrap, "timeout": "20s"},
        },
        "topics": [
            {"name": f"{name}.orders", "cluster": "east", "partitions": 3, "replication_factor": 1},
            *({"name": f"{name}.orders" if i == 0 else f"{name}.replica{i}", "cluster": "west", "partitions": 1,
               "replication_factor": 1, "config": {"retention.ms": "1d"}} for i in range(west_topics)),
        ],
        "connectors": [{"name": f"{name}-sink", "cluster": "east", "class": "FileStreamSink",
                        "config": {"topics": f"{name}.orders", "file": str(tmp_path / "sink.txt")}}],
    }


def test_plan_apply_and_destroy_across_two_clusters(stack, west, unique, tmp_path):
    name = unique("twin")
    path = write_stack(tmp_path / "twin.yaml", _doc(name, stack, west, tmp_path))
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}

    plan = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert plan.code == 2, plan.text
    assert "on 2 clusters: east (" in plan.out and "── cluster east (" in plan.out and "── cluster west (" in plan.out
    east_part, west_part = plan.out.split("── cluster west (")
    assert f"# topic.{name}.orders will be created" in east_part and f"connector.{name}-sink" in east_part
    assert f"# topic.{name}.orders will be created" in west_part and f"topic.{name}.replica1" in west_part
    assert f"connector.{name}-sink" not in west_part
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in plan.out

    md = kplan("plan", str(path), "--format", "markdown", env=env)
    assert "### Cluster `east`" in md.out and "### Cluster `west`" in md.out, md.text
    doc = json.loads(kplan("plan", str(path), "--format", "json", env=env).out)
    assert [c["name"] for c in doc["clusters"]] == ["east", "west"]
    assert sorted((c["cluster"], c["address"]) for c in doc["resource_changes"]) == sorted([
        ("east", f"topic.{name}.orders"), ("east", f"connector.{name}-sink"),
        ("west", f"topic.{name}.orders"), ("west", f"topic.{name}.replica1")])
    # a saved plan applies only while every cluster's part is as reviewed
    saved = kplan("plan", str(path), "-out", str(tmp_path / "p.json"), env=env)
    assert saved.code == 0, saved.text
    _create_topic(west.bootstrap, f"{name}.replica1")
    stale = kplan("apply", str(tmp_path / "p.json"), "--auto-approve", env=env)
    assert stale.code == 1 and "Error: cluster west: the saved plan is stale: the cluster changed since it was made " \
        f"(topic.{name}.replica1: absent when planned, present now); run `kplan plan` again" in stale.err, stale.text
    assert f"{name}.orders" not in topic_names(stack.bootstrap_servers)  # nothing applied anywhere
    _delete_topic(west.bootstrap, f"{name}.replica1")

    applied = kplan("apply", str(tmp_path / "p.json"), "--auto-approve", env=env)
    assert applied.code == 0, applied.text
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed across 2 clusters." in applied.out
    east_topics, west_topics = topic_names(stack.bootstrap_servers), topic_names(west.bootstrap)
    assert f"{name}.orders" in east_topics and f"{name}.replica1" not in east_topics
    assert {f"{name}.orders", f"{name}.replica1"} <= west_topics
    assert f"{name}-sink" in _connectors(stack)

    again = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert again.code == 0, again.text
    assert "No changes." in again.out

    status = kplan("status", str(path), env=env)
    assert status.code == 0, status.text
    assert "── cluster east" in status.out and "── cluster west" in status.out

    destroyed = kplan("destroy", str(path), "--auto-approve", env=env)
    assert destroyed.code == 0, destroyed.text
    assert "Destroy complete! Resources: 4 destroyed across 2 clusters." in destroyed.out
    assert f"{name}.orders" not in topic_names(stack.bootstrap_servers)
    assert not {f"{name}.orders", f"{name}.replica1"} & topic_names(west.bootstrap)
    assert f"{name}-sink" not in _connectors(stack)


def test_a_failure_in_the_second_cluster_rolls_back_both(stack, west, unique, tmp_path):
    name = unique("twinfail")
    path = write_stack(tmp_path / "twin.yaml", _doc(name, stack, west, tmp_path))
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}
    # east runs first: create topics (1), create the connector (2), record ownership (3); west: create topics (4)
    run = faulty_kplan("apply", str(path), "--auto-approve", env=env, fail_at="run-step:4")
    assert run.code == 1, run.text
    assert "Error: apply failed in cluster west: injected failure after step 4" in run.err, run.err
    assert "Cluster east: rolled back because cluster west failed" in run.err
    assert "Cluster west: failed" in run.err
    assert "Traceback" not in run.text
    assert f"{name}.orders" not in topic_names(stack.bootstrap_servers)
    assert f"{name}-sink" not in _connectors(stack)
    assert not {f"{name}.orders", f"{name}.replica1"} & topic_names(west.bootstrap)
    # both clusters' locks were released and their records are as before: the same stack applies cleanly now
    plan = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert plan.code == 2 and "Plan: 4 to add" in plan.out, plan.text
    applied = kplan("apply", str(path), "--auto-approve", env=env)
    assert applied.code == 0, applied.text
    assert kplan("destroy", str(path), "--auto-approve", env=env).code == 0


def _cluster_id(bootstrap: str) -> str:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        return admin.describe_cluster(request_timeout=20).result(25).cluster_id
    finally:
        dispose(admin)


def test_each_cluster_gets_one_audit_event_per_run(stack, west, unique, tmp_path):
    """--audit-topic (docs/operations.md): a failed run, an apply, a recovery and a destroy each leave exactly one
    event on each cluster's own audit topic, read back by an independent consumer: that cluster's id, its part of
    the plan, the run id both clusters' parts share, its outcome; a secret canary in none."""
    name = unique("twinaudit")
    audit = f"{name}-audit"
    doc = _doc(name, stack, west, tmp_path)
    doc["connectors"][0]["config"]["x.canary.password"] = "${secret:env:AUDIT_CANARY}"
    path = write_stack(tmp_path / "twin.yaml", doc)
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state"), "AUDIT_CANARY": CANARY, "KPLAN_AUDIT_TOPIC": audit}
    clusters = {"east": stack.bootstrap_servers, "west": west.bootstrap}
    try:
        # east's first step fails: east is rolled back, west never started
        first = faulty_kplan("apply", str(path), "--auto-approve", env=env, fail_at="run-step:1")
        assert first.code == 1 and "Error: apply failed in cluster east" in first.err, first.text
        # east runs first (steps 1-3); west's first step (4) fails: both are rolled back
        failed = faulty_kplan("apply", str(path), "--auto-approve", env=env, fail_at="run-step:4")
        assert failed.code == 1 and "Error: apply failed in cluster west" in failed.err, failed.text
        applied = kplan("apply", str(path), "--auto-approve", env=env)
        assert applied.code == 0, applied.text
        recovered = kplan("recover", str(path), "--rollback", env=env)
        assert recovered.code == 0 and recovered.out.count("Nothing to recover") == 2, recovered.text
        destroyed = kplan("destroy", str(path), "--auto-approve", env=env)
        assert destroyed.code == 0, destroyed.text

        events = {c: _events(bootstrap, audit, 5) for c, bootstrap in clusters.items()}
        assert CANARY not in json.dumps(events)
        for e in events["east"][:1] + events["west"][:1]:
            jsonschema.validate(e, SCHEMA)
        # the first run: east's part failed and was rolled back; west's was never started
        assert [e["outcome"] for e in (events["east"][0], events["west"][0])] == ["rolled-back", "error"], events
        assert "injected failure after step 1" in events["east"][0]["error"]
        assert events["west"][0]["error"].startswith("not applied: cluster east failed: "), events["west"][0]
        assert events["east"][0]["run_id"] == events["west"][0]["run_id"] and events["west"][0]["changes"]
        events = {c: events[c][1:] for c in events}
        for c, bootstrap in clusters.items():
            assert [(e["command"], e["outcome"]) for e in events[c]] == [
                ("apply", "rolled-back"), ("apply", "applied"), ("recover --rollback", "nothing-to-do"),
                ("destroy", "applied")], (c, events[c])
            cluster_id = _cluster_id(bootstrap)
            for e in events[c]:
                jsonschema.validate(e, SCHEMA)
                assert e["stack"] == name and e["cluster_id"] == cluster_id, (c, e)
        east, west_events = events["east"], events["west"]
        assert east[0]["cluster_id"] != west_events[0]["cluster_id"]
        # one run id per run, shared by both clusters' parts (a recovery has none)
        run_ids = [e["run_id"] for e in east]
        assert run_ids == [e["run_id"] for e in west_events]
        assert all(run_ids[n] for n in (0, 1, 3)) and len({run_ids[0], run_ids[1], run_ids[3]}) == 3
        assert run_ids[2] == ""
        # each cluster's part of the plan
        for n in (0, 1):
            assert sorted(x["address"] for x in east[n]["changes"]) == [f"connector.{name}-sink",
                                                                        f"topic.{name}.orders"]
            assert sorted(x["address"] for x in west_events[n]["changes"]) == [f"topic.{name}.orders",
                                                                               f"topic.{name}.replica1"]
            assert {x["action"] for x in east[n]["changes"] + west_events[n]["changes"]} == {"create"}
        assert {x["action"] for x in east[3]["changes"] + west_events[3]["changes"]} == {"delete"}
        assert len(east[3]["changes"]) == 2 and len(west_events[3]["changes"]) == 2
        assert east[2]["changes"] == [] == west_events[2]["changes"]
        for n in (0, 1, 3):
            assert east[n]["plan_fingerprint"] and west_events[n]["plan_fingerprint"]
            assert east[n]["plan_fingerprint"] != west_events[n]["plan_fingerprint"]
        # how the failed run ended, each cluster
        assert "injected failure after step 4" in west_events[0]["error"]
        assert "cluster west failed" in east[0]["error"], east[0]
        assert all("error" not in e for e in east[1:] + west_events[1:])
    finally:
        kplan("destroy", str(path), "--auto-approve", env={"KPLAN_STATE_DIR": str(tmp_path / "state"),
                                                           "AUDIT_CANARY": CANARY})
        for bootstrap in clusters.values():
            admin = AdminClient({"bootstrap.servers": bootstrap})
            try:
                admin.delete_topics([audit])[audit].result(30)
            except Exception:  # noqa: BLE001 - never created when the test failed early
                pass
            finally:
                dispose(admin)


def test_a_run_killed_in_the_second_cluster_is_rolled_back_on_both_by_recover(stack, west, unique, tmp_path):
    """A crash (not a failure kplan sees): east's part had completed, west's was interrupted mid-step. Plan
    refuses to go on; `recover --rollback` undoes west's part and then east's completed part of the same run."""
    name = unique("twinkill")
    path = write_stack(tmp_path / "twin.yaml", _doc(name, stack, west, tmp_path))
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}
    # east: create topics (1), create the connector (2), record ownership (3); west: create topics (4)
    run = killed_kplan("apply", str(path), "--auto-approve", env=env, kill_at="run-in-step:4")
    assert run.code == -9, run.text
    assert f"{name}.orders" in topic_names(stack.bootstrap_servers) and f"{name}-sink" in _connectors(stack)
    assert f"{name}.orders" in topic_names(west.bootstrap)  # west's step had written before the kill

    plan = kplan("plan", str(path), env=env)
    assert plan.code == 1 and "an earlier apply did not finish" in plan.text, plan.text

    # the recovery itself dies once west's part is rolled back (west: the dead run's lock released, then its own
    # at the end), before it reaches east's completed part
    died = killed_kplan("recover", str(path), "--rollback", env=env, kill_at="lock-releasing:2")
    assert died.code == -9, died.text
    assert not {f"{name}.orders", f"{name}.replica1"} & topic_names(west.bootstrap)
    assert f"{name}.orders" in topic_names(stack.bootstrap_servers) and f"{name}-sink" in _connectors(stack)

    audit = f"{name}-audit"  # this recovery's audit events: one on each cluster, how that cluster's part ended
    rec = kplan("recover", str(path), "--rollback", env={**env, "KPLAN_AUDIT_TOPIC": audit})
    assert rec.code == 0, rec.text
    assert "Cluster west: Nothing to recover" in rec.out and "Cluster east: Rolled back run" in rec.out, rec.out
    for bootstrap, outcome in ((stack.bootstrap_servers, "rolled-back"), (west.bootstrap, "nothing-to-do")):
        events = _events(bootstrap, audit, 1)
        assert [(e["command"], e["outcome"], e["cluster_id"]) for e in events] == [
            ("recover --rollback", outcome, _cluster_id(bootstrap))], events
        _delete_topic(bootstrap, audit)
    assert f"{name}.orders" not in topic_names(stack.bootstrap_servers)
    assert f"{name}-sink" not in _connectors(stack)
    assert not {f"{name}.orders", f"{name}.replica1"} & topic_names(west.bootstrap)
    # recovered: the locks are free and nothing is owned; the next apply starts from scratch
    again = kplan("recover", str(path), "--rollback", env=env)
    assert again.code == 0 and again.out.count("Nothing to recover") == 2, again.text
    plan = kplan("plan", str(path), "--detailed-exitcode", env=env)
    assert plan.code == 2 and "Plan: 4 to add" in plan.out, plan.text


def test_the_two_cluster_example_converges(stack, west):
    """stacks/two-clusters.yaml: validate, apply, no changes, apply again is a no-op; then destroyed (the second
    cluster goes away with this module)."""
    example = ROOT / "stacks" / "two-clusters.yaml"
    env = {"KPLAN_BOOTSTRAP": stack.bootstrap_servers, "KPLAN_CONNECT_URL": stack.connect_url,
           "KPLAN_REPLICA_BOOTSTRAP": west.bootstrap}
    assert kplan("validate", str(example), env=env).code == 0
    r = kplan("apply", str(example), "--auto-approve", env=env)
    assert r.code == 0 and "across 2 clusters" in r.out, r.text
    primary = topic_names(stack.bootstrap_servers)
    assert "twoc.orders" in primary and "twoc.reporting" not in primary
    assert {"twoc.orders", "twoc.reporting"} <= topic_names(west.bootstrap)
    r = kplan("plan", str(example), "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    r = kplan("apply", str(example), "--auto-approve", env=env)
    assert r.code == 0 and "No changes" in r.out, r.text
    assert kplan("destroy", str(example), "--auto-approve", env=env).code == 0
    r = kplan("plan", str(example), "--destroy", "--detailed-exitcode", env=env)
    assert r.code == 0 and "No changes." in r.out, r.text
    assert "twoc.orders" not in topic_names(stack.bootstrap_servers)
    assert not {"twoc.orders", "twoc.reporting"} & topic_names(west.bootstrap)
