"""`references:` on the real broker, Connect worker and schema registry (issue 43): stack B's sink reads stack A's
topic. B's plan checks the topic exists as B needs it (one located line when it does not), and B's apply and destroy
never touch it; B's HTML page draws the topic in the sink's data flow marked referenced. A subject's level and
versions as the registry has them, and a principal's grants as the broker's authorizer holds them, are checked the
same way; a connector on a Connect cluster that does not answer fails the plan as unread, not missing, even with
--allow-unreadable."""

from __future__ import annotations

import socket

import requests
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)
from kplan_helpers import acls_in_effect, kplan, snapshot, stack_doc, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _b(stack, prefix, tmp_path, topic, **expect):
    doc = stack_doc(stack, f"{prefix}-b", [], [
        {"name": f"{prefix}-sink", "class": FILE_SINK, "tasks_max": 1,
         "config": {"topics": topic, "file": str(tmp_path / "sink.txt")}}])
    doc["references"] = [{"address": f"topic.{topic}", "expect": expect}]
    return write_stack(tmp_path / "b.yaml", doc)


def test_a_stack_that_reads_another_stacks_topic(stack, admin, prefix, tmp_path):
    topic = f"{prefix}.payments"
    path_a = write_stack(tmp_path / "a.yaml", stack_doc(stack, f"{prefix}-a", [
        {"name": topic, "partitions": 3, "replication_factor": 1, "config": {"cleanup.policy": "delete"}}]))

    # before A exists: B's plan fails with one line located at the reference
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=3)
    r = kplan("plan", str(path_b))
    assert r.code == 1 and f"topic.{topic} does not exist on the cluster" in r.text, r.text
    assert "b.yaml:" in r.text, r.text

    r = kplan("apply", str(path_a), "--auto-approve")
    assert r.code == 0, r.text
    report = tmp_path / "b.html"
    r = kplan("plan", str(path_b), "--detailed-exitcode", "--report", str(report))
    assert r.code == 2 and "1 to add, 0 to change, 0 to destroy" in r.out, r.text  # the sink only
    page = report.read_text()  # the data flows: the new sink reads A's topic, drawn as another stack's
    assert f'<g class="n n-connector a-create" data-node="connector:{prefix}-sink">' in page, page
    assert f'<g class="n n-topic ref" data-node="topic:{topic}"><title>topic {topic} (referenced: owned by another ' \
           "stack)</title>" in page, page
    r = kplan("apply", str(path_b), "--auto-approve")
    assert r.code == 0, r.text

    # an expectation the topic does not meet is one located error naming what differs
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=6, config={"cleanup.policy": "compact"})
    r = kplan("plan", str(path_b))
    assert r.code == 1, r.text
    assert (f"topic.{topic} is not as the stack needs it: 3 partitions, at least 6 expected; cleanup.policy is "
            "delete, compact expected") in r.text, r.text

    # B's destroy deletes its sink and never the topic it only reads
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=3)
    r = kplan("destroy", str(path_b), "--auto-approve")
    assert r.code == 0, r.text
    snap = snapshot(admin, stack.connect_url, prefix)
    assert topic in snap["topics"] and f"{prefix}-sink" not in snap["connectors"]
    r = kplan("destroy", str(path_a), "--auto-approve")
    assert r.code == 0, r.text


