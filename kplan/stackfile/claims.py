"""The `claims:` section: the name prefixes a stack claims, built into `Claim`s (docs/orphans.md).

A claim is about names on the cluster, not a resource: it has no `name`, is not overlaid by environments, and a
several-cluster stack places each claim on one cluster (`cluster: <name>`) like a resource.
"""

from __future__ import annotations

from kplan.kinds import claimable_sections
from kplan.model.desired import Claim
from kplan.model.source import to_origin
from kplan.rules.names import is_reserved_topic
from kplan.stackfile.member import MemberInput


def build_claims(inp: MemberInput) -> tuple[Claim, ...]:
    """One cluster's claims, in declaration order; a prefix claimed twice, or one only kplan's or Kafka's internal
    names can have, is an error."""
    diags = inp.ctx.diags
    seen: dict = {}
    out = []
    for item, loc in inp.unflagged("claims"):
        if not isinstance(item, dict) or not isinstance(item.get("prefix"), str):
            continue  # the schema reported it
        prefix = item["prefix"]
        at = inp.ctx.smap.value_loc(item, "prefix") or loc
        if diags.declared_again(seen, prefix, at, f'the prefix "{prefix}"',
                                "claim a prefix once (its `kinds:` say what it covers)"):
            continue
        if is_reserved_topic(prefix):
            diags.error(at, f'the prefix "{prefix}" covers only internal names (Kafka\'s, Connect\'s, the schema '
                            "registry's or kplan's), which kplan never manages: claim your own prefix")
            continue
        kinds = item.get("kinds")
        covers = frozenset(kinds) if isinstance(kinds, list) else frozenset(claimable_sections())
        out.append(Claim(prefix, item.get("prune") is True, covers, to_origin(loc)))
    return tuple(out)
