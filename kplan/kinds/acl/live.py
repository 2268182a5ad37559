"""The acl kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

ACLs, by principal: {"acls": {"User:app": {"bindings": [{"resource": "topic", "pattern": "literal",
"name": "orders", "operation": "WRITE", "permission": "ALLOW", "host": "*"}],
"owned": ["topic|literal|orders|WRITE|ALLOW|*"]}},
"acl_problem": null | "security-disabled" | "not-authorized" | "not-authorized-alter"}: `owned` are the keys of the
bindings the stack's record says kplan created (`permission` defaults to ALLOW, `host` to "*", `pattern` to
literal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from kplan.kinds.live_codec import by_name, each, kind_slice, owning, shape
from kplan.model.bindings import AclBinding
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveAcls:
    """The ACL bindings of one principal on the cluster, and which of them this stack's ownership record says
    kplan created (their keys, `AclBinding.key`)."""

    name: str  # the principal
    bindings: frozenset[AclBinding] = frozenset()
    owned: frozenset[str] = frozenset()

def kind_state(found: Mapping[str, Any], part: Mapping[str, Any], problem: Problem | None) -> KindState:
    """The ACLs' slice of the live state from the cluster's bindings by principal and the stack's part of the
    ownership record (principal -> the keys of the bindings kplan created)."""
    acls = {p: LiveAcls(p, frozenset(bs), frozenset(k if isinstance(k := part.get(p), tuple) else ()))
            for p, bs in found.items()}
    return KindState(freeze(acls), frozenset(part), problem=problem)


_binding = shape(AclBinding, lambda b: {"pattern": "literal", **b})
# The ACL slice of a live-state document: the principals of which kplan created some binding are owned.
live_from_json = kind_slice(
    resources=("acls", by_name(shape(LiveAcls, bindings=each(_binding)))),
    problem="acl_problem", after=owning)
