"""Who owns a resource and what it is for: `owner`, `description` and `labels`, declarable on every kind's entries
(docs/stack-format.md, "Owners, descriptions and labels"). Kafka keeps no such thing, so kplan keeps it in its
ownership record (`Ownership.metadata`), by address; the plan shows it and groups the Markdown plan by owner,
status and import read it back, and policy rules check it (kplan.policy.check). Changing only metadata is an
`update-metadata` change: apply writes the record and touches nothing on the cluster."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

# Label keys: Kubernetes-like, an optional DNS prefix and a name; values: short, printable, no line breaks.
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^[^\r\n]{0,253}$")


@dataclass(frozen=True)
class Meta:
    owner: str | None = None
    description: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def empty(self) -> bool:
        return self.owner is None and self.description is None and not self.labels

    def to_json(self) -> dict[str, Any]:
        """Only what is set (an empty Meta is `{}`), labels key-sorted."""
        out: dict[str, Any] = {k: v for k, v in (("owner", self.owner), ("description", self.description))
                               if v is not None}
        if self.labels:
            out["labels"] = {k: self.labels[k] for k in sorted(self.labels)}
        return out

    @classmethod
    def from_json(cls, doc: Mapping[str, Any] | None) -> "Meta":
        doc = doc if isinstance(doc, Mapping) else {}
        raw = doc.get("labels")
        labels: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        owner, description = doc.get("owner"), doc.get("description")
        return cls(str(owner) if owner is not None else None, str(description) if description is not None else None,
                   MappingProxyType({str(k): str(labels[k]) for k in sorted(labels)}))

    def matches(self, owner: str | None = None, labels: Mapping[str, str] | None = None) -> bool:
        """Whether this resource is selected by `kplan plan --owner/--label` (every one given must match)."""
        if owner is not None and self.owner != owner:
            return False
        return all(self.labels.get(k) == v for k, v in (labels or {}).items())


EMPTY = Meta()


def meta_of(settings: Mapping[str, Any], default: Meta = EMPTY) -> Meta:
    """The metadata an entry declares over `default` (the stack's, or its cdc source's): its own owner and
    description replace the default's, its labels are merged over the default's key by key (the loader's schema
    has checked the shapes; anything else is ignored here)."""
    if "owner" not in settings and "description" not in settings and "labels" not in settings:
        return default  # nothing of its own (most entries): the default itself, not an equal copy per entry
    owner = settings.get("owner")
    description = settings.get("description")
    labels = dict(default.labels)
    own = settings.get("labels")
    if isinstance(own, Mapping):
        labels.update({str(k): str(v) for k, v in own.items() if v is not None})
    return Meta(owner if isinstance(owner, str) else default.owner,
                description if isinstance(description, str) else default.description,
                MappingProxyType({k: labels[k] for k in sorted(labels)}))


def parse_labels(items: tuple[str, ...]) -> dict[str, str]:
    """`kplan plan --label k=v` options -> {k: v}; ValueError (one line) for one without `=`."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--label {item!r}: write it as KEY=VALUE")
        out[key] = value
    return out
