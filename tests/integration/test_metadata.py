"""Owners, descriptions and labels on the real stack: they survive apply → plan "No changes" and appear in
`status --format json` and `import` (read back from kplan's ownership record: Kafka keeps none); a change of a
label only is an update-metadata plan whose apply writes the record and leaves the cluster untouched (the topic's
configs, partitions and records, read by a real consumer, and the quota the broker reports); a policy requiring an
owner fails validate with one line naming file:line, the entry and the rule. Parallel-safe: one unique stack."""

from __future__ import annotations

import json

import yaml
from confluent_kafka import Producer
from kafka.admin import KafkaAdminClient
from kplan_helpers import (
    base_stack,
    consume_events,
    forget_stack,
    kplan,
    read_stack_ownership,
    snapshot,
    write_stack,
)
from test_quotas import broker_quotas, set_by_hand

from kplan.exiting import EXIT_USAGE


def _doc(stack, prefix: str, tier: str) -> dict:
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"owner": "team-platform", "labels": {"cost-center": "4711"},
                       "topic": {"partitions": 2, "replication_factor": 1}}
    doc["topics"] = [
        {"name": f"{prefix}.orders", "owner": "team-orders", "description": "orders placed in the shop",
         "labels": {"tier": tier}, "config": {"retention.ms": "3d"}},
        {"name": f"{prefix}.audit"},
    ]
    doc["quotas"] = [{"user": f"{prefix}-app", "owner": "team-orders", "producer_byte_rate": "1MiB"}]
    return doc


def test_labels_survive_apply_and_a_label_only_change_touches_only_the_record(stack, admin, prefix, tmp_path):
    orders, audit, user = f"{prefix}.orders", f"{prefix}.audit", f"{prefix}-app"
    path = write_stack(tmp_path / "stack.yaml", _doc(stack, prefix, "gold"))
    quotas = KafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    try:
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text

        record = read_stack_ownership(admin, stack.bootstrap_servers, prefix)
        assert record.metadata[f"topic.{orders}"].labels == {"cost-center": "4711", "tier": "gold"}
        assert record.metadata[f"quota.user={user}"].owner == "team-orders"

        r = kplan("status", str(path), "--format", "json")
        assert r.code == 0, r.text
        resources = {x["address"]: x for x in json.loads(r.out)["resources"]}
        assert resources[f"topic.{orders}"]["owner"] == "team-orders"
        assert resources[f"topic.{orders}"]["labels"] == {"cost-center": "4711", "tier": "gold"}
        assert resources[f"topic.{orders}"]["description"] == "orders placed in the shop"
        assert resources[f"topic.{audit}"]["owner"] == "team-platform"

        out = tmp_path / "imported.yaml"
        r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers, "--prefix", prefix,
                  "--no-connectors", "-o", str(out))
        assert r.code == 0, r.text
        imported = yaml.safe_load(out.read_text())
        topics = {t["name"]: t for t in imported["topics"]}
        assert topics[orders]["owner"] == "team-orders" and topics[orders]["labels"]["tier"] == "gold"
        assert topics[orders]["description"] == "orders placed in the shop"
        assert {q["user"]: q for q in imported["quotas"]}[user]["owner"] == "team-orders"

        producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "acks": "all"})
        for i in range(20):
            producer.produce(orders, key=str(i).encode(), value=json.dumps({"n": i}).encode())
        assert producer.flush(30) == 0
        before = snapshot(admin, stack.connect_url, prefix)
        quotas_before = broker_quotas(quotas, user)

        path = write_stack(path, _doc(stack, prefix, "silver"))  # only a label changes
        saved = tmp_path / "labels.plan"
        r = kplan("plan", str(path), "-out", str(saved))
        assert r.code == 0, r.text
        changed = [c for c in json.loads(saved.read_text())["resource_changes"] if c["actions"] != ["no-op"]]
        assert [(c["address"], c["actions"]) for c in changed] == [(f"topic.{orders}", ["update-metadata"])]
        r = kplan("apply", str(saved), "--auto-approve")  # the saved plan, as a reviewer approved it
        assert r.code == 0, r.text
        assert "1 metadata update" in r.out and "record what the stack owns" in r.out, r.text

        assert snapshot(admin, stack.connect_url, prefix) == before  # partitions, RF, every override
        assert broker_quotas(quotas, user) == quotas_before
        events = consume_events(stack.bootstrap_servers, orders, want=20)
        assert sorted(e["n"] for e in events) == list(range(20))  # every record still there
        record = read_stack_ownership(admin, stack.bootstrap_servers, prefix)
        assert record.metadata[f"topic.{orders}"].labels["tier"] == "silver"
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text
        r = kplan("plan", str(path), "--owner", "team-orders", "-out", str(tmp_path / "p.json"))
        assert r.code == EXIT_USAGE and "cannot be saved" in r.err, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")
        left = broker_quotas(quotas, user)
        if left:
            set_by_hand(quotas, user, {k: None for k in left})
        quotas.close()
        forget_stack(admin, stack.bootstrap_servers, prefix)


