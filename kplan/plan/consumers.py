"""The consumer guard (docs/consumers.md), naming no kind: the kind whose resources consumer groups read registers
its guard (`KindUnit.consumer_guard_ref`, a `kplan.kinds.unit.ConsumerGuard`: the topic kind's,
kinds/topic/consumers.py); this asks it which of a plan's changes disrupt their readers (`disrupted`: only those
are looked up, `kplan.session.plan`: one follow-up read, none when nothing needs it) and for the plan with what was
read and the guard's diagnostics (`attach_consumers`), handing it how to find the groups that what the plan removes
takes away first (`leaving`, as each kind's UNIT says). Pure."""

from __future__ import annotations

from kplan.kinds import UNITS, consumer_guard
from kplan.model.consumers import Disruption
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Plan


def disrupted(plan: Plan, live: LiveState) -> dict[str, Disruption]:
    """The resources of `plan` whose consumers the plan affects, by name (none for a plan that changes no live
    resource in one of those ways)."""
    guard = consumer_guard()
    return guard.disrupted(plan, live) if guard is not None else {}


def attach_consumers(plan: Plan, stack: Stack, live: LiveState, *, allow_active: bool = False) -> Plan:
    """`plan` with the consumer context on each disrupted change and the guard's diagnostics; the same plan when
    the consumers were not read (`live.consumers` is None) or nothing is disrupted."""
    guard = consumer_guard()
    return guard.attach(plan, stack, live, allow_active, leaving) if guard is not None else plan


def leaving(plan: Plan, live: LiveState) -> dict[str, str]:
    """group -> what takes it away, for the consumer groups of what this plan removes before any topic step (the
    connectors' phases and DELETE_ACLS run before REPLACE_TOPICS and DELETE_TOPICS, kplan.kinds.step.Phase), as
    each kind's UNIT says it (`takes_groups`): a sink connector it deletes (apply stops it and resets its offsets
    first) or stops, a Kafka Streams application it removes (its group is its application.id; its READ on it is
    deleted first, with its other ACLs)."""
    taken = {u.kind.type: u.takes_groups for u in UNITS if u.takes_groups is not None}
    out: dict[str, str] = {}
    for c in plan.changes:
        takes = taken.get(c.type)
        if takes is not None:
            out.update(takes(c, live))
    return out
