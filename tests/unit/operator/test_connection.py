"""kplan.operator.connection: a KafkaStack's connection from the KafkaCluster it names, as the stack file's
`cluster:`, its places said as the KafkaCluster's (pure; on a real API server:
tests/integration/test_kubernetes_kafkacluster.py)."""

from __future__ import annotations

import yaml

from kplan.operator.connection import SecretKey, appended, cluster_paths, cluster_ref, connection_of, with_cluster
from kplan.operator.located import spec_text
from kplan.operator.source import mixed

PROD = {"metadata": {"name": "prod"}, "spec": {
    "bootstrap_servers": "k:9092", "client": {"sasl.password": "${secret:env:KAFKA_PASSWORD}"},
    "secrets": {"KAFKA_PASSWORD": {"name": "creds", "namespace": "kplan-system", "key": "password"}}}}


def test_the_reference_and_the_connection():
    assert cluster_ref({"clusterRef": {"name": "prod"}, "topics": []}) == "prod"
    assert cluster_ref({"clusterRef": {}}) is None and cluster_ref({"topics": []}) is None and cluster_ref(None) is None
    c = connection_of(PROD)
    assert c.section == {"bootstrap_servers": "k:9092", "client": {"sasl.password": "${secret:env:KAFKA_PASSWORD}"}}
    assert c.secrets == (SecretKey("KAFKA_PASSWORD", "kplan-system", "creds", "password"),)
    # a ConfigMap stack names its KafkaCluster beside its source: that is no stack key
    assert mixed({"source": {}, "clusterRef": {"name": "prod"}}) == []


def test_the_section_is_the_stacks_cluster_and_its_places_are_the_kafkaclusters():
    c = connection_of(PROD)
    stack = with_cluster({"stack": "s", "clusterRef": {"name": "prod"}, "topics": [{"name": "t"}]}, c)
    assert stack == {"stack": "s", "topics": [{"name": "t"}], "cluster": c.section}
    text, paths = spec_text(stack)
    said = cluster_paths(paths, c)
    line = next(i for i, t in enumerate(text.splitlines()) if '"bootstrap_servers"' in t)
    assert said[line] == "KafkaCluster prod: spec.bootstrap_servers"
    assert said[1] == "spec.stack" and paths == cluster_paths(paths, None)


def test_a_configmaps_stack_file_gets_the_section_after_its_own_lines():
    text = b"stack: s\ntopics:\n  - name: t\n"
    out = appended(text, connection_of(PROD))
    assert out.startswith(text)
    assert yaml.safe_load(out) == {"stack": "s", "topics": [{"name": "t"}], "cluster": connection_of(PROD).section}
