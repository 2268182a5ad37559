"""The ACL bindings' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The ACL bindings kplan owns once the plan is applied: those it created before that still exist, plus those
    the plan creates, minus those it deletes. A declared binding that someone else created is never owned."""
    from kplan.kinds.acl.steps import acl_changes

    create, delete = acl_changes(plan, stack, live)
    acls = live.of(ResourceType.ACL).resources
    owned = {p: {b.key for b in a.bindings if b.key in a.owned} for p, a in acls.items()}
    for c in create:
        owned.setdefault(c.principal, set()).add(c.binding.key)
    for d in delete:
        owned.get(d.principal, set()).discard(d.binding.key)
    return {p: tuple(sorted(keys)) for p, keys in sorted(owned.items()) if keys}


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's ACL part as the live state shows it: principal -> the binding keys kplan created."""
    acls = live.of(ResourceType.ACL).resources
    return {p: tuple(sorted(a.owned)) for p, a in sorted(acls.items()) if a.owned}
