"""kplan.render.metrics: a stack's plan as counts by kind and state; a stack that could not be planned is down and
its resources unknown, never in sync."""

from __future__ import annotations

from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    Plan,
    ResourceChange,
    ResourceType,
    Standing,
    error,
    standing,
)
from kplan.render.metrics import STATES, sample_of
from kplan.session.many import Planned

LEFT = AttributeChange(("config", "cleanup.policy"), AttrKind.DRIFT, "compact")  # an undeclared override, left alone


def change(type: ResourceType, action: Action, flags=frozenset(), address: str = "topic.x",
           attributes=()) -> ResourceChange:
    return ResourceChange(address, type, address.partition(".")[2], action, attributes=tuple(attributes),
                          flags=frozenset(flags))


def plan(changes, diagnostics=()) -> Plan:
    return Plan("shop", None, "cluster-1", tuple(changes), tuple(diagnostics))


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
    sample = sample_of(Planned("s.yaml", "shop", plan=plan([change(T, Action.NOOP), change(T, Action.CREATE),
                                                             change(C, Action.NOOP)])))
    assert sample.up and sample.stack == "shop"
    assert sample.resources[("topic", "in_sync")] == 1 and sample.resources[("topic", "missing")] == 1
    # every state of each kind, zeros included (`unknown` too, from the first round): an alert on one resolves
    assert sample.resources == {**{(k, st): 0 for k in ("topic", "connector") for st in STATES},
                                ("topic", "in_sync"): 1, ("topic", "missing"): 1, ("connector", "in_sync"): 1}


def test_a_stack_that_could_not_be_planned_is_down_and_unknown_never_in_sync():
    good = sample_of(Planned("s.yaml", "shop", plan=plan([change(T, Action.NOOP), change(T, Action.UPDATE)])))
    down = sample_of(Planned("s.yaml", "shop", errors=["cluster unreachable"], cause="cluster"), good)
    assert (down.up, down.cause) == (False, "cluster")
    assert down.resources == {**{("topic", st): 0 for st in STATES}, ("topic", "unknown"): 2}
    assert sample_of(Planned("s.yaml", "shop", errors=["x"], cause="cluster"), down).resources \
        == down.resources  # down again: still every state, all of them unknown
    assert sample_of(Planned("s.yaml", None, errors=["bad file"], cause="stack")).cause == "stack"
    assert sample_of(Planned("s.yaml", "shop", plan=plan([], [error("no", "x")]))).cause == "plan"
    assert sample_of(Planned("s.yaml", None, cause="stack")).resources == {}  # never read: nothing claimed


def test_the_cause_is_the_outcome_s_not_guessed_from_its_name():
    """A stack whose files do not load is down for `stack` also when its name could be read (issue 67)."""
    assert sample_of(Planned("s.yaml", "shop", errors=["not YAML"], cause="stack")).cause == "stack"


def test_drift_apply_cannot_undo_is_that_resource_s_drift_the_stack_still_up():
    """Partitions added by hand: the plan's error is the topic's drift, with its reason; the rest is counted."""
    refused = AttributeChange(("partitions",), AttrKind.REFUSED, 3, 1)
    why = error("cannot decrease partitions of topic 'a' from 3 to 1: Kafka cannot remove partitions",
                "partition-decrease", address="topic.a", path=("partitions",))
    sample = sample_of(Planned("s.yaml", "shop", plan=plan(
        [change(T, Action.NOOP, {Flag.REFUSED}, address="topic.a", attributes=[refused]),
         change(T, Action.CREATE, address="topic.b")], [why])))
    assert (sample.up, sample.resources[("topic", "drifted")], sample.resources[("topic", "missing")]) == (True, 1, 1)
    assert sample.differing == {("topic.a", "drifted"), ("topic.b", "missing")}
    assert sample.reasons == {"topic.a": why.message}
    other = error("secret does not resolve", "secret-unresolved")
    assert not sample_of(Planned("s.yaml", "shop", plan=plan([], [why, other]))).up  # another error: down


def test_a_stack_of_values_left_alone_only_counts_no_drift():
    sample = sample_of(Planned("s.yaml", "shop", plan=plan([change(T, Action.NOOP, {Flag.DRIFT}, attributes=[LEFT])])))
    assert sample.resources[("topic", "left_alone")] == 1 and sample.resources[("topic", "drifted")] == 0
    assert sample.differing == frozenset()  # nor a drift event on the audit feed
    assert {state for _, state in sample.resources} <= set(STATES)


def test_the_resources_not_in_sync_are_named_for_the_audit_feed():
    made = plan([change(T, Action.NOOP, address="topic.a"), change(T, Action.UPDATE, address="topic.b"),
                 change(T, Action.NOOP, {Flag.DRIFT}, address="topic.c", attributes=[LEFT]),
                 change(C, Action.RESTART, frozenset({Flag.UNHEALTHY}), address="connector.c")])
    assert sample_of(Planned("s.yaml", "shop", plan=made)).differing == {("topic.b", "drifted"),
                                                                    ("connector.c", "unhealthy")}
