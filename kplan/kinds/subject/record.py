"""The schema registry subjects' part of the ownership record (`Ownership.of`): what it is once a plan is applied
(`record_after`, the RecordOwnership step's record), and what the live state says it was (`record_of`, that
step's before-image)."""

from __future__ import annotations

from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.ownership import Entry, Ownership
from kplan.model.plan import Action, Plan, ResourceType


def record_after(plan: Plan, stack: Stack, live: LiveState, destroy: bool,
                 parts: Ownership) -> dict[str, Entry]:
    """The schema registry subjects kplan owns once the plan is applied, each with the digest of the schema it
    registered or adopted there: owned subjects that still exist keep theirs, every declared subject the plan
    registers, changes or finds as declared gets the declared schema's, and deleted ones are dropped. While the
    registry cannot be read, the record stays as it is (nothing can be planned for subjects then)."""
    from kplan.kinds.subject.kind import recorded_digests

    if live.of(ResourceType.SUBJECT).problem is not None:
        return dict(sorted(live.of(ResourceType.SUBJECT).records.items()))
    subjects = live.of(ResourceType.SUBJECT)
    owned = {n: d for n, d in subjects.records.items() if n in subjects.resources and n in subjects.owned}
    changes = {c.name: c for c in plan.changes if c.type == ResourceType.SUBJECT}
    if not destroy:
        owned.update(recorded_digests(stack, changes, live))
    for name, change in changes.items():
        if change.action == Action.DELETE:
            owned.pop(name, None)
    return dict(sorted(owned.items()))


def record_of(live: LiveState) -> dict[str, Entry]:
    """The record's subject part as the live state shows it: subject -> the schema digest kplan registered."""
    return dict(sorted(live.of(ResourceType.SUBJECT).records.items()))