def _free_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_connector_on_a_connect_cluster_that_does_not_answer_is_unread_not_missing(stack, prefix, tmp_path):
    doc = stack_doc(stack, f"{prefix}-b", [{"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1}])
    doc["cluster"] = {"bootstrap_servers": stack.bootstrap_servers, "timeout": "5s",
                      "connect": {"default": {"url": stack.connect_url},
                                  "analytics": {"url": f"http://127.0.0.1:{_free_port()}"}}}
    doc["references"] = [{"address": f"connector.analytics/{prefix}-enrich", "expect": {"state": "running"}}]
    path = write_stack(tmp_path / "b.yaml", doc)
    r = kplan("plan", str(path), "--no-color", "--allow-unreadable", "connect:analytics")
    assert r.code == 1, r.text
    errors = [line for line in r.out.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"{path}:" in errors[0], r.text
    assert (f"connector.analytics/{prefix}-enrich could not be read (Kafka Connect cluster 'analytics' was not "
            "read: ") in errors[0], r.text
    assert ("--allow-unreadable connect:analytics does not waive a reference): kplan cannot tell whether it is as the "
            "stack needs it (references:), and a reference it cannot check is not met") in errors[0], r.text
    assert "does not exist" not in r.text, r.text
    assert "Warning: Kafka Connect cluster 'analytics' could not be read" in r.out, r.text  # its own: left alone


CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
V1 = '{"type":"record","name":"Payment","fields":[{"name":"id","type":"long"}]}'


def _grant(principal: str, resource, name: str, pattern, operation, permission=AclPermissionType.ALLOW):
    return AclBinding(resource, name, pattern, principal, "*", operation, permission)


def test_a_stack_that_relies_on_another_teams_subject_and_on_a_principals_grants(stack, admin, prefix, tmp_path):
    subject, principal, topic = f"{prefix}.payments-value", f"User:{prefix}-sink", f"{prefix}.payments"
    registry = stack.schema_registry_url
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None, AclOperation.ANY,
                                  AclPermissionType.ANY)
    grants = [_grant(principal, ResourceType.TOPIC, f"{prefix}.", ResourcePatternType.PREFIXED,
                     AclOperation.READ),
              _grant(principal, ResourceType.GROUP, f"{prefix}-g", ResourcePatternType.LITERAL,
                     AclOperation.READ)]

    def b(**expect):
        doc = stack_doc(stack, f"{prefix}-b", [{"name": f"{prefix}.b", "partitions": 1, "replication_factor": 1}])
        doc["cluster"]["schema_registry"] = {"url": registry}
        doc["references"] = [{"address": f"subject.{subject}", "expect": expect.get("subject", {})},
                             {"address": f"acl.{principal}", "expect": expect.get("acl", {})}]
        return write_stack(tmp_path / "b.yaml", doc)

    def errors(path) -> list[str]:
        """The plan's errors, each located in b.yaml: their messages."""
        r = kplan("plan", str(path), "--no-color")
        lines = [line for line in r.out.splitlines() if line.startswith("Error:")]
        assert r.code == (1 if lines else 0) and all(f"{path}:" in line for line in lines), r.text
        return [line.split(": ", 3)[-1] for line in lines]

    consume = {"consume": {"topics": [topic], "groups": [f"{prefix}-g"]}}
    try:
        # neither exists yet: the subject is missing, the principal holds nothing (it lacks each operation)
        path = b(subject={"compatibility": "BACKWARD"}, acl=consume)
        assert errors(path) == [
            f"acl.{principal} is not as the stack needs it: no READ on group {prefix}-g; no DESCRIBE "
            f"on topic {topic}; no READ on topic {topic}",
            f"subject.{subject} does not exist on the cluster; the stack needs it (references:): "
            "create it in the stack that owns it first"]

        # the owning team registers the schema with its own level FORWARD (Apicurio says NONE for "no own level": the
        # global BACKWARD is in effect then); the platform grants READ by prefix
        r = requests.post(f"{registry}/subjects/{subject}/versions", json={"schema": V1}, headers=CT, timeout=10)
        assert r.status_code == 200, r.text
        r = requests.put(f"{registry}/config/{subject}", json={"compatibility": "FORWARD"}, headers=CT, timeout=10)
        assert r.status_code == 200, r.text
        for f in admin.create_acls(grants).values():
            f.result(30)
        acls_in_effect(admin, principal, grants)
        assert errors(b(subject={"compatibility": "BACKWARD", "version": 2},
                        acl={**consume, "produce": [topic]})) == [
            f"acl.{principal} is not as the stack needs it: no WRITE on topic {topic}",
            f"subject.{subject} is not as the stack needs it: its compatibility level is FORWARD, "
            "BACKWARD or stricter expected; version 2 does not exist (it has 1)"]

        # FULL meets BACKWARD; READ by prefix covers the topic and gives DESCRIBE: B plans its own topic only
        r = requests.put(f"{registry}/config/{subject}", json={"compatibility": "FULL"}, headers=CT, timeout=10)
        assert r.status_code == 200, r.text
        path = b(subject={"compatibility": "BACKWARD", "version": 1}, acl=consume)
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 2 and "1 to add, 0 to change, 0 to destroy" in r.out, r.text
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text

        # a DENY on one topic takes READ away, as the authorizer decides it
        deny = _grant(principal, ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, AclOperation.READ,
                      AclPermissionType.DENY)
        for f in admin.create_acls([deny]).values():
            f.result(30)
        acls_in_effect(admin, principal, [*grants, deny])
        assert errors(path) == [f"acl.{principal} is not as the stack needs it: READ on topic {topic} is denied "
                                f"(deny READ on topic {topic})"]

        # B's destroy deletes its topic and never the subject or the grants it only relies on
        r = kplan("destroy", str(path), "--auto-approve")
        assert r.code == 0, r.text
        assert requests.get(f"{registry}/subjects/{subject}/versions", timeout=10).json() == [1]
        assert len(admin.describe_acls(everything).result(30)) == 3
        assert f"{prefix}.b" not in admin.list_topics(timeout=10).topics
    finally:
        for f in admin.delete_acls([everything]).values():
            f.result(30)
        requests.delete(f"{registry}/subjects/{subject}", timeout=10)
        requests.delete(f"{registry}/subjects/{subject}", params={"permanent": "true"}, timeout=10)
