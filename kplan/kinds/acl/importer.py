"""ACLs in `kplan import`: one entry per principal, its bindings as raw `allow`/`deny` rows."""

from __future__ import annotations

from typing import Any, Iterable

from kplan.kinds.acl.model import ENTRY, PATTERNS, RESOURCES
from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.shape import said
from kplan.model.bindings import AclBinding
from kplan.model.live import LiveState, problem_line
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    acls = live.of(ResourceType.ACL)
    if acls.problem is not None:
        ctx.notes.append(f"ACLs not imported: {problem_line(acls.problem)}")
    written = [acl_entry(p, acls.resources[p].bindings, ctx.notes) for p in sorted(acls.resources)
               if ctx.selects(p.partition(":")[2]) and not ctx.owned_elsewhere("acl", p)]
    return [entry for entry in written if entry is not None]  # None: no binding a stack can declare


def acl_entry(principal: str, bindings: Iterable[AclBinding], notes: list[str]) -> dict[str, Any] | None:
    """One principal's bindings as raw `allow`/`deny` entries, one per resource, pattern and host, operations
    together."""
    groups: dict[tuple[str, str, str, str, str], list[str]] = {}  # (permission, resource, pattern, name, host)
    left_out = 0
    for b in sorted(bindings, key=lambda b: b.key):
        if b.resource not in RESOURCES or b.pattern not in PATTERNS:  # others are left out with a note
            left_out += 1
            continue
        groups.setdefault((b.permission, b.resource, b.pattern, b.name, b.host), []).append(b.operation)
    if left_out:
        notes.append(f"{left_out} ACL binding(s) of {principal} on resources a stack cannot declare left out")
    if not groups:
        return None
    entry: dict[str, Any] = {"principal": principal}
    # the allow rows, then the deny rows, each in the bindings' order
    for (permission, resource, pattern, name, host), operations in sorted(groups.items(), key=lambda g: g[0][0]):
        # the cluster's name is what an entry means unless it says (as its table's defaults are)
        row = {"resource": resource, "name": None if resource == "cluster" else name, "pattern": pattern,
               "operations": sorted(set(operations)), "host": host}
        entry.setdefault(permission.lower(), []).append(said(ENTRY, row))
    return entry


IMPORTER = KindImporter("ACL principal(s)", entries, skip_help="Import no ACLs.",
                        name_of=lambda entry: entry.get("principal"))
