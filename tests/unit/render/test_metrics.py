"""kplan.render.metrics: a stack's plan as counts by kind and state; a stack that could not be planned is down and
its resources unknown, never in sync."""

from __future__ import annotations

from dataclasses import dataclass, field

from kplan.model.plan import Action, AttributeChange, AttrKind, Flag, ResourceChange, ResourceType, Standing, standing
from kplan.render.metrics import STATES, sample_of

LEFT = AttributeChange(("config", "cleanup.policy"), AttrKind.DRIFT, "compact")  # an undeclared override, left alone


def change(type: ResourceType, action: Action, flags=frozenset(), address: str = "topic.x",
           attributes=()) -> ResourceChange:
    return ResourceChange(address, type, address.partition(".")[2], action, attributes=tuple(attributes),
                          flags=frozenset(flags))


@dataclass
class Plan:
    changes: list
    has_errors: bool = False


@dataclass
class Planned:
    path: str
    name: str | None = None
    plan: object = None
    errors: list = field(default_factory=list)


T, C = ResourceType.TOPIC, ResourceType.CONNECTOR


def test_each_action_and_flag_is_one_standing():
    assert standing(change(T, Action.NOOP)) is Standing.IN_SYNC
    assert standing(change(T, Action.METADATA)) is Standing.IN_SYNC  # kplan's own record only
    assert standing(change(T, Action.CREATE)) is Standing.MISSING
    assert standing(change(T, Action.DELETE)) is Standing.EXTRA
    assert standing(change(T, Action.UPDATE)) is standing(change(T, Action.REPLACE)) is Standing.DRIFTED
    assert standing(change(C, Action.RESTART, {Flag.UNHEALTHY})) is Standing.UNHEALTHY
    assert standing(change(C, Action.UPDATE, {Flag.UNHEALTHY})) is Standing.UNHEALTHY


def test_values_left_alone_are_their_own_standing_never_drift():
    """The plan has no change for them (`plan --detailed-exitcode` exits 0): the watcher does not call them drifted,
    also beside a metadata change; beside a change apply makes, the resource is drifted."""
    assert standing(change(T, Action.NOOP, {Flag.DRIFT}, attributes=[LEFT])) is Standing.LEFT_ALONE
    metadata = AttributeChange(("metadata", "owner"), AttrKind.UPDATE, "a", "b")
    assert standing(change(T, Action.METADATA, {Flag.DRIFT}, attributes=[metadata, LEFT])) is Standing.LEFT_ALONE
    update = AttributeChange(("config", "retention.ms"), AttrKind.UPDATE, "1", "2")
    assert standing(change(T, Action.UPDATE, {Flag.DRIFT}, attributes=[update, LEFT])) is Standing.DRIFTED
    assert not Standing.LEFT_ALONE.differs and not Standing.IN_SYNC.differs and Standing.DRIFTED.differs


def test_a_refused_change_is_drift_apply_cannot_undo():
    """Partitions added by hand: the plan refuses to remove them (no change, an error says why); it is drift."""
    refused = AttributeChange(("partitions",), AttrKind.REFUSED, 3, 1)
    assert standing(change(T, Action.NOOP, {Flag.REFUSED}, attributes=[refused, LEFT])) is Standing.DRIFTED


def test_counts_by_kind_and_state_every_state_of_a_kind_present():
    plan = Plan([change(T, Action.NOOP), change(T, Action.CREATE), change(C, Action.NOOP)])
    sample = sample_of(Planned("s.yaml", "shop", plan))
    assert sample.up and sample.stack == "shop"
    assert sample.resources[("topic", "in_sync")] == 1 and sample.resources[("topic", "missing")] == 1
    assert sample.resources[("connector", "drifted")] == 0  # a zero, so that an alert on it resolves
    assert ("topic", "unknown") not in sample.resources


def test_a_stack_that_could_not_be_planned_is_down_and_unknown_never_in_sync():
    good = sample_of(Planned("s.yaml", "shop", Plan([change(T, Action.NOOP), change(T, Action.UPDATE)])))
    down = sample_of(Planned("s.yaml", "shop", None, ["cluster unreachable"]), good)
    assert (down.up, down.cause) == (False, "cluster")
    assert down.resources == {("topic", "unknown"): 2}
    assert sample_of(Planned("s.yaml", None, None, ["bad file"])).cause == "stack"
    assert sample_of(Planned("s.yaml", "shop", Plan([], has_errors=True))).cause == "plan"
    assert sample_of(Planned("s.yaml", None, None)).resources == {}  # never read: nothing claimed


def test_a_stack_of_values_left_alone_only_counts_no_drift():
    sample = sample_of(Planned("s.yaml", "shop", Plan([change(T, Action.NOOP, {Flag.DRIFT}, attributes=[LEFT])])))
    assert sample.resources[("topic", "left_alone")] == 1 and sample.resources[("topic", "drifted")] == 0
    assert sample.differing == frozenset()  # nor a drift event on the audit feed
    assert {state for _, state in sample.resources} <= set(STATES)


def test_the_resources_not_in_sync_are_named_for_the_audit_feed():
    plan = Plan([change(T, Action.NOOP, address="topic.a"), change(T, Action.UPDATE, address="topic.b"),
                 change(T, Action.NOOP, {Flag.DRIFT}, address="topic.c", attributes=[LEFT]),
                 change(C, Action.RESTART, frozenset({Flag.UNHEALTHY}), address="connector.c")])
    assert sample_of(Planned("s.yaml", "shop", plan)).differing == {("topic.b", "drifted"),
                                                                    ("connector.c", "unhealthy")}
