"""kplan.importer: live state -> stack entries that load back to the same values (units, secrets, provider
placeholders, ACLs, quotas), with internal and foreign resources left out."""

from __future__ import annotations

import pytest
from builders import live_state

from kplan.importer.build import ImportOptions, build_import
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.dynamic_config.model import LiveQuota, QuotaEntity
from kplan.kinds.user.live import LiveUser
from kplan.model.bindings import AclBinding
from kplan.model.desired import freeze
from kplan.model.live import LiveConnector, LiveState, LiveTopic
from kplan.rules.stack_values import connector_config_value, topic_config_value
from kplan.rules.units import normalize_topic_config_value
from kplan.secrets import imported_value


def live(**kw) -> LiveState:
    base = dict(cluster_id="c1", broker_count=1, topics={}, connectors={})
    base.update(kw)
    return live_state(**{k: (freeze(v) if isinstance(v, dict) else v) for k, v in base.items()})


def topic(name, overrides=None, partitions=3, rf=1):
    return LiveTopic(name, partitions, rf, freeze(overrides or {}))


@pytest.mark.parametrize("key, live_value, written", [
    ("retention.ms", "604800000", "7d"),
    ("retention.ms", "5400000", "90m"),
    ("retention.ms", "-1", "infinite"),
    ("retention.ms", "1500", 1500),
    ("segment.ms", "3600000", "1h"),
    ("segment.bytes", "1073741824", "1GiB"),
    ("max.message.bytes", "1048588", 1048588),
    ("retention.bytes", "-1", "infinite"),
    ("min.insync.replicas", "2", 2),
    ("unclean.leader.election.enable", "true", True),
    ("cleanup.policy", "compact,delete", ["compact", "delete"]),
    ("cleanup.policy", "compact", "compact"),
    ("compression.type", "zstd", "zstd"),
    ("message.timestamp.type", "LogAppendTime", "LogAppendTime"),
])
def test_topic_values_in_human_units_that_convert_back_exactly(key, live_value, written):
    assert topic_config_value(key, live_value) == written
    assert normalize_topic_config_value(key, written) == live_value


def test_topics_keep_only_their_overrides_and_skip_internal_ones():
    state = live(topics={
        "orders": topic("orders", {"retention.ms": "259200000"}, partitions=6),
        "plain": topic("plain"),
        "__consumer_offsets": topic("__consumer_offsets"),
        "connect-configs": topic("connect-configs"),
        "connect-secure-offsets": topic("connect-secure-offsets"),
        "_schemas": topic("_schemas"),
    })
    imported = build_import(state, ImportOptions("s"))
    assert list(imported.topics) == [
        {"name": "orders", "partitions": 6, "replication_factor": 1, "config": {"retention.ms": "3d"}},
        {"name": "plain", "partitions": 3, "replication_factor": 1},
    ]
    assert any("4 internal topic(s)" in n for n in imported.notes)


def test_filters_apply_to_every_kind_by_name():
    state = live(
        topics={n: topic(n) for n in ("orders.a", "orders.b", "payments.a", "orders.tmp")},
        connectors={"orders-sink": LiveConnector("orders-sink", freeze({"connector.class": "X", "tasks.max": "1"})),
                    "other": LiveConnector("other", freeze({"connector.class": "X", "tasks.max": "1"}))},
        acls={"User:orders-app": LiveAcls("User:orders-app", frozenset({AclBinding("topic", "literal", "t", "READ")})),
              "User:billing": LiveAcls("User:billing", frozenset({AclBinding("topic", "literal", "t", "READ")}))},
    )
    opts = ImportOptions("s", prefixes=("orders",), exclude=(r"\.tmp$",))
    imported = build_import(state, opts)
    assert [t["name"] for t in imported.topics] == ["orders.a", "orders.b"]
    assert [c["name"] for c in imported.connectors] == ["orders-sink"]
    assert [a["principal"] for a in imported.kinds["acls"]] == ["User:orders-app"]
    only = build_import(state, ImportOptions("s", include=("^pay",), connectors=False, skip=frozenset({"acls"})))
    assert [t["name"] for t in only.topics] == ["payments.a"] and not only.connectors and not only.kinds.get("acls")


def test_connector_secrets_become_references_and_provider_placeholders_stay():
    config = {
        "name": "orders-sink", "connector.class": "io.example.JdbcSink", "tasks.max": "2",
        "connection.password": "hunter2-secret",
        "connection.user": "app",
        "db.password": "${file:/etc/kafka/secrets.properties:db.password}",
        "connection.url": "jdbc:postgresql://app:s3cr3t-pw@db:5432/shop",
        "topics": "orders,payments",
        "transforms.x.format": "${topic}-archive",
        "poll.interval.ms": "5000",
    }
    state = live(connectors={"orders-sink": LiveConnector("orders-sink", freeze(config), state="PAUSED")})
    imported = build_import(state, ImportOptions("s"))
    (entry,) = imported.connectors
    assert entry["class"] == "io.example.JdbcSink" and entry["tasks_max"] == 2 and entry["state"] == "paused"
    assert entry["config"] == {
        "connection.password": "${secret:env:ORDERS_SINK_CONNECTION_PASSWORD}",
        "connection.url": "jdbc:postgresql://app:${secret:env:ORDERS_SINK_CONNECTION_URL_PASSWORD}@db:5432/shop",
        "connection.user": "app",
        "db.password": "${file:/etc/kafka/secrets.properties:db.password}",
        "poll.interval.ms": "5000",
        "topics": "orders,payments",
        "transforms.x.format": "$${topic}-archive",   # not a kplan variable: kept literal
    }
    assert dict(imported.variables) == {
        "ORDERS_SINK_CONNECTION_PASSWORD": "connector orders-sink: connection.password",
        "ORDERS_SINK_CONNECTION_URL_PASSWORD": "connector orders-sink: connection.url",
    }
    text = repr(imported)
    assert "hunter2-secret" not in text and "s3cr3t-pw" not in text


