"""kplan.render.metrics: a stack's plan as counts by kind and state; a stack that could not be planned is down and
its resources unknown, never in sync."""

from __future__ import annotations

from dataclasses import dataclass, field

from kplan.model.plan import Action, Flag, ResourceType
from kplan.render.metrics import sample_of, state_of


@dataclass
class Change:
    type: ResourceType
    action: Action
    flags: frozenset = frozenset()
    address: str = "topic.x"

    def has(self, flag: Flag) -> bool:
        return flag in self.flags


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


def test_each_action_and_flag_is_one_state():
    assert state_of(Change(T, Action.NOOP)) == "in_sync"
    assert state_of(Change(T, Action.METADATA)) == "in_sync"  # kplan's own record only
    assert state_of(Change(T, Action.CREATE)) == "missing"
    assert state_of(Change(T, Action.DELETE)) == "extra"
    assert state_of(Change(T, Action.UPDATE)) == state_of(Change(T, Action.REPLACE)) == "drifted"
    assert state_of(Change(T, Action.NOOP, frozenset({Flag.DRIFT}))) == "drifted"
    assert state_of(Change(C, Action.RESTART, frozenset({Flag.UNHEALTHY}))) == "unhealthy"
    assert state_of(Change(C, Action.UPDATE, frozenset({Flag.UNHEALTHY}))) == "unhealthy"


def test_counts_by_kind_and_state_every_state_of_a_kind_present():
    plan = Plan([Change(T, Action.NOOP), Change(T, Action.CREATE), Change(C, Action.NOOP)])
    sample = sample_of(Planned("s.yaml", "shop", plan))
    assert sample.up and sample.stack == "shop"
    assert sample.resources[("topic", "in_sync")] == 1 and sample.resources[("topic", "missing")] == 1
    assert sample.resources[("connector", "drifted")] == 0  # a zero, so that an alert on it resolves
    assert ("topic", "unknown") not in sample.resources


def test_a_stack_that_could_not_be_planned_is_down_and_unknown_never_in_sync():
    good = sample_of(Planned("s.yaml", "shop", Plan([Change(T, Action.NOOP), Change(T, Action.UPDATE)])))
    down = sample_of(Planned("s.yaml", "shop", None, ["cluster unreachable"]), good)
    assert (down.up, down.cause) == (False, "cluster")
    assert down.resources == {("topic", "unknown"): 2}
    assert sample_of(Planned("s.yaml", None, None, ["bad file"])).cause == "stack"
    assert sample_of(Planned("s.yaml", "shop", Plan([], has_errors=True))).cause == "plan"
    assert sample_of(Planned("s.yaml", None, None)).resources == {}  # never read: nothing claimed


def test_the_resources_not_in_sync_are_named_for_the_audit_feed():
    plan = Plan([Change(T, Action.NOOP, address="topic.a"), Change(T, Action.UPDATE, address="topic.b"),
                 Change(C, Action.RESTART, frozenset({Flag.UNHEALTHY}), address="connector.c")])
    assert sample_of(Planned("s.yaml", "shop", plan)).differing == {("topic.b", "drifted"),
                                                                    ("connector.c", "unhealthy")}
