"""The KafkaStack and KafkaCluster CRDs (dev/build_crds.py, `make crds`) are generated from the stack schema, are
structural as Kubernetes requires (every node typed, or int-or-string, or any value; no `$ref`; no keyword Kubernetes
refuses), and are shipped up to date."""

from __future__ import annotations

import json

import build_crds
import yaml
from build_crds import ANY, cluster_crd, crd, structural

ALLOWED = {"type", "description", "example", "nullable", "enum", "properties", "additionalProperties", "items",
           "required", "anyOf", "oneOf", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
           "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "minProperties", "maxProperties", "format",
           "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-validations"}


def problems(node: dict, path: str = "") -> list[str]:
    """Where `node` breaks the structural rules this generator keeps to."""
    out = [f"{path}: {k}" for k in node if k not in ALLOWED]
    typed = "type" in node or node.get("x-kubernetes-preserve-unknown-fields") or node.get("x-kubernetes-int-or-string")
    if not typed:
        out.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        out.append(f"{path}: properties beside additionalProperties")
    for branch in node.get("anyOf", []) + node.get("oneOf", []):
        if set(branch) - {"required", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength"}:
            out.append(f"{path}: a branch declares {sorted(branch)}")
    for key, sub in node.get("properties", {}).items():
        out += problems(sub, f"{path}.{key}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            out += problems(node[key], f"{path}.{key}")
    return out


def test_the_crd_is_structural():
    schema = json.loads(build_crds.STACK_SCHEMA.read_text())
    spec = crd(schema)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert problems(spec) == []
    topic = spec["properties"]["spec"]["properties"]["topics"]["items"]
    assert topic["type"] == "object" and "name" in topic["required"]
    # a count, or a ${VAR} reference substituted before kplan validates it
    assert topic["properties"]["partitions"]["x-kubernetes-int-or-string"] is True


def test_a_spec_names_a_configmap_or_is_a_stack_not_both():
    spec = crd(json.loads(build_crds.STACK_SCHEMA.read_text()))["spec"]["versions"][0]["schema"]["openAPIV3Schema"][
        "properties"]["spec"]
    assert spec["properties"]["source"]["properties"]["configMap"]["required"] == ["name"]
    rule = spec["x-kubernetes-validations"][0]
    # every typed stack key is refused beside `source` (CEL cannot name a key of any value: kplan refuses those)
    for key in ("stack", "cluster", "topics", "connectors", "subjects", "environments"):
        assert f"has(self.{key})" in rule["rule"]
    assert rule["rule"].count("has(self.source)") == 1 and "has(self.vars)" not in rule["rule"]


def test_a_spec_names_a_kafkacluster_or_declares_its_cluster_not_both():
    spec = crd(json.loads(build_crds.STACK_SCHEMA.read_text()))["spec"]["versions"][0]["schema"]["openAPIV3Schema"][
        "properties"]["spec"]
    assert spec["properties"]["clusterRef"]["required"] == ["name"]
    rule = spec["x-kubernetes-validations"][1]
    assert rule["rule"] == "!has(self.clusterRef) || !(has(self.cluster) || has(self.clusters))"


def test_the_kafkacluster_crd_is_the_stack_schemas_cluster_section_and_secret_references():
    schema = json.loads(build_crds.STACK_SCHEMA.read_text())
    made = cluster_crd(schema)
    assert made["spec"]["scope"] == "Cluster" and made["spec"]["names"]["kind"] == "KafkaCluster"
    spec = made["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert problems(spec) == []
    assert set(spec["properties"]) == {*schema["$defs"]["cluster"]["properties"], "secrets"}
    assert spec["properties"]["bootstrap_servers"] == structural(
        schema["$defs"]["cluster"]["properties"]["bootstrap_servers"], schema["$defs"])
    assert spec["required"] == ["bootstrap_servers"]
    secret = spec["properties"]["secrets"]["additionalProperties"]
    assert secret["required"] == ["name", "namespace", "key"] and "value" not in secret["properties"]


def test_what_kubernetes_can_say_is_kept_the_rest_dropped():
    defs = {"size": {"type": "integer", "minimum": 1, "default": 3, "examples": [3, 6]}}
    node = {"type": "object", "additionalProperties": False, "required": ["n"], "$comment": "x",
            "properties": {"n": {"$ref": "#/$defs/size", "description": "mine"},
                           "mode": {"const": "fast"},
                           "either": {"type": ["integer", "string"], "pattern": "^[0-9]+$"},
                           "anything": {"type": ["string", "array"]},
                           "maybe": {"type": ["string", "null"], "minLength": 1},
                           "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                           "one": {"anyOf": [{"type": "string", "minLength": 1}, {"$ref": "#/$defs/size"}]}}}
    assert structural(node, defs) == {
        "required": ["n"], "type": "object", "properties": {
            "n": {"minimum": 1, "description": "mine", "example": 3, "type": "integer"},
            "mode": {"type": "string", "enum": ["fast"]},
            "either": {"x-kubernetes-int-or-string": True},
            "anything": ANY,
            "maybe": {"minLength": 1, "nullable": True, "type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "one": {"x-kubernetes-int-or-string": True}}}


def test_a_definition_that_holds_itself_is_any_value_there():
    defs = {"tree": {"type": "object", "properties": {"child": {"$ref": "#/$defs/tree"}}}}
    assert structural({"$ref": "#/$defs/tree"}, defs) == {"type": "object", "properties": {"child": {
        "description": "", **ANY}}}


def test_the_shipped_crds_are_up_to_date():
    schema = json.loads(build_crds.STACK_SCHEMA.read_text())
    for target, make in ((build_crds.TARGET, crd), (build_crds.CLUSTER_TARGET, cluster_crd)):
        assert target.read_text() == build_crds.render(make(schema)), "run make crds"
        assert yaml.safe_load(target.read_text()) == make(schema)
