#!/usr/bin/env python3
"""`make crds`: writes deploy/kubernetes/crds/, the KafkaStack custom resource definition (its spec a stack file's
content) and the cluster-scoped KafkaCluster's (its spec a stack file's `cluster:` section, which stacks name by
`clusterRef`), generated from kplan's own stack schema (kplan/schemas/stack.schema.json) so that the API server
refuses what the schema refuses where Kubernetes can say it. `--check` writes nothing and exits 1 when a shipped file
is out of date.

Kubernetes takes only a *structural* schema (its CRD documentation, "Specifying a structural schema"): no `$ref`,
one `type` per node (or `x-kubernetes-int-or-string`, or `x-kubernetes-preserve-unknown-fields` for any value), no
`properties` beside `additionalProperties`, in `anyOf`/`oneOf` only value checks of what the node itself declares,
and a subset of JSON Schema's keywords. `structural` keeps every check that survives that translation (types,
required keys, bounds, lengths, patterns, enums, object shapes) and drops the rest, listed in DROPPED: a value of
several JSON types other than integer-or-string is kept as any value; `default`s are dropped (kplan applies its own:
the API server would write them into the stored resource); `examples` become the one `example` OpenAPI has. What is
dropped is still checked by kplan when it loads the resource's spec, as for a stack file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
STACK_SCHEMA = ROOT / "kplan" / "schemas" / "stack.schema.json"
CRDS = ROOT / "deploy" / "kubernetes" / "crds"
TARGET = CRDS / "kafkastacks.kplan.dev.yaml"
CLUSTER_TARGET = CRDS / "kafkaclusters.kplan.dev.yaml"
GROUP, KIND, PLURAL, VERSION = "kplan.dev", "KafkaStack", "kafkastacks", "v1alpha1"

KEPT = {"description", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "minProperties", "maxProperties", "required",
        "format"}
# JSON Schema's keywords a structural schema has no place for (kplan checks them when it loads the spec)
DROPPED = {"$schema", "$id", "$comment", "title", "default", "examples", "if", "then", "else", "not",
           "propertyNames", "patternProperties", "uniqueItems", "x-kafka-versions", "dependentRequired"}
ANY = {"x-kubernetes-preserve-unknown-fields": True}


def _types(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...]) -> set[str]:
    """The JSON types a value of `node` may have ('number' covers 'integer')."""
    node = _resolved(node, defs, seen)[0]
    if "type" in node:
        found = set(node["type"]) if isinstance(node["type"], list) else {node["type"]}
    elif "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        found = {_json_type(v) for v in values}
    else:
        found = set()
        for branch in node.get("anyOf", []) + node.get("oneOf", []):
            found |= _types(branch, defs, seen) or {"any"}
        if not found:
            found = {"any"}
    if {"integer", "number"} <= found:
        found.discard("integer")
    return found


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _resolved(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...]) -> tuple[dict[str, Any], tuple]:
    """A `$ref` replaced by its definition (the node's own words kept over the definition's), and an `allOf`'s parts
    merged into the node (each holds for the node itself)."""
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return {**ANY, "description": node.get("description", "")}, seen
        seen = (*seen, name)
        node = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for part in node["allOf"]:
            part = _resolved(part, defs, seen)[0]
            if "if" in part:  # keys that only a case allows (a policy rule's per type): any case's keys
                cases = [c for c in (part.get("then"), part.get("else")) if isinstance(c, dict)]
                merged["_cases"] = [*merged.get("_cases", []), *(c.get("properties", {}) for c in cases)]
                continue
            props = {**part.get("properties", {}), **merged.get("properties", {})}
            required = [*merged.get("required", []), *part.get("required", [])]
            merged = {**part, **merged, **({"properties": props} if props else {}),
                      **({"required": required} if required else {})}
        node = merged
    return node, seen


def structural(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """`node` of the stack schema as a structural schema (see the module's words)."""
    node, seen = _resolved(node, defs, seen)
    out: dict[str, Any] = {k: v for k, v in node.items() if k in KEPT}
    if node.get("examples"):
        out["example"] = node["examples"][0]
    types = _types(node, defs, seen)
    nullable = "null" in types
    types.discard("null")
    if nullable:
        out["nullable"] = True
    if types == {"integer", "string"}:
        return _scalar_checks({**out, "x-kubernetes-int-or-string": True})
    if len(types) != 1 or types == {"any"}:
        return {**{k: v for k, v in out.items() if k in ("description", "example", "nullable")}, **ANY}
    (kind,) = types
    out["type"] = kind
    values = [node["const"]] if "const" in node else node.get("enum")
    if values is not None:
        out["enum"] = [v for v in values if v is not None]
    branches = [_resolved(b, defs, seen)[0] for b in node.get("anyOf", []) + node.get("oneOf", [])]
    if kind == "object":
        _object(out, node, branches, defs, seen)
    elif kind == "array":
        items = node.get("items") or next((b["items"] for b in branches if "items" in b), None)
        out["items"] = structural(items, defs, seen) if items else ANY
    elif branches and all("enum" in b or "const" in b for b in branches):  # a choice among the branches' values
        out["enum"] = [v for b in branches for v in ([b["const"]] if "const" in b else b["enum"])]
    return out


def _object(out: dict[str, Any], node: dict[str, Any], branches: list[dict[str, Any]], defs: dict[str, Any],
            seen: tuple[str, ...]) -> None:
    """An object's keys: its own and its branches' (a structural schema's branches may only require them)."""
    props: dict[str, Any] = {}
    for source in (node, *branches):
        for key, schema in source.get("properties", {}).items():
            props.setdefault(key, structural(schema, defs, seen))
    cased: dict[str, Any] = {}
    for case in node.get("_cases", []):
        for key, schema in case.items():
            if schema and key not in props:
                converted = structural(schema, defs, seen)
                plain = {k: v for k, v in converted.items() if k not in ("description", "example")}
                if key in cased and cased[key] != plain:
                    plain = ANY  # cases that type it differently: any value here, kplan checks it per case
                cased[key] = plain
    words = "What it means depends on the entry's type: see the reference."
    props.update({k: {"description": words, **v} for k, v in cased.items()})
    extra = node.get("additionalProperties")
    if props:
        out["properties"] = props
        if extra not in (None, False) or "patternProperties" in node:
            out["x-kubernetes-preserve-unknown-fields"] = True  # keys beyond those named: kept, checked by kplan
    elif isinstance(extra, dict):
        out["additionalProperties"] = structural(extra, defs, seen)
    else:
        out["x-kubernetes-preserve-unknown-fields"] = True
    required = [b["required"] for b in branches if b.get("required")]
    if required and len(required) == len(branches):
        out[("oneOf" if "oneOf" in node else "anyOf")] = [{"required": r} for r in required]


def _scalar_checks(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k not in ("minLength", "maxLength", "pattern", "minimum", "maximum")}


CLUSTER_REF = {
    "description": "The cluster-scoped KafkaCluster whose connection the stack uses as its `cluster:` (then the stack "
                   "declares none of its own). A changed KafkaCluster is planned again. See docs/kubernetes.md.",
    "type": "object", "required": ["name"],
    "properties": {"name": {"description": "The KafkaCluster's name.", "type": "string", "minLength": 1}}}
SECRET_REF = {
    "description": "A key of a Kubernetes Secret: its value is the environment variable this entry is named after, "
                   "which the connection's ${secret:env:NAME} references read. Never copied into a status.",
    "type": "object", "required": ["name", "namespace", "key"],
    "properties": {"name": {"description": "The Secret's name.", "type": "string", "minLength": 1},
                   "namespace": {"description": "The Secret's namespace.", "type": "string", "minLength": 1},
                   "key": {"description": "The key in the Secret's data.", "type": "string", "minLength": 1}}}
ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$"

SOURCE = {
    "description": "Where the stack is, when not in the spec itself (then the spec holds nothing else).",
    "type": "object", "required": ["configMap"],
    "properties": {"configMap": {
        "description": "A ConfigMap of the resource's namespace whose keys are the stack's files (a stack file, the "
                       "schema and policy files it names beside it), e.g. made by kustomize's configMapGenerator. "
                       "A changed ConfigMap is planned again. See docs/kubernetes.md.",
        "type": "object", "required": ["name"],
        "properties": {
            "name": {"description": "The ConfigMap's name.", "type": "string", "minLength": 1},
            "key": {"description": "The key of the stack file (default stack.yaml).", "type": "string",
                    "minLength": 1, "pattern": "^[-._a-zA-Z0-9]+$"}}}}}


def crd(schema: dict[str, Any]) -> dict[str, Any]:
    """The KafkaStack CRD: `spec` is a stack file's content, or `source:` naming where it is; `status` is the
    operator's."""
    spec = structural({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    spec["properties"].pop("$schema", None)  # an editor's hint in a file, not part of a stack
    # CEL sees only the keys of a known type (a key of any value is kplan's to refuse beside `source`)
    stack_keys = [k for k, v in spec["properties"].items()
                  if "type" in v and "type" in v.get("additionalProperties", {"type": v["type"]})]
    spec["properties"]["source"] = SOURCE
    spec["properties"]["clusterRef"] = CLUSTER_REF
    own_cluster = [k for k in ("cluster", "clusters") if k in stack_keys]
    spec["x-kubernetes-validations"] = [{
        "rule": "!has(self.source) || !(" + " || ".join(f"has(self.{k})" for k in stack_keys) + ")",
        "message": "spec.source: a stack from a ConfigMap takes no stack keys beside it: put them in its files"}, {
        "rule": "!has(self.clusterRef) || !(" + " || ".join(f"has(self.{k})" for k in own_cluster) + ")",
        "message": "spec.clusterRef: a stack that names a KafkaCluster declares no cluster of its own: remove "
                   "spec.cluster (its connection is the KafkaCluster's spec)"}]
    spec["description"] = ("A kplan stack: the content of a stack file (docs/stack-format.md), or `source` naming the "
                           "ConfigMap that holds it; `clusterRef` names the KafkaCluster it runs against.")
    return _definition("Namespaced", PLURAL, KIND, "kstack", spec)


def cluster_crd(schema: dict[str, Any]) -> dict[str, Any]:
    """The KafkaCluster CRD (cluster-scoped): `spec` is a stack file's `cluster:` section, whose secrets are
    ${secret:env:NAME} references, and `secrets` says which Secret key each NAME is."""
    spec = structural(schema["$defs"]["cluster"], schema["$defs"])
    assert "secrets" not in spec["properties"], "the stack schema's cluster section has a key `secrets` now"
    spec["properties"]["secrets"] = {
        "description": "NAME -> the Secret key whose value ${secret:env:NAME} reads in this connection (the "
                       "operator reads it; it is never written to a status, an event or a log).",
        "type": "object", "additionalProperties": SECRET_REF,
        "x-kubernetes-validations": [{"rule": f"self.all(k, k.matches('{ENV_NAME}'))",
                                      "message": "spec.secrets: each key is an environment variable's name "
                                                 "([A-Za-z_][A-Za-z0-9_]*) that a ${secret:env:NAME} reference reads"}]}
    spec["required"] = ["bootstrap_servers"]
    spec["description"] = ("A Kafka cluster's connection as a stack file's `cluster:` section (docs/stack-format.md), "
                           "for the KafkaStacks that name it in spec.clusterRef; `secrets` names the Secret keys its "
                           "${secret:env:NAME} references read.")
    return _definition("Cluster", "kafkaclusters", "KafkaCluster", "kcluster", spec)


def _definition(scope: str, plural: str, kind: str, short: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {"group": GROUP, "scope": scope,
                 "names": {"plural": plural, "singular": kind.lower(), "kind": kind, "shortNames": [short]},
                 "versions": [{"name": VERSION, "served": True, "storage": True, "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {
                                   "type": "object", "required": ["spec"],
                                   "properties": {"spec": spec, "status": {"type": "object", **ANY}}}}}]}}


def render(doc: dict[str, Any]) -> str:
    head = ("# GENERATED by `make crds` (dev/build_crds.py) from kplan/schemas/stack.schema.json: edit those, not "
            "this file.\n")
    return head + yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, width=120, allow_unicode=True)


class _NoAliases(yaml.SafeDumper):
    """Every value written out where it is (a shared example is not an anchor a reader must look up)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: list[str]) -> int:
    schema = json.loads(STACK_SCHEMA.read_text(encoding="utf-8"))
    stale = 0
    for target, make in ((TARGET, crd), (CLUSTER_TARGET, cluster_crd)):
        text = render(make(schema))
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            continue
        if argv == ["--check"]:
            print(f"out of date (run make crds): {target.relative_to(ROOT)}")
            stale = 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"written: {target.relative_to(ROOT)}")
    return stale


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
