"""A cdc source's generated ACLs, pure parts: the bindings per generated topic role, the consumer groups Debezium
uses (its defaults and the config keys that override them), the merge into a declared entry, and which declared
denies refuse a generated binding."""

from __future__ import annotations

from kplan.kinds.acl.model import AclSpec
from kplan.model.bindings import AclBinding
from kplan.model.diagnostics import Diagnostics
from kplan.model.source import Origin
from kplan.stackfile.cdc_acls import Generated, connector_bindings, denies, merge_generated


def B(resource, name, op, pattern="literal", permission="ALLOW", host="*"):
    return AclBinding(resource, pattern, name, op, permission, host)


def test_table_topics_need_write_and_describe_only():
    out = connector_bindings([("p.public.a", "table")], {"topic.prefix": "p"})
    assert out == (B("topic", "p.public.a", "DESCRIBE"), B("topic", "p.public.a", "WRITE"))


def test_schema_history_and_signal_topics_with_debeziums_default_groups():
    out = set(connector_bindings([("h", "schema-history"), ("p.signal", "signal"), ("p.s.sig", "signal-table")],
                                 {"topic.prefix": "p"}))
    assert out == {B("topic", "h", "WRITE"), B("topic", "h", "READ"), B("topic", "h", "DESCRIBE"),
                   B("group", "p-schemahistory", "READ"),
                   B("topic", "p.signal", "READ"), B("topic", "p.signal", "DESCRIBE"),
                   B("group", "kafka-signal", "READ"),
                   B("topic", "p.s.sig", "WRITE"), B("topic", "p.s.sig", "DESCRIBE")}


def test_groups_named_in_the_connector_config_win_in_debeziums_order():
    topics = [("h", "schema-history"), ("s", "signal")]
    named = {"topic.prefix": "p", "schema.history.internal.name": "hist", "signal.kafka.groupId": "sig"}
    groups = {b.name for b in connector_bindings(topics, named) if b.resource == "group"}
    assert groups == {"hist", "sig"}
    consumer = {**named, "schema.history.internal.consumer.group.id": "hc", "signal.consumer.group.id": "sc"}
    groups = {b.name for b in connector_bindings(topics, consumer) if b.resource == "group"}
    assert groups == {"hc", "sc"}


def test_merge_keeps_the_declared_entry_flag_and_origin_and_adds_a_principal_of_its_own():
    declared = (AclSpec("User:a", (B("topic", "t", "WRITE"), B("topic", "x", "READ")), authoritative=True,
                        origin=Origin("s.yaml", 3)),)
    gen_a = Generated("User:a", "src1", (B("topic", "t", "DESCRIBE"), B("topic", "t", "WRITE")),
                      Origin("s.yaml", 9, cdc_source="src1", role="principal"))
    gen_b = Generated("User:b", "src2", (B("topic", "u", "WRITE"),), Origin("s.yaml", 20, cdc_source="src2"))
    diags = Diagnostics()
    a, b = merge_generated(declared, [gen_a, gen_b], diags)
    assert a.bindings == (B("topic", "t", "DESCRIBE"), B("topic", "t", "WRITE"), B("topic", "x", "READ"))
    assert a.authoritative is True and a.origin == Origin("s.yaml", 3) and a.cdc_sources == ("src1",)
    assert b.name == "User:b" and b.authoritative is False and b.origin.line == 20 and b.cdc_sources == ("src2",)
    assert diags.items == []


def test_a_declared_deny_that_refuses_a_generated_binding_is_one_warning():
    declared = (AclSpec("User:a", (B("topic", "t.", "ALL", "prefixed", "DENY"),), origin=Origin("s.yaml", 3, 5)),)
    gen = Generated("User:a", "src", (B("topic", "t.x", "DESCRIBE"), B("topic", "t.x", "WRITE")),
                    Origin("s.yaml", 9))
    diags = Diagnostics()
    merge_generated(declared, [gen], diags)
    (d,) = diags.items
    assert d.severity == "warning" and d.located().startswith("s.yaml:3:5: warning: User:a has \"deny ALL on topic")


def test_denies_matches_resource_operation_and_name_pattern():
    allow = B("topic", "orders", "WRITE")
    assert denies(B("topic", "orders", "WRITE", permission="DENY"), allow)
    assert denies(B("topic", "*", "ALL", permission="DENY"), allow)
    assert denies(B("topic", "ord", "WRITE", "prefixed", "DENY", "10.0.0.1"), allow)
    assert not denies(B("topic", "orders", "READ", permission="DENY"), allow)
    assert not denies(B("group", "orders", "WRITE", permission="DENY"), allow)
    assert not denies(B("topic", "orders.x", "WRITE", "prefixed", "DENY"), allow)
    assert not denies(B("topic", "other", "WRITE", permission="DENY"), allow)
