"""`for_each` on the real secured stack (issue 43 item 5): topics and ACL entries written once and expanded for three
tenants are applied, and the cluster — read independently with confluent_kafka's AdminClient — has exactly those
tenants' topics and bindings; a tenant removed from the list is planned as exactly its own deletions, applied, gone
from the cluster, and the next plan has no changes."""

from __future__ import annotations

import re

import pytest
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from kplan_helpers import kplan, write_stack

SECRET_VAR = "KPLAN_TEST_FOR_EACH_ADMIN_PASSWORD"
TENANTS = ["acme", "globex", "initech"]


def stack_doc(secured, name: str, prefix: str, tenants: list[str]) -> dict:
    return {
        "stack": name,
        "vars": {"prefix": prefix, "tenants": {t: ({"partitions": 2} if t == "globex" else {}) for t in tenants}},
        "cluster": {
            "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
            "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                       "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + SECRET_VAR + "}",
                       "ssl.ca.location": secured.ca_file}},
        "topics": [{
            "for_each": "${tenants}",
            "name": "${prefix}.${each.key}.orders",
            "partitions": "${each.value.partitions:-1}",
            "replication_factor": 1,
            "config": {"retention.ms": "1d"},
            "overrides": {"acme": {"config": {"retention.ms": "2d"}}},
        }],
        "acls": [{
            "for_each": "${tenants}",
            "principal": "User:${prefix}-${each.key}",
            "produce": ["${prefix}.${each.key}.orders"],
            "consume": {"topics": ["${prefix}.${each.key}.orders"], "groups": ["${prefix}-${each.key}"]},
        }],
    }


def env(secured) -> dict:
    return {SECRET_VAR: secured.admin_password}


def _all_bindings() -> AclBindingFilter:
    return AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                            AclPermissionType.ANY)


def cluster_view(admin, prefix: str) -> tuple[dict, set]:
    """What the cluster has under the prefix: topic -> (partitions, retention.ms override), and every binding of a
    principal named with it (principal, resource type, name, operation)."""
    from confluent_kafka.admin import ConfigResource

    names = sorted(t for t in admin.list_topics(timeout=20).topics if t.startswith(prefix + "."))
    topics = {}
    for name in names:
        partitions = len(admin.list_topics(topic=name, timeout=20).topics[name].partitions)
        (configs,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, name)]).values()
        topics[name] = (partitions, configs.result(30)["retention.ms"].value)
    found = admin.describe_acls(_all_bindings()).result(30)
    bindings = {(b.principal, b.restype.name, b.name, b.operation.name) for b in found
                if b.principal.startswith(f"User:{prefix}-")}
    return topics, bindings


def expected_bindings(prefix: str, tenants: list[str]) -> set:
    out = set()
    for t in tenants:
        principal, topic = f"User:{prefix}-{t}", f"{prefix}.{t}.orders"
        out |= {(principal, "TOPIC", topic, op) for op in ("WRITE", "DESCRIBE", "READ")}
        out.add((principal, "GROUP", f"{prefix}-{t}", "READ"))
    return out


@pytest.fixture
def cleanup_prefix(sadmin, unique):
    """The test's prefix; whatever is left under it afterwards (a failed test) is deleted."""
    prefix = unique("fe")
    yield prefix
    topics = [t for t in sadmin.list_topics(timeout=20).topics if t.startswith(prefix + ".")]
    if topics:
        for f in sadmin.delete_topics(topics, operation_timeout=30).values():
            f.result(60)
    leftovers = [b for b in sadmin.describe_acls(_all_bindings()).result(30)
                 if b.principal.startswith(f"User:{prefix}-")]
    if leftovers:
        filters = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host, b.operation,
                                    b.permission_type) for b in leftovers]
        for f in sadmin.delete_acls(filters).values():
            f.result(30)


def test_three_tenants_applied_then_one_removed(secured, sadmin, cleanup_prefix, unique, tmp_path):
    prefix, name = cleanup_prefix, unique("fe-stack")
    path = write_stack(tmp_path / "tenants.yaml", stack_doc(secured, name, prefix, TENANTS))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env(secured))
        assert r.code == 0, r.text
        topics, bindings = cluster_view(sadmin, prefix)
        assert topics == {f"{prefix}.acme.orders": (1, "172800000"), f"{prefix}.globex.orders": (2, "86400000"),
                          f"{prefix}.initech.orders": (1, "86400000")}
        assert bindings == expected_bindings(prefix, TENANTS)
        r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
        assert r.code == 0 and "No changes." in r.out, r.text

        # globex leaves: the plan deletes its topic and its principal's bindings, nothing else
        write_stack(path, stack_doc(secured, name, prefix, ["acme", "initech"]))
        r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
        assert r.code == 2, r.text
        actions = re.findall(r"^  # (\S+) will be (.+)$", r.out, re.M)
        assert actions == [(f"topic.{prefix}.globex.orders", "destroyed (removed from the stack)"),
                           (f"acl.User:{prefix}-globex", "destroyed (removed from the stack)")], r.out
        assert "Plan: 0 to add, 0 to change, 2 to destroy." in r.out, r.out

        r = kplan("apply", str(path), "--auto-approve", env=env(secured))
        assert r.code == 0, r.text
        topics, bindings = cluster_view(sadmin, prefix)
        assert sorted(topics) == [f"{prefix}.acme.orders", f"{prefix}.initech.orders"]
        assert bindings == expected_bindings(prefix, ["acme", "initech"])
        r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
        assert r.code == 0 and "No changes." in r.out, r.text
    finally:
        r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
        assert r.code == 0, r.text
    assert cluster_view(sadmin, prefix) == ({}, set())

