"""The registry of resource kinds. Each kind is one unit (`kplan.kinds.<kind>`) that the planner, saved-plan
fingerprints, the status report and its renderer iterate over; the order here is the order of plans and reports.
See docs/architecture.md for what adding a kind takes."""

from __future__ import annotations

from kplan.kinds.acl import KIND as ACLS
from kplan.kinds.base import Kind, PlanContext
from kplan.kinds.connector import KIND as CONNECTORS
from kplan.kinds.offsets import KIND as OFFSETS
from kplan.kinds.quota import KIND as QUOTAS
from kplan.kinds.subject import KIND as SUBJECTS
from kplan.kinds.topic import KIND as TOPICS
from kplan.kinds.user import KIND as USERS
from kplan.model.plan import ResourceType

KINDS: tuple[Kind, ...] = (TOPICS, CONNECTORS, OFFSETS, ACLS, USERS, QUOTAS, SUBJECTS)
_BY_TYPE = {k.type: k for k in KINDS}


def kind_of(resource_type: ResourceType | str) -> Kind:
    return _BY_TYPE[ResourceType(resource_type)]


__all__ = ["KINDS", "Kind", "PlanContext", "kind_of"]
