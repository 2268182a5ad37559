"""Orphans under the prefixes a stack claims (docs/orphans.md): found kind by kind (`Kind.orphans`), shown by the
plan as information, and — for a claim with `prune: true` — planned as ordinary deletions (`Kind.prune`), which
every rule for deletions then sees (the checks, the deletion notes, --max-deletions, the confirmation).

Pure. Never on destroy: destroy deletes what the stack owns, and orphans are no one's."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from kplan.kinds import KINDS, kind_of
from kplan.kinds.base import AnyKind
from kplan.model.desired import Stack
from kplan.model.diagnostics import Severity
from kplan.model.live import LiveState
from kplan.model.orphans import Orphan
from kplan.model.plan import PlanDiagnostic, ResourceChange
from kplan.words import plural

CODE = "orphan"


def find_orphans(stack: Stack, live: LiveState) -> list[Orphan]:
    """Every orphan under the stack's claims, in the kinds' order, each kind's by name (none without claims)."""
    if not stack.claims:
        return []
    out = [o for kind in KINDS if (claims := tuple(c for c in stack.claims if kind.section in c.kinds))
           for o in kind.orphans(live, claims, {s.name: s for s in kind.declared(stack)})]
    covered = frozenset().union(*(kind.covers(stack, live) for kind in KINDS),  # e.g. a Streams app's topics
                                {r.address for r in stack.references})  # another's, which the stack only reads
    return [u for o in out if (u := _uncovered(o, covered)) is not None]


def _uncovered(o: Orphan, covered: frozenset[str]) -> Orphan | None:
    """The orphan without what belongs to another kind's declared resource (`Kind.covers`: an address, or one
    part of it as `<address>#<part>`), None when nothing is left."""
    if o.address in covered:
        return None
    keep = [(p, d) for p, d in zip(o.parts, o.details) if f"{o.address}#{p}" not in covered]
    if len(keep) == len(o.parts):
        return o
    return replace(o, parts=tuple(p for p, _ in keep), details=tuple(d for _, d in keep)) if keep else None


def plan_orphans(stack: Stack, live: LiveState, by_kind: Mapping[AnyKind, dict[str, ResourceChange]]
                 ) -> list[PlanDiagnostic]:
    """One information line per orphan; the pruned ones' deletions put into `by_kind` (merged with the change the
    plan already has for the address: a declared principal's ACLs)."""
    orphans = find_orphans(stack, live)
    pruned: dict[str, list[Orphan]] = {}
    forgotten = {f.address for f in stack.forget}  # left on the cluster on purpose, for another stack to adopt
    for o in orphans:
        if o.prune and o.address not in forgotten:
            pruned.setdefault(o.address, []).append(o)
    for group in pruned.values():
        kind = kind_of(group[0].type)
        changes = by_kind[kind]
        changes[group[0].name] = kind.prune(group, live, changes.get(group[0].name))
    return [orphan_line(o) for o in orphans]


def orphan_line(o: Orphan) -> PlanDiagnostic:
    what = (f"{o.type.value} {o.name!r}" if not o.parts
            else f"{plural(len(o.parts), 'ACL binding')} of {o.name!r} ({', '.join(o.details)})")
    verb = "is" if not o.parts or len(o.parts) == 1 else "are"
    fate = (f"the claim prunes, apply deletes {_it(o)}" if o.prune else
            f"left alone (declare {_it(o)}, or set `prune: true` on the claim to delete {_it(o)})")
    return PlanDiagnostic(Severity.INFO, f"{what} {verb} under the claimed prefix {o.prefix!r} and no stack owns or "
                          f"declares {_it(o)}: {fate}", CODE, address=o.address, origin=o.origin)


def _it(o: Orphan) -> str:
    return "them" if len(o.parts) > 1 else "it"
