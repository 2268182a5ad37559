"""An orphan: a live resource under a prefix the stack claims that no kplan stack owns and the stack does not
declare (docs/orphans.md). Found by `kplan.plan.orphans`, listed by the plan (as information, or as deletions
with `prune`) and by `kplan status`."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.desired import Claim
from kplan.model.plan import ResourceType, address_of
from kplan.model.source import Origin


@dataclass(frozen=True)
class Orphan:
    type: ResourceType
    name: str  # the resource's name (for ACLs: the principal whose bindings are orphans)
    prefix: str  # the claim it falls under (the longest claimed prefix that covers it)
    prune: bool  # that claim's `prune`: the plan deletes it
    # ACLs: the orphan bindings of the principal, as their keys (`AclBinding.key`) and described for people
    parts: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    origin: Origin | None = None  # where the claim is declared

    @property
    def address(self) -> str:
        return address_of(self.type, self.name)

    @classmethod
    def of(cls, kind: ResourceType, name: str, claim: Claim, parts: tuple[str, ...] = (),
           details: tuple[str, ...] = ()) -> "Orphan":
        return cls(kind, name, claim.prefix, claim.prune, parts, details, claim.origin)


def claim_for(claims: tuple[Claim, ...], section: str, name: str) -> Claim | None:
    """The claim that decides for `name` of the kind in `section`: the longest claimed prefix that covers it (a
    narrower claim overrides a wider one, e.g. `prune: false` on `orders.audit.` under a pruned `orders.`)."""
    covering = [c for c in claims if c.covers(section, name)]
    return max(covering, key=lambda c: len(c.prefix)) if covering else None
