"""The acl kind's declared model: a principal's ACL bindings as a stack declares them (the Stack holds them by
section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.bindings import AclBinding
from kplan.model.source import Origin


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
