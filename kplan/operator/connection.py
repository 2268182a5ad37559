"""A KafkaStack that names a cluster-scoped KafkaCluster (`spec.clusterRef: {name}`) instead of declaring its own
`cluster:`: the KafkaCluster's spec is that section (the stack schema's, as the CRD checks it) and its `secrets`
map each ${secret:env:NAME} the section references to a key of a Kubernetes Secret, so that hundreds of stacks share
one connection and one place for its credentials. Pure: the operator reads the KafkaCluster and its Secrets
(kplan.operator.reconcile) and hands them here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

CLUSTER_REF = "clusterRef"
SECRETS = "secrets"


@dataclass(frozen=True)
class SecretKey:
    """The Secret key whose value is the environment variable `env`."""

    env: str
    namespace: str
    name: str
    key: str


@dataclass(frozen=True)
class Connection:
    """A KafkaCluster as a stack uses it: its name, the `cluster:` section, and the Secret keys that section reads."""

    name: str
    section: dict[str, Any]
    secrets: tuple[SecretKey, ...]

    @property
    def said(self) -> str:
        """How a place in the section is named to the stack's author."""
        return f"KafkaCluster {self.name}: spec"


def cluster_ref(spec: Mapping[str, Any] | None) -> str | None:
    """The KafkaCluster the spec names, or None (the stack declares its own cluster)."""
    ref = (spec or {}).get(CLUSTER_REF)
    name = ref.get("name") if isinstance(ref, dict) else None
    return name if isinstance(name, str) and name else None


def connection_of(kafkacluster: Mapping[str, Any]) -> Connection:
    spec = dict(kafkacluster.get("spec") or {})
    refs = spec.pop(SECRETS, None) or {}
    secrets = tuple(SecretKey(env, str(r.get("namespace", "")), str(r.get("name", "")), str(r.get("key", "")))
                    for env, r in sorted(refs.items()) if isinstance(r, dict))
    return Connection(kafkacluster["metadata"]["name"], spec, secrets)


def with_cluster(stack: Mapping[str, Any], connection: Connection | None) -> dict[str, Any]:
    """The stack's content with the KafkaCluster's section as its `cluster:` (and no clusterRef)."""
    out = {k: v for k, v in stack.items() if k != CLUSTER_REF}
    if connection is not None:
        out["cluster"] = connection.section
    return out


def cluster_paths(paths: list[str], connection: Connection | None) -> list[str]:
    """The field paths of a stack file's lines (kplan.operator.located.spec_text) with those of the `cluster:` that
    came from the KafkaCluster said as the KafkaCluster's (`KafkaCluster prod: spec.bootstrap_servers`)."""
    if connection is None:
        return paths
    return [connection.said + p[len("spec.cluster"):] if in_section(p) else p for p in paths]


def in_section(path: str) -> bool:
    """Whether a stack file's field path is in its `cluster:` section."""
    return path == "spec.cluster" or path.startswith(("spec.cluster.", "spec.cluster["))


def as_kafkacluster(path: str) -> str:
    """A field path of a stack file's `cluster:` as the KafkaCluster's own (`spec.cluster.timeout` ->
    `spec.timeout`)."""
    return "spec" + path[len("spec.cluster"):] if in_section(path) else path


def appended(text: bytes, connection: Connection) -> bytes:
    """A stack file's YAML (a ConfigMap's key) with the KafkaCluster's section as its last key, so that the lines
    kplan names in it are the ConfigMap's own."""
    return text.rstrip(b"\n") + b"\ncluster: " + json.dumps(connection.section).encode() + b"\n"
