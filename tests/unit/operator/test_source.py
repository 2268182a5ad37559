"""kplan.operator.source: the ConfigMap a KafkaStack takes its stack from, its keys as files, and places in them
named as the ConfigMap's (pure; on a real API server: tests/integration/test_kubernetes_configmap.py)."""

from __future__ import annotations

import base64

from kplan.operator.source import ConfigMapRef, configmap_ref, files_of, in_configmap, mixed


def test_the_reference_and_its_default_key():
    assert configmap_ref({"source": {"configMap": {"name": "orders"}}}) == ConfigMapRef("orders", "stack.yaml")
    assert configmap_ref({"source": {"configMap": {"name": "o", "key": "main.yaml"}}}) == ConfigMapRef("o", "main.yaml")
    assert configmap_ref({"stack": "s", "topics": []}) is None and configmap_ref(None) is None
    assert mixed({"source": {}, "topics": [], "vars": {}}) == ["topics", "vars"] and mixed({"topics": []}) == []


def test_every_key_is_a_file_and_places_are_named_as_the_configmaps():
    blob = base64.b64encode(b"\0").decode()
    files = files_of({"data": {"stack.yaml": "stack: s\n"}, "binaryData": {"blob.bin": blob}})
    assert files == {"stack.yaml": b"stack: s\n", "blob.bin": b"\0"}
    ref = ConfigMapRef("orders", "stack.yaml")
    said = in_configmap("/w/ns/s/configmap/stack.yaml:13:5: duplicate topic; see /w/ns/s/configmap/order.avsc:1",
                        "/w/ns/s/configmap", ref)
    assert said == "configmap/orders/stack.yaml:13:5: duplicate topic; see configmap/orders/order.avsc:1"
