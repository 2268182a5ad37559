"""`kplan plan --rebalance / --elect-leaders` as plan changes (kplan.kinds.rebalancing): which topics, what the change
carries for apply, and the same request again from a saved plan or an interrupted run's journal."""

from __future__ import annotations

import json
from dataclasses import replace

from builders import live, ltopic, stack, topic

from kplan.apply.steps import build
from kplan.kinds import rebalancing
from kplan.kinds.topic.kind import TopicPlanned
from kplan.kinds.topic.steps import ElectLeaders, ReassignReplicas
from kplan.model.plan import Action, NoteKind, Reason
from kplan.model.rebalance import RebalanceRequest
from kplan.plan.planner import make_plan
from kplan.plan.serialize import plan_from_dict, plan_to_dict

RACKS = {1: "a", 2: "b", 3: "c"}
UNEVEN = ((1, 2), (2, 1), (1, 2), (2, 1))
PART = rebalancing()  # the topic kind's


def setup(*topics, racks=RACKS, **live_kw):
    specs = [topic(name, partitions=len(a), rf=len(a[0])) for name, a in topics]
    current = live([replace(ltopic(name, len(a), len(a[0])), assignment=a) for name, a in topics], **live_kw)
    current = replace(current, broker_racks=racks)
    s = stack(specs)
    return s, current, make_plan(s, current)


def planned(plan, name) -> TopicPlanned:
    p = plan.change(f"topic.{name}").planned
    assert isinstance(p, TopicPlanned)
    return p


def codes(plan):
    return [d.code for d in plan.diagnostics]


def test_an_uneven_topic_becomes_a_rebalance_update_with_both_assignments_and_the_throttle():
    s, current, plan = setup(("orders", UNEVEN), ("even", ((1, 2), (2, 3), (3, 1))))
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True, throttle=1024), None)
    change = out.change("topic.orders")
    assert change.action == Action.UPDATE and change.reason == Reason.REBALANCE
    (attr,) = change.attributes
    assert attr.path == ("replicas",) and attr.note == NoteKind.REBALANCE and attr.before == "1,2 | 2,1 | 1,2 | 2,1"
    p = planned(out, "orders")
    assert p.replicas_before == UNEVEN and p.throttle == 1024 and sorted(b for r in p.replicas for b in r).count(3) == 2
    assert out.change("topic.even").action == Action.NOOP
    (info,) = [d for d in out.diagnostics if d.code == "rebalance-summary"]
    assert "rebalance of 2 topics: 1 get new replica lists (2 partitions copy data, at most 1 KiB/s per broker), " \
           "1 already balanced" == info.message
    # apply's steps: one throttled reassignment with the lists before as its undo
    (step,) = [s for s in build(out, s, current).steps if isinstance(s, ReassignReplicas)]
    assert step.targets == {"orders": p.replicas} and step.targets_before == {"orders": UNEVEN}
    assert step.throttle == 1024


def test_topic_patterns_narrow_the_rebalance_and_one_matching_nothing_is_an_error():
    s, current, plan = setup(("orders.a", UNEVEN), ("payments", UNEVEN))
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True, topics=("orders.*", "nope*")), None)
    assert out.change("topic.orders.a").action == Action.UPDATE
    assert out.change("topic.payments").action == Action.NOOP
    assert "rebalance-no-topic" in codes(out) and out.has_errors


def test_a_topic_the_plan_changes_otherwise_keeps_that_change_with_the_move_added_or_is_left_to_it():
    s, current, plan = setup(("orders", UNEVEN))
    s = stack([topic("orders", 4, 2, config={"retention.ms": "1000"}), topic("grows", 2, 2)])
    current = replace(current, broker_racks=RACKS)
    plan = make_plan(s, current)
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True), None)
    change = out.change("topic.orders")
    assert change.reason == Reason.DIFFERS and [a.path for a in change.attributes] == [("config", "retention.ms"),
                                                                                      ("replicas",)]
    assert planned(out, "orders").set_config == {"retention.ms": "1000"} and planned(out, "orders").replicas
    assert out.change("topic.grows").action == Action.CREATE  # created by this plan: nothing to move yet
    s2 = stack([topic("orders", 4, 3)])
    out = PART.planned(make_plan(s2, current), s2, current, RebalanceRequest(rebalance=True), None)
    assert "rebalance-skipped" in codes(out)  # its replication-factor change moves it


def test_an_election_lists_the_partitions_not_led_by_their_first_replica_and_needs_the_leaders():
    s, current, plan = setup(("orders", ((1, 2), (2, 3), (3, 1))))
    out = PART.planned(plan, s, current, RebalanceRequest(elect_leaders=True), {"orders": (1, 3, 1)})
    change = out.change("topic.orders")
    assert change.reason == Reason.ELECT_LEADERS and planned(out, "orders").elect == (1, 2)
    assert [(a.path, a.before, a.after) for a in change.attributes] == [(("leaders",), "1:3 | 2:1", "1:2 | 2:3")]
    assert [type(s) for s in build(out, s, current).steps][:1] == [ElectLeaders]
    out = PART.planned(plan, s, current, RebalanceRequest(elect_leaders=True), None)  # a live-state file
    assert "elect-leaders-unread" in codes(out) and out.has_errors
    led = PART.planned(plan, s, current, RebalanceRequest(elect_leaders=True), {"orders": (1, 2, 3)})
    assert not led.has_changes


