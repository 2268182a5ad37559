"""Orphans under claimed prefixes (docs/orphans.md) on the real stack: a topic, a connector and a subject made by
hand under the claimed prefix are listed by `kplan status` (text and JSON) and shown by `kplan plan` as
information (no change, --detailed-exitcode 0); apply leaves them alone until the claim says `prune: true`, then
deletes them — refused first by --max-deletions — while a topic another stack owns under the prefix and everything
outside the prefix stay. On the secured stack: a hand-made ACL binding under the prefix is listed and pruned, the
principal's binding outside the prefix stays."""

from __future__ import annotations

import json

import by_hand
import pytest
import requests
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
SECRET_VAR = "KPLAN_TEST_ORPHANS_ADMIN_PASSWORD"


def _topic(name: str) -> dict:
    return {"name": name, "partitions": 1, "replication_factor": 1}


def _topics(admin) -> set[str]:
    return set(admin.list_topics(timeout=20).topics)


def _subjects(registry: str) -> set[str]:
    return set(requests.get(f"{registry}/subjects", timeout=30).json())


def _register(registry: str, subject: str) -> None:
    r = requests.post(f"{registry}/subjects/{subject}/versions", json={"schema": json.dumps({"type": "string"})},
                      headers=CT, timeout=30)
    assert r.status_code == 200, r.text


def _connector_exists(connect: str, name: str) -> bool:
    return requests.get(f"{connect}/connectors/{name}", timeout=30).status_code == 200


def test_orphans_are_listed_left_alone_without_prune_and_deleted_with_it_nothing_else(stack, admin, prefix,
                                                                                       tmp_path):
    claim = f"{prefix}."
    mine, hand, theirs, outside = f"{claim}mine", f"{claim}hand", f"{claim}theirs", f"{prefix}-outside"
    sink, subject, outside_subject = f"{claim}sink", f"{claim}hand-value", f"{prefix}-outside-value"
    registry = stack.schema_registry_url
    other = write_stack(tmp_path / "other.yaml", stack_doc(stack, f"{prefix}-other", [_topic(theirs)]))
    doc = stack_doc(stack, prefix, [_topic(mine)])
    doc["cluster"]["schema_registry"] = {"url": registry}
    doc["claims"] = [{"prefix": claim}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    try:
        assert kplan("apply", str(other), "--auto-approve").code == 0  # another stack owns a topic under the prefix
        for f in admin.create_topics([NewTopic(hand, 1, 1), NewTopic(outside, 1, 1)]).values():
            f.result(30)
        r = requests.put(f"{stack.connect_url}/connectors/{sink}/config", timeout=60, json={
            "connector.class": FILE_SINK, "tasks.max": "1", "topics": hand, "file": str(tmp_path / "sink.txt")})
        assert r.status_code in (200, 201), r.text
        _register(registry, subject)
        _register(registry, outside_subject)
        wait_for(lambda: {hand, outside} <= _topics(admin), what="the hand-made topics listed")

        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        orphans = {f"topic.{hand}", f"connector.{sink}", f"subject.{subject}"}

        r = kplan("status", str(path))
        assert r.code == 0, r.text  # listed orphans are not pending: the stack is in sync
        lines = {line.split()[1]: line for line in r.out.splitlines() if line.startswith("  ") and "claim " in line}
        assert set(lines) == {hand, sink, subject}, r.out
        assert all("left alone" in line for line in lines.values())
        report = json.loads(kplan("status", str(path), "--format", "json").out)
        assert {o["address"] for o in report["orphans"]} == orphans
        assert {o["claim"] for o in report["orphans"]} == {claim} and report["summary"]["pruned"] == 0

        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0, r.text
        infos = [line for line in r.out.splitlines() if line.startswith("Info:") and "claimed prefix" in line]
        assert {line.split()[2].rstrip(":") for line in infos} == orphans, r.out
        assert theirs not in r.out and outside not in r.out

        assert kplan("apply", str(path), "--auto-approve").code == 0  # without prune: nothing is deleted
        assert {hand, theirs, outside, mine} <= _topics(admin)
        assert _connector_exists(stack.connect_url, sink) and subject in _subjects(registry)

        doc["claims"] = [{"prefix": claim, "prune": True}]
        write_stack(path, doc)
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 2, r.text
        assert r.out.count("(orphan under a claimed prefix, with prune)") == 3, r.out
        r = kplan("apply", str(path), "--auto-approve", "--max-deletions", "2")
        assert r.code == 1 and "more than --max-deletions 2" in r.text, r.text
        assert hand in _topics(admin) and _connector_exists(stack.connect_url, sink)

        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        wait_for(lambda: hand not in _topics(admin), what="the orphan topic deleted")
        assert not _connector_exists(stack.connect_url, sink)
        assert subject not in _subjects(registry)
        assert {theirs, outside, mine} <= _topics(admin)  # another stack's, outside the prefix, declared: kept
        assert outside_subject in _subjects(registry)
        r = kplan("status", str(path), "--format", "json")
        assert r.code == 0 and json.loads(r.out)["orphans"] == [], r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")
        kplan("destroy", str(other), "--auto-approve")
        requests.delete(f"{stack.connect_url}/connectors/{sink}", timeout=60)
        for s in (subject, outside_subject):
            requests.delete(f"{registry}/subjects/{s}", timeout=30)
            requests.delete(f"{registry}/subjects/{s}?permanent=true", timeout=30)


def _acl(principal: str, topic: str) -> AclBinding:
    return AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*", AclOperation.WRITE,
                      AclPermissionType.ALLOW)


