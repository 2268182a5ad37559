"""kplan.importer.strimzi: KafkaTopic, KafkaUser and KafkaConnector manifests -> the live state they describe, written
by kplan import's own pipeline; what kplan does not import listed with why; anything else one located line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kplan.errors import KplanError
from kplan.importer.build import ImportOptions, build_import
from kplan.importer.sources import Source
from kplan.importer.strimzi import translate
from kplan.kinds.livejson import live_state_from_dict

EXAMPLE = (Path(__file__).resolve().parents[2] / "integration" / "strimzi" / "shop.yaml").read_text()


def test_the_examples_become_kplans_entries_principals_as_the_user_operator_names_them():
    document, unmapped = translate([Source("shop.yaml", "/k8s", EXAMPLE.replace("PREFIX", "t"))])
    imported = build_import(live_state_from_dict(document), ImportOptions("shop"))
    assert imported.topics == (  # by name; a KafkaTopic without spec.topicName is named after itself
        {"name": "t-payments", "partitions": 1, "replication_factor": 1},
        {"name": "t.orders", "labels": {"app": "shop"}, "partitions": 3, "replication_factor": 1,
         "config": {"cleanup.policy": ["compact", "delete"], "retention.ms": "7d", "segment.bytes": "1GiB"}})
    assert imported.kinds["acls"] == (
        {"principal": "User:CN=t-writer", "allow": [
            {"resource": "topic", "name": "t.", "pattern": "prefixed", "operations": ["DESCRIBE", "WRITE"]}]},
        {"principal": "User:t-app", "allow": [
            {"resource": "group", "name": "t-", "pattern": "prefixed", "operations": ["READ"]},
            {"resource": "topic", "name": "t.orders", "operations": ["DESCRIBE", "READ"]}]})
    assert imported.kinds["quotas"] == ({"user": "t-app", "consumer_byte_rate": "2MiB", "producer_byte_rate": "1MiB",
                                         "request_percentage": 55},)
    (connector,) = imported.connectors
    assert connector["name"] == "t-sink" and connector["config"]["topics"] == "t.orders"
    assert [(u.where, u.what) for u in unmapped] == [("shop.yaml:37", "KafkaUser t-app: SCRAM-SHA-512 credential")]


@pytest.mark.parametrize(("text", "error"), [
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
     "k.yaml:2: Deployment (apps/v1) is not a resource kplan imports from Strimzi: give only KafkaTopic, KafkaUser, "
     "KafkaConnector manifests"),
    ("apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata: {name: my-cluster}\n",
     "k.yaml:2: Kafka (kafka.strimzi.io/v1beta2) is not a resource kplan imports"),
    ("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata: {name: t}\nspec: {partitions: 1}\n",
     "k.yaml:4: spec.replicas must be a positive whole number (got None)"),
    ("apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata: {name: t}\nspec: {partitions: 1, replicas: 1}\n"
     "---\napiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata:\n  name: t\n"
     "spec: {partitions: 1, replicas: 1}\n",
     "k.yaml:9: KafkaTopic 't' is given twice (also at k.yaml:3)"),
    ("kind: [", "k.yaml:1: not valid YAML"),
])
def test_anything_else_is_one_located_line(text, error):
    with pytest.raises(KplanError) as e:
        translate([Source("k.yaml", "/k8s", text)])
    assert error in str(e.value) and "\n" not in str(e.value)