def test_a_policy_requiring_an_owner_fails_validate_for_a_topic_without_one(stack, prefix, tmp_path):
    doc = base_stack(prefix, stack)
    doc["policy"] = {"rules": [{"rule": "require-owner", "kinds": ["topics"]}]}
    doc["topics"] = [{"name": f"{prefix}.owned", "owner": "team-a", "partitions": 1, "replication_factor": 1},
                     {"name": f"{prefix}.orphan", "partitions": 1, "replication_factor": 1}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    r = kplan("validate", str(path))
    assert r.code == 1, r.text
    problems = [line for line in r.text.splitlines() if "owner" in line]
    lines = path.read_text().splitlines()
    entry = next(i for i, line in enumerate(lines, 1) if line.endswith(f"name: {prefix}.orphan"))
    rule = next(i for i, line in enumerate(lines, 1) if "rule: require-owner" in line)
    assert problems == [f"{path}:{entry}:3: topic.{prefix}.orphan.owner: has no owner; the policy requires one "
                        "(set owner:, or defaults.owner for every entry) "
                        f"(policy rule require-owner at {path}:{rule})"], r.text
    r = kplan("plan", str(path))  # plan refuses it too, before any change
    assert r.code == 1 and f"topic.{prefix}.orphan.owner: has no owner" in r.text, r.text


def test_an_owner_or_label_that_no_resource_has_is_an_error_not_an_empty_view(stack, prefix, tmp_path):
    """A misspelt `--owner`/`--label` selected nothing: "No changes for this selection", and `--detailed-exitcode`
    exited 0 (no changes) for a team whose resources were about to change."""
    path = write_stack(tmp_path / "stack.yaml", _doc(stack, prefix, "gold"))
    r = kplan("plan", str(path), "--owner", "team-orders", "--detailed-exitcode")
    assert r.code == 2 and f"topic.{prefix}.orders will be created" in r.out, r.text  # the right owner: its changes
    r = kplan("plan", str(path), "--owner", "team-ordrs", "--detailed-exitcode")
    assert r.code == 1, r.text
    (line,) = [s for s in r.text.splitlines() if "--owner" in s and "no resource" in s]
    assert 'did you mean "team-orders"' in line, r.text
    r = kplan("plan", str(path), "--label", "tier=glod", "--detailed-exitcode")
    assert r.code == 1 and 'did you mean "tier=gold"' in r.text, r.text
    r = kplan("plan", str(path), "--owner", "team-platform", "--label", "tier=gold", "--detailed-exitcode")
    assert r.code == 0 and "No changes for this selection" in r.out, r.text  # both exist, on no resource together

    # several stacks: an owner that one of them has is a selection, not a mistake
    other = base_stack(f"{prefix}-b", stack)
    other["topics"] = [{"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1, "owner": "team-b"}]
    second = write_stack(tmp_path / "b.yaml", other)
    r = kplan("plan", str(path), str(second), "--owner", "team-b", "--detailed-exitcode")
    assert r.code == 2 and f"topic.{prefix}.b will be created" in r.out, r.text
    r = kplan("plan", str(path), str(second), "--owner", "team-c", "--detailed-exitcode")
    assert r.code == 1 and "--owner team-c: no resource" in r.text, r.text