def _bound_topics(sadmin, principal: str) -> set[str]:
    found = sadmin.describe_acls(AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None,
                                                  AclOperation.ANY, AclPermissionType.ANY)).result(30)
    return {b.name for b in found}


@pytest.fixture
def hand_made_principal(sadmin, unique):
    principal = f"User:{unique('orphan-user')}"
    yield principal
    for f in sadmin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None,
                                                  AclOperation.ANY, AclPermissionType.ANY)]).values():
        f.result(30)


def test_orphan_acl_bindings_under_the_claim_are_listed_and_pruned_the_rest_stays(secured, sadmin, unique,
                                                                                  hand_made_principal, tmp_path):
    name = unique("orphans-acl")
    claim, principal = f"{name}.", hand_made_principal
    inside, outside = f"{claim}hand", f"{name}-outside"
    by_hand.create_acls(sadmin, [_acl(principal, inside), _acl(principal, outside)])
    doc = {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + SECRET_VAR + "}",
                   "ssl.ca.location": secured.ca_file}},
        "topics": [_topic(f"{claim}mine")], "claims": [{"prefix": claim}]}
    path = write_stack(tmp_path / "stack.yaml", doc)
    env = {SECRET_VAR: secured.admin_password}
    try:
        assert kplan("apply", str(path), "--auto-approve", env=env).code == 0
        r = kplan("status", str(path), "--format", "json", env=env)
        assert r.code == 0, r.text
        orphans = json.loads(r.out)["orphans"]
        assert orphans == [{"address": f"acl.{principal}", "type": "acl", "name": principal, "claim": claim,
                            "prune": False, "bindings": [f"topic|literal|{inside}|WRITE|ALLOW|*"]}]
        r = kplan("status", str(path), env=env)
        assert f"allow WRITE on topic {inside}" in r.out and outside not in r.out, r.out
        assert kplan("apply", str(path), "--auto-approve", env=env).code == 0
        assert _bound_topics(sadmin, principal) == {inside, outside}  # without prune: left alone

        doc["claims"] = [{"prefix": claim, "prune": True}]
        write_stack(path, doc)
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 2 and f'- topic["{inside}"]["WRITE"]' in r.out, r.text
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert _bound_topics(sadmin, principal) == {outside}
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve", env=env)
