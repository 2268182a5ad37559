"""The resource kinds: one folder per kind (`kplan/kinds/<kind>/`: its planning and status in `kind.py`, its typed
apply steps and builder in `steps.py`, their run/undo in `handlers.py`, its stack section in `section.py`), each
registered once by its `UNIT` (`kplan.kinds.unit.KindUnit`); beside them the toolkit they share (`base`, `step`,
`handler`, `ports`, `planned`). The order of `UNITS` is the order of plans and reports.
See docs/architecture.md for what adding a kind takes."""

from __future__ import annotations

from kplan.kinds import acl, connector, offsets, quota, subject, topic, user
from kplan.kinds.base import Kind, PlanContext
from kplan.kinds.unit import KindUnit
from kplan.model.plan import ResourceType

UNITS: tuple[KindUnit, ...] = (topic.UNIT, connector.UNIT, offsets.UNIT, acl.UNIT, user.UNIT, quota.UNIT, subject.UNIT)
KINDS: tuple[Kind, ...] = tuple(u.kind for u in UNITS)
_BY_TYPE = {k.type: k for k in KINDS}


def kind_of(resource_type: ResourceType | str) -> Kind:
    return _BY_TYPE[ResourceType(resource_type)]


__all__ = ["KINDS", "UNITS", "Kind", "KindUnit", "PlanContext", "kind_of"]
