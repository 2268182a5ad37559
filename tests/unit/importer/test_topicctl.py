"""kplan.importer.topicctl: topicctl's cluster and topic files -> a kplan stack, what it cannot map listed with why,
bad input one located error."""

from __future__ import annotations

import textwrap

import pytest

from kplan.errors import KplanError
from kplan.importer.topicctl import Source, translate

CLUSTER = """\
meta:
  name: prod
  environment: production
  region: eu-west-1
spec:
  bootstrapAddrs: [b1:9092, b2:9092]
"""


def topic(name: str, spec: str, cluster: str = "prod", meta: str = "") -> str:
    return textwrap.dedent(f"""\
        meta:
          name: {name}
          cluster: {cluster}
          environment: production
          region: eu-west-1
        """) + textwrap.indent(textwrap.dedent(meta), "  ") + "spec:\n" + textwrap.indent(textwrap.dedent(spec), "  ")


def run(*files: tuple[str, str]):
    return translate([Source(path, "/repo/clusters/prod", text) for path, text in files])


def test_topics_keep_their_settings_as_topicctl_sends_them_in_human_units_and_their_files():
    orders = topic("orders", """\
        partitions: 6
        replicationFactor: 3
        retentionMinutes: 1440
        placement: {strategy: any}
        settings:
          cleanup.policy: [compact, delete]
          max.message.bytes: 2097152
          min.cleanable.dirty.ratio: 0.5
          unclean.leader.election.enable: false
          segment.ms: 3600000.0
        """, meta="description: |\n  Orders placed.\nlabels: {team: orders}\n")
    payments = topic("payments", "partitions: 1\nreplicationFactor: 1\n")
    t = run(("cluster.yaml", CLUSTER), ("topics/orders.yaml", orders + "---\n" + payments),
            ("topics/audit.yml", topic("audit", "partitions: 2\nreplicationFactor: 3\n")))
    assert t.cluster == {"bootstrap_servers": "b1:9092,b2:9092"}
    assert list(t.groups) == ["orders.yaml", "audit.yaml"]
    assert t.groups["orders.yaml"][0] == {
        "name": "orders", "description": "Orders placed.", "labels": {"team": "orders"}, "partitions": 6,
        "replication_factor": 3,
        "config": {"cleanup.policy": ["compact", "delete"], "max.message.bytes": "2MiB",
                   "min.cleanable.dirty.ratio": "0.50", "retention.ms": "1d", "segment.ms": "1h",
                   "unclean.leader.election.enable": False}}
    assert [e["name"] for e in t.groups["orders.yaml"]] == ["orders", "payments"]
    assert t.unmapped == () and t.variables == {}
    docs = t.documents("shop", split=True)
    assert docs["stack.yaml"] == {"stack": "shop", "cluster": {"bootstrap_servers": "b1:9092,b2:9092"}}
    assert [e["name"] for e in docs["orders.yaml"]["topics"]] == ["orders", "payments"]
    one = t.documents("shop", split=False)
    assert list(one) == ["stack.yaml"] and [e["name"] for e in one["stack.yaml"]["topics"]] == \
        ["orders", "payments", "audit"]


def test_what_kplan_has_no_place_for_is_listed_with_where_and_why():
    spec = """\
        partitions: 3
        replicationFactor: 3
        placement: {strategy: in-rack, picker: lowest-index}
        migration: {throttleMB: 40, partitionBatchSize: 2}
        """
    cluster = CLUSTER + "  zkAddrs: [zk:2181]\n  defaultThrottleMB: 50\n"
    t = run(("c.yaml", cluster), ("t.yaml", topic("orders", spec, meta="consumers: [billing]\nlabels: {'a b': x}\n")))
    rows = {(u.where, u.what) for u in t.unmapped}
    assert rows == {("c.yaml:7", "cluster prod: zkAddrs"), ("c.yaml:8", "cluster prod: defaultThrottleMB"),
                    ("t.yaml:11", "topic orders: placement in-rack"), ("t.yaml:12", "topic orders: migration"),
                    ("t.yaml:6", "topic orders: consumers"), ("t.yaml:7", "topic orders: label 'a b'")}
    assert all(u.why for u in t.unmapped)
    assert "labels" not in t.groups["t.yaml"][0]


def test_tls_and_sasl_become_client_settings_and_the_password_a_reference():
    cluster = CLUSTER + textwrap.indent(textwrap.dedent("""\
        clusterID: abc-123
        tls: {enabled: true, caCertPath: certs/ca.pem, skipVerify: true}
        sasl: {enabled: true, mechanism: scram-sha-512, username: kplan, password: hunter2}
        """), "  ")
    t = run(("cluster.yaml", cluster))
    assert t.cluster == {"id": "abc-123", "bootstrap_servers": "b1:9092,b2:9092", "client": {
        "security.protocol": "SASL_SSL", "ssl.ca.location": "/repo/clusters/prod/certs/ca.pem",
        "enable.ssl.certificate.verification": False, "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "kplan",
        "sasl.password": "${secret:env:PROD_SASL_PASSWORD}"}}
    assert list(t.variables) == ["PROD_SASL_PASSWORD"]
    assert "hunter2" not in repr(t)


@pytest.mark.parametrize(("files", "error"), [
    ((("t.yaml", topic("orders", "partitions: 1\nreplicationFactor: 1\n")),),
     "needs exactly one topicctl cluster config (its cluster.yaml) among the paths; found none"),
    ((("c.yaml", CLUSTER), ("t.yaml", topic("orders", "partitions: 0\nreplicationFactor: 1\n"))),
     "t.yaml:7: spec.partitions must be a positive whole number (got 0)"),
    ((("c.yaml", CLUSTER), ("t.yaml", topic("orders", "partitions: 1\nreplicationFactor: 1\n", cluster="dev"))),
     "t.yaml:3: topic 'orders' is for cluster 'dev', not 'prod'"),
    ((("c.yaml", CLUSTER), ("t.yaml", topic("orders", "partitions: 1\nreplicationFactor: 1\n")),
      ("u.yaml", topic("orders", "partitions: 1\nreplicationFactor: 1\n"))),
     "u.yaml:2: topic 'orders' is declared twice (also at t.yaml:2)"),
    ((("c.yaml", CLUSTER), ("t.yaml", "meta: {name: x}\nspec: {partitions: [1\n")), "t.yaml:3: not valid YAML"),
    ((("c.yaml", CLUSTER), ("k.yaml", "apiVersion: v1\nkind: ConfigMap\n")), "k.yaml:1: not a topicctl config"),
    ((("c.yaml", CLUSTER), ("t.yaml", topic("o", "partitions: 1\nreplicationFactor: 1\nretentionMinutes: 5\n"
                                                  "settings: {retention.ms: 100}\n"))),
     "t.yaml:9: topic 'o' sets both retentionMinutes and settings' retention.ms"),
    ((("c.yaml", CLUSTER + "  sasl: {enabled: true, mechanism: AWS-MSK-IAM}\n"),),
     "c.yaml:7: SASL mechanism 'AWS-MSK-IAM' cannot be imported"),
])
def test_bad_input_is_one_located_line(files, error):
    with pytest.raises(KplanError) as e:
        run(*files)
    assert error in str(e.value)
    assert "\n" not in str(e.value)
