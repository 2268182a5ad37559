"""The acl kind's declared model: ACL bindings as a stack declares them
(the Stack holds them by section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.desired import Origin

ACL_PREFIX = "prefix:"  # in a stack and in plans, "prefix:orders." names a PREFIXED resource pattern


@dataclass(frozen=True, order=True)
class AclBinding:
    """One concrete ACL binding of a principal (Kafka's AclBinding without the principal, which its spec holds).
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


@dataclass(frozen=True)
class AclSpec:
    """The ACL bindings a stack declares for one principal (`User:orders-app`), expanded from its `produce`,
    `consume`, `allow` and `deny` entries, and generated for the cdc sources whose connector runs as it."""

    name: str  # the principal, e.g. User:orders-app
    bindings: tuple[AclBinding, ...] = ()  # sorted, unique
    # True: bindings of this principal that the stack does not declare are deleted (not only shown as drift).
    authoritative: bool = False
    origin: Origin | None = None
    # The cdc sources whose connector runs as this principal (`principal:`): their bindings are among `bindings`.
    cdc_sources: tuple[str, ...] = ()
