"""Kafka's ACL binding, as kplan holds one: the vocabulary of the kinds whose resources are rights (an ACL principal's
bindings, a Kafka Streams application's generated ones), of a cdc source's generated bindings, and of the ACL writes
(`kplan.transport.acls`). Kafka defines the binding, not a kind: a kind that grants rights says what it grants in these
terms and imports no other kind for it. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

ACL_PREFIX = "prefix:"  # in a stack and in plans, "prefix:orders." names a PREFIXED resource pattern


@dataclass(frozen=True, order=True)
class AclBinding:
    """One concrete ACL binding of a principal (Kafka's AclBinding without the principal, which its holder keeps).
    `resource` and `pattern` are lower case (topic, literal...), `operation` and `permission` upper case, as
    Kafka names them; the live side may hold resource types the stack cannot declare (delegation_token, user)."""

    resource: str
    pattern: str
    name: str
    operation: str
    permission: str = "ALLOW"
    host: str = "*"

    @property
    def key(self) -> str:
        """The binding's identity, as the ownership record keeps it: `topic|literal|orders|WRITE|ALLOW|*`."""
        return "|".join((self.resource, self.pattern, self.name, self.operation, self.permission, self.host))

    @property
    def resource_label(self) -> str:
        """`orders`, or `prefix:orders.` for a prefixed pattern (the stack's own notation)."""
        return (ACL_PREFIX + self.name) if self.pattern == "prefixed" else self.name

    @property
    def grant(self) -> str:
        """`allow`, `deny`, `allow from 10.0.0.1`."""
        word = self.permission.lower()
        return word if self.host == "*" else f"{word} from {self.host}"

    def describe(self) -> str:
        """`allow WRITE on topic prefix:orders.` (`... from 10.0.0.1`), for messages."""
        host = "" if self.host == "*" else f" from {self.host}"
        return f"{self.permission.lower()} {self.operation} on {self.resource} {self.resource_label}{host}"


def binding_json(b: AclBinding) -> dict[str, str]:
    """A binding in plans, journals and live-state documents."""
    return {"resource": b.resource, "pattern": b.pattern, "name": b.name, "operation": b.operation,
            "permission": b.permission, "host": b.host}


def binding_from_json(doc: Mapping[str, Any]) -> AclBinding:
    return AclBinding(doc["resource"], doc["pattern"], doc["name"], doc["operation"], doc["permission"], doc["host"])


def shorthand(resource: str, names: Iterable[str], operations: Iterable[str], host: str = "*") -> list[AclBinding]:
    """The ALLOW bindings of names as a stack writes them in short (an ACL entry's produce/consume, a Streams app's
    inputs and outputs): "prefix:orders." is the PREFIXED pattern "orders."."""
    out = []
    for name in names:
        pattern, bare = ("prefixed", name[len(ACL_PREFIX):]) if name.startswith(ACL_PREFIX) else ("literal", name)
        out += [AclBinding(resource, pattern, bare, op, "ALLOW", host) for op in operations]
    return out
