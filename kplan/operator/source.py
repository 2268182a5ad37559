"""A KafkaStack whose stack is files in a ConfigMap (`spec.source.configMap: {name, key}`), as a GitOps repository
generates it from its stack files (kustomize's configMapGenerator, Flux's and Argo CD's): every key of the ConfigMap
is a file of the stack's directory (a schema file, a policy file beside the stack file), `key` (default
`stack.yaml`) the stack file kplan loads. kplan's findings name the ConfigMap, the key and the line
(`configmap/orders/stack.yaml:12:5`) in place of the operator's own copy (pure: no I/O)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Mapping

from kplan.operator.connection import CLUSTER_REF

SOURCE = "source"
DEFAULT_KEY = "stack.yaml"


@dataclass(frozen=True)
class ConfigMapRef:
    name: str
    key: str

    @property
    def said(self) -> str:
        """How a place in its files is named: `configmap/NAME/` and the key."""
        return f"configmap/{self.name}/"


def configmap_ref(spec: Mapping[str, Any] | None) -> ConfigMapRef | None:
    """The ConfigMap the spec takes its stack from, or None (the spec is the stack)."""
    source = (spec or {}).get(SOURCE)
    ref = source.get("configMap") if isinstance(source, dict) else None
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
        return None
    return ConfigMapRef(ref["name"], ref.get("key") or DEFAULT_KEY)


def mixed(spec: Mapping[str, Any]) -> list[str]:
    """The keys of a spec that names a source and declares stack keys too (the CRD refuses it; an older CRD may
    not have)."""
    return sorted(k for k in spec if k not in (SOURCE, CLUSTER_REF)) if SOURCE in spec else []


def files_of(configmap: Mapping[str, Any]) -> dict[str, bytes]:
    """Its keys as files (`data` as UTF-8, `binaryData` decoded); a key is a file's name (Kubernetes allows
    [-._a-zA-Z0-9] only: no directory)."""
    out = {k: v.encode("utf-8") for k, v in (configmap.get("data") or {}).items()}
    out.update({k: base64.b64decode(v) for k, v in (configmap.get("binaryData") or {}).items()})
    return {k: v for k, v in out.items() if k not in (".", "..") and "/" not in k}


def in_configmap(text: str, directory: str, ref: ConfigMapRef) -> str:
    """`text` (a message, a plan's Markdown) with the operator's copy of the ConfigMap's files named as the
    ConfigMap's keys."""
    return text.replace(directory.rstrip("/") + "/", ref.said)