def test_without_the_replica_assignment_a_rebalance_is_an_error():
    s, current, plan = setup(("orders", UNEVEN), racks={})
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True), None)
    assert "rebalance-unread" in codes(out)


def test_a_saved_plan_asks_again_for_exactly_its_lists_and_elections():
    s, current, plan = setup(("orders", UNEVEN))
    leaders = {"orders": (2, 2, 1, 2)}
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True, elect_leaders=True, throttle=7), leaders)
    saved = plan_from_dict(json.loads(json.dumps(plan_to_dict(out))))
    again = PART.of_plan(saved)
    assert again.targets == {"orders": planned(out, "orders").replicas} and again.throttle == 7
    assert again.elect == {"orders": planned(out, "orders").elect}
    fresh = PART.planned(plan, s, current, again, leaders)
    assert fresh.change("topic.orders") == out.change("topic.orders")
    assert PART.of_plan(None) == RebalanceRequest() and not PART.of_plan(plan).wanted


def test_a_given_list_that_does_not_fit_the_topic_is_an_error():
    s, current, plan = setup(("orders", UNEVEN))
    out = PART.planned(plan, s, current, RebalanceRequest(targets={"orders": ((1, 9),) * 4}), None)
    assert "rebalance-target-invalid" in codes(out)


def test_an_interrupted_runs_moves_are_asked_for_again_and_a_throttled_one_cut_short_is_finished():
    target = ((3, 1), (3, 2), (1, 3), (2, 3))
    steps = [
        {"kind": "reassign-replicas", "status": "started",
         "args": {"targets": {"orders": [list(r) for r in target]}, "throttle": 5}, "before": {}},
        {"kind": "elect-leaders", "status": "pending", "args": {"partitions": {"orders": [0, 1]}}},
        {"kind": "reassign-replicas", "status": "done", "args": {"targets": {"old": [[1]]}, "throttle": None}},
        {"kind": "create-topics", "status": "done", "args": {"topics": []}},
    ]
    request = PART.of_journal(json.loads(json.dumps(steps)))
    assert request.targets == {"orders": target} and request.throttle == 5 and request.finish == {"orders"}
    # every partition of a move not done: each is elected after it where its leader is not the new first replica
    assert request.elect == {"orders": (0, 1, 2, 3)}
    # the move went on in the cluster and finished: still re-run, so that its throttle is taken away
    s, current, plan = setup(("orders", target))
    out = PART.planned(plan, s, current, replace(request, elect={}), None)
    p = planned(out, "orders")
    assert p.replicas == target and p.replicas_before == target and p.throttle == 5
    # still under way, the topic reads as a replication-factor change: the run's lists and throttle win
    s3 = stack([topic("orders", 4, 2)])
    inflight = replace(live([replace(ltopic("orders", 4, 3), assignment=((3, 1, 2), (3, 2), (1, 3), (2, 3)))]),
                       broker_racks=RACKS)
    out = PART.planned(make_plan(s3, inflight), s3, inflight, replace(request, elect={}), None)
    p = planned(out, "orders")
    assert p.replicas == target and p.throttle == 5
    assert next(a for a in out.change("topic.orders").attributes if a.path == ("replicas",)).after == \
        "3,1 | 3,2 | 1,3 | 2,3"
    # and the partitions not led by their new first replica are elected after it (the run's own election step was
    # planned from the leaders before the move, which a move cut short may have changed)
    out = PART.planned(make_plan(s3, inflight), s3, inflight, request, {"orders": (1, 2, 1, 2)})
    assert planned(out, "orders").elect == (0, 1)
    assert next(a for a in out.change("topic.orders").attributes if a.path == ("leaders",)).after == "0:3 | 1:3"


def test_a_rebalance_alone_elects_the_new_preferred_leaders_and_says_so_when_it_cannot():
    s, current, plan = setup(("orders", UNEVEN), ("drifted", ((1, 2), (2, 3), (3, 1))))
    leaders = {"orders": (1, 2, 1, 2), "drifted": (2, 2, 3)}
    out = PART.planned(plan, s, current, RebalanceRequest(rebalance=True), leaders)
    target = planned(out, "orders").replicas
    assert planned(out, "orders").elect == tuple(p for p, r in enumerate(target) if r[0] != leaders["orders"][p])
    assert planned(out, "orders").elect  # the moves put another replica first somewhere
    drifted = out.change("topic.drifted")  # already balanced, led by another replica: elected, as --rebalance's
    assert drifted.reason == Reason.REBALANCE and planned(out, "drifted").elect == (0,)
    blind = PART.planned(plan, s, current, RebalanceRequest(rebalance=True), None)  # a live-state file
    assert not blind.has_errors and "elect-leaders-unread" in codes(blind)
    assert planned(blind, "orders").replicas == target and not planned(blind, "orders").elect
