"""kplan.importer.kafka_gitops: kafka-gitops' desired state -> the live state it describes, with the bindings
kafka-gitops itself generates for its services; a kafka-streams service listed as not mapped; bad input one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kplan.errors import KplanError
from kplan.importer.build import ImportOptions, build_import
from kplan.importer.kafka_gitops import translate
from kplan.importer.sources import Source
from kplan.kinds.livejson import live_state_from_dict

EXAMPLE = (Path(__file__).resolve().parents[2] / "integration" / "kafka_gitops" / "state.yaml").read_text()


def test_the_example_becomes_topics_and_the_bindings_kafka_gitops_generates():
    document, unmapped = translate([Source("state.yaml", "/g", EXAMPLE.replace("XPFX", "t"))])
    imported = build_import(live_state_from_dict(document), ImportOptions("shop"))
    assert imported.topics == (
        {"name": "t.orders", "partitions": 3, "replication_factor": 1,
         "config": {"cleanup.policy": "compact", "retention.ms": "7d"}},
        {"name": "t.payments", "partitions": 1, "replication_factor": 1})
    acls = {a["principal"]: a["allow"] for a in imported.kinds["acls"]}
    assert acls["User:t-orders"] == [
        {"resource": "group", "name": "t-orders-service", "operations": ["READ"]},
        {"resource": "topic", "name": "t.orders", "operations": ["WRITE"]},
        {"resource": "topic", "name": "t.payments", "operations": ["READ"]},
        {"resource": "topic", "name": "t.", "pattern": "prefixed", "operations": ["DESCRIBE"]}]
    assert acls["User:t-connect"] == [
        {"resource": "group", "name": "connect-t-sink", "operations": ["READ"]},
        {"resource": "group", "name": "t-connect", "operations": ["READ"]},
        {"resource": "topic", "name": "connect-configs-t-connect", "operations": ["READ", "WRITE"]},
        {"resource": "topic", "name": "connect-offsets-t-connect", "operations": ["READ", "WRITE"]},
        {"resource": "topic", "name": "connect-status-t-connect", "operations": ["READ", "WRITE"]},
        {"resource": "topic", "name": "t.orders", "operations": ["READ"]}]
    assert acls["User:t-analyst"] == [{"resource": "topic", "name": "t.orders", "operations": ["DESCRIBE_CONFIGS"]}]
    assert unmapped == ()


def test_a_streams_service_is_listed_and_a_split_state_needs_every_file():
    streams = "services:\n  app:\n    type: kafka-streams\n    principal: User:app\n    consumes: [a]\n"
    topics = "topics:\n  a: {partitions: 1, replication: 1}\n"
    _, unmapped = translate([Source("services.yaml", "/g", streams), Source("topics.yaml", "/g", topics)])
    assert [(u.where, u.what) for u in unmapped] == [("services.yaml:3", "service app (kafka-streams)")]
    with pytest.raises(KplanError, match="settings.files.topics names 'topics.yaml': give that file too"):
        translate([Source("state.yaml", "/g", "settings:\n  files:\n    topics: topics.yaml\n" + streams)])


@pytest.mark.parametrize(("text", "error"), [
    ("topics:\n  a: {partitions: 1}\n", "state.yaml:2: replication (or settings.topics.defaults) must be a positive"),
    ("apiVersion: v1\nkind: ConfigMap\n", "state.yaml:1: not a kafka-gitops state file"),
    ("services:\n  s: {type: application, produces: [a]}\n", "state.yaml:2: an ACL without a principal"),
    ("services:\n  s: {type: ksql, principal: 'User:s'}\n", "state.yaml:2: service 's' has type 'ksql'"),
    ("settings: {}\n", "state.yaml: no topics, services or custom ACLs"),
])
def test_bad_input_is_one_line(text, error):
    with pytest.raises(KplanError) as e:
        translate([Source("state.yaml", "/g", text)])
    assert error in str(e.value) and "\n" not in str(e.value)