def test_secret_policy_for_imported_values():
    assert imported_value("c", "sasl.jaas.config", "x required password=\"p\";") == \
        ("${secret:env:C_SASL_JAAS_CONFIG}", "C_SASL_JAAS_CONFIG")
    assert imported_value("c", "api.token", "${vault:secret/kafka:token}") == ("${vault:secret/kafka:token}", None)
    assert imported_value("9c", "a.password", "pw!") == ("${secret:env:KPLAN_9C_A_PASSWORD}", "KPLAN_9C_A_PASSWORD")
    assert imported_value("c", "topic", "orders") == ("orders", None)
    assert imported_value("c", "a.password", "") == ("", None)


def test_connector_values_escape_what_kplan_would_substitute():
    assert connector_config_value("k", "${env:HOME}/x") == "${env:HOME}/x"
    assert connector_config_value("k", "${NAME}") == "$${NAME}"
    assert connector_config_value("k", "${secret:env:X}") == "$${secret:env:X}"


def test_a_connector_without_tasks_max_is_noted():
    state = live(connectors={"c": LiveConnector("c", freeze({"connector.class": "X"}), state="RUNNING")})
    imported = build_import(state, ImportOptions("s"))
    assert imported.connectors == ({"name": "c", "class": "X"},)
    assert any("no tasks.max" in n for n in imported.notes)


def test_acls_group_operations_per_resource_and_leave_out_what_a_stack_cannot_declare():
    bindings = frozenset({
        AclBinding("topic", "literal", "orders", "WRITE"), AclBinding("topic", "literal", "orders", "DESCRIBE"),
        AclBinding("group", "prefixed", "orders-", "READ"),
        AclBinding("cluster", "literal", "kafka-cluster", "DESCRIBE_CONFIGS"),
        AclBinding("topic", "literal", "payments", "READ", "DENY", "10.0.0.9"),
        AclBinding("delegation_token", "literal", "t", "DESCRIBE"),
    })
    state = live(acls={"User:orders-app": LiveAcls("User:orders-app", bindings)})
    imported = build_import(state, ImportOptions("s"))
    assert imported.kinds["acls"] == ({
        "principal": "User:orders-app",
        "allow": [
            {"resource": "cluster", "operations": ["DESCRIBE_CONFIGS"]},
            {"resource": "group", "name": "orders-", "pattern": "prefixed", "operations": ["READ"]},
            {"resource": "topic", "name": "orders", "operations": ["DESCRIBE", "WRITE"]},
        ],
        "deny": [{"resource": "topic", "name": "payments", "operations": ["READ"], "host": "10.0.0.9"}],
    },)
    assert any("1 ACL binding(s) of User:orders-app" in n for n in imported.notes)


def test_quotas_users_and_resources_of_other_stacks():
    state = live(
        topics={"mine": topic("mine"), "theirs": topic("theirs")},
        quotas={"user=app": LiveQuota(QuotaEntity(user="app"), freeze({"producer_byte_rate": 1048576.0,
                                                                        "request_percentage": 12.5,
                                                                        "controller_mutation_rate": 5.0,
                                                                        "connection_creation_rate": 9.0}))},
        users={"app": LiveUser("app", frozenset({("SCRAM-SHA-512", 4096)}))},
        foreign_owners={"topic.theirs": "payments-stack"},
    )
    imported = build_import(state, ImportOptions("s"))
    assert [t["name"] for t in imported.topics] == ["mine"]
    assert imported.kinds["quotas"] == ({"user": "app", "producer_byte_rate": "1MiB", "request_percentage": 12.5,
                                         "controller_mutation_rate": 5},)
    notes = "\n".join(imported.notes)
    assert "'theirs' left out: the kplan stack 'payments-stack' owns it" in notes
    assert "connection_creation_rate left out" in notes  # (an IP's quota in Kafka: no key of a stack's entry)
    assert "1 SCRAM user(s) not imported" in notes


def test_documents_single_file_or_one_per_kind():
    imported = build_import(live(topics={"t": topic("t")}), ImportOptions("s"))
    cluster = {"bootstrap_servers": "k:9092"}
    assert imported.documents("s", cluster, split=False) == {
        "stack.yaml": {"stack": "s", "cluster": cluster, "topics": [{"name": "t", "partitions": 3,
                                                                     "replication_factor": 1}]}}
    split = imported.documents("s", cluster, split=True)
    assert set(split) == {"stack.yaml", "topics.yaml"} and split["stack.yaml"] == {"stack": "s", "cluster": cluster}
