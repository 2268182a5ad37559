"""Reading a change's `planned` payload (what the plan decided apply does), and refusing a plan without one."""

from __future__ import annotations

from typing import TypeVar

from kplan.errors import KplanError
from kplan.model.plan import Plan, PlannedPayload, ResourceChange

P = TypeVar("P", bound=PlannedPayload)


# A plan made by a kplan older than the `planned` payload: apply does not guess what it decided. (`kplan apply
# plan.json` builds its steps from a fresh plan, which it checks still matches the saved one, so an old saved plan is
# re-derived there; this guards every other way a plan reaches the builders.)
STALE = ("the plan does not say what apply does to {address} (no `planned` payload: it was made by an older kplan); "
         "run `kplan plan` again")


def planned_of(change: ResourceChange, cls: type[P]) -> P:
    """The payload of a change apply acts on, of its kind's type."""
    if not isinstance(change.planned, cls):
        raise KplanError(STALE.format(address=change.address))
    return change.planned


def payloads(plan: Plan, cls: type[P]) -> list[tuple[ResourceChange, P]]:
    """The changes apply acts on of `cls`'s kind, each with its payload, in the plan's order."""
    return [(c, planned_of(c, cls)) for c in plan.changes if c.type == cls.type and c.is_change]


def check_planned(plan: Plan) -> None:
    """Every change apply acts on carries its payload; otherwise one clear line, before any step is built."""
    for change in plan.changes:
        if change.is_change and change.planned is None:
            raise KplanError(STALE.format(address=change.address))
