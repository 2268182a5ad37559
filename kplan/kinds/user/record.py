"""The SCRAM users' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Action, Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The SCRAM users kplan owns once the plan is applied, each with the rotation token its password was last set
    with: owned users that still exist and are not deleted keep their token; a declared user the plan creates or
    changes (or that matches) is owned with the declared token."""
    changes = {c.name: c for c in plan.changes if c.type == ResourceType.USER}
    users = live.of(ResourceType.USER)
    owned = {n: u.rotation or "" for n, u in users.resources.items() if n in users.owned}
    if not destroy:
        for u in stack.of("users"):
            change = changes.get(u.name)
            if change is not None and change.action != Action.DELETE:
                owned[u.name] = u.rotation
    for name, change in changes.items():
        if change.action == Action.DELETE:
            owned.pop(name, None)
    return dict(sorted(owned.items()))


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's user part as the live state shows it: user -> the rotation token ("" for none)."""
    users = live.of(ResourceType.USER)
    return {n: (users.resources[n].rotation or "") if n in users.resources else "" for n in sorted(users.owned)}
