"""A step's ACL binding with its principal (`AclArgs`): how the kinds that grant rights (acl, streams_app) journal
one. The binding itself is Kafka's, `kplan.model.bindings`. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.codec import FLAT, JsonKey
from kplan.model.bindings import AclBinding


@dataclass(frozen=True)
class AclArgs:
    """One binding with its principal, as a step holds it (in the journal: `{"principal": ..., <the binding>}`)."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"binding": FLAT}

    principal: str
    binding: AclBinding

    def describe(self) -> str:
        return f"{self.principal}: {self.binding.describe()}"
