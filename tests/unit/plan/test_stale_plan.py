"""A stale saved plan names what moved (issue 67, item 4): for each kind of staleness apply's check detects, the
refusal's exact words — the resource, the attribute, its value when planned and now — and never a secret's value.
The saved plan goes through its file format (`dumps_plan`/`loads_plan`), as `kplan apply FILE` reads it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from builders import SECRET, connector, lconn, live, ltopic, stack, topic

from kplan.errors import KplanError
from kplan.kinds import rebalancing
from kplan.model.rebalance import RebalanceRequest
from kplan.plan.planner import make_plan
from kplan.plan.stale import differences, said
from kplan.secrets import remember
from kplan.session.run import check_saved_plan
from kplan.stackfile.references import resolve_stack_secrets
from kplan.state.planfile import dumps_plan, loads_plan

AGAIN = "; run `kplan plan` again"


def saved_as_file(plan):
    return loads_plan(dumps_plan(plan))


def refusal(saved, fresh, now, s, cluster_id="cluster-1") -> str:
    with pytest.raises(KplanError) as e:
        check_saved_plan(saved, fresh, now, s, cluster_id)
    return str(e.value)


def stale(s, then, now, **kw) -> str:
    """The refusal of a plan made against `then` and applied against `now`."""
    return refusal(saved_as_file(make_plan(s, then, **kw)), make_plan(s, now, **kw), now, s)


# -- what a saved plan is for ------------------------------------------------------------------------------------


def test_another_stack_environment_cluster_or_stack_files_say_which_then_and_now():
    s = stack([topic("a", partitions=6)])
    state = live([ltopic("a")])
    saved, fresh = saved_as_file(make_plan(s, state)), make_plan(s, state)
    assert refusal(saved, fresh, state, replace(s, name="other")) == "the saved plan is for stack 'shop', not 'other'"
    assert refusal(saved, fresh, state, replace(s, environment="dev")) == \
        "the saved plan is for environment 'prod', not 'dev'"
    assert refusal(saved, fresh, state, s, "cluster-2") == \
        "the saved plan was made for cluster cluster-1, but localhost:9092 is cluster cluster-2"
    assert refusal(saved, fresh, state, replace(s, inputs_digest="e" * 64)) == \
        "the stack files changed since the plan was saved" + AGAIN
    assert refusal(saved, make_plan(s, state, destroy=True), state, s) == \
        "the saved plan is not a destroy plan, this run is one" + AGAIN


# -- the live state moved ----------------------------------------------------------------------------------------


def test_a_live_value_that_moved_is_named_with_its_value_when_planned_and_now():
    s = stack([topic("a", partitions=6, config={"retention.ms": "1000"})])
    then = live([ltopic("a", overrides={"retention.ms": "500", "segment.ms": "60000"})])
    now = live([ltopic("a", partitions=4, overrides={"retention.ms": "500", "segment.ms": "3600000"})])
    assert stale(s, then, now) == (
        "the saved plan is stale: the cluster changed since it was made (topic.a config[\"segment.ms\"]: 60000 (1m) "
        "when planned, 3600000 (1h) now; topic.a partitions: 3 when planned, 4 now)" + AGAIN)


def test_a_resource_that_came_or_went_is_named_so():
    s = stack([topic("new"), topic("a", partitions=6)])
    then = live([ltopic("a")])
    now = live([ltopic("new")])
    assert stale(s, then, now) == (
        "the saved plan is stale: the cluster changed since it was made (topic.a: present when planned, absent now; "
        "topic.new: absent when planned, present now)" + AGAIN)


def test_a_request_another_run_applied_since_is_named_by_its_token_then_and_now():
    """A request's resource is read only while its request is pending: once another run applied it, the record's
    token says what moved, not an `absent` resource."""
    from kplan.kinds.group_request.live import LiveGroup
    from kplan.kinds.group_request.model import GroupReset, GroupSpec
    from kplan.model.desired import freeze
    from kplan.model.plan import ResourceType

    latest = GroupReset("latest", "latest", topics=("t",))
    s = replace(stack([]), kinds={"consumer_groups": (GroupSpec("app", "r2", latest),)})
    group = ResourceType.CONSUMER_GROUP
    found = LiveGroup("app", "r1", "Empty", 0, (("t", 0, 3),), (("t", 0, 10),))
    then = live([]).with_kind(group, resources=freeze({"app": found}), records=freeze({"app": "r1"}))
    now = live([]).with_kind(group, records=freeze({"app": "r2"}))
    assert stale(s, then, now) == ("the saved plan is stale: the cluster changed since it was made "
                                   "(consumer_group.app token: r1 when planned, r2 now)" + AGAIN)


def test_a_plan_saved_before_kplan_kept_its_documents_names_the_resource_only():
    s = stack([topic("a", partitions=6)])
    doc = json.loads(dumps_plan(make_plan(s, live([ltopic("a")]))))
    del doc["fingerprinted"]
    now = live([ltopic("a", partitions=4)])
    assert refusal(loads_plan(json.dumps(doc)), make_plan(s, now), now, s) == \
        "the saved plan is stale: the cluster changed since it was made (topic.a: changed)" + AGAIN


def test_a_connectors_moved_values_are_named_and_its_secrets_never_shown():
    s = stack([], [connector("c", config={"database.password": "${secret:env:PW}", "k": "v2"})])
    secrets = resolve_stack_secrets(s, {"PW": SECRET})
    then = live([], [lconn("c", config={"database.password": "old-plain-secret", "k": "v1", "x": "1"})])
    now = live([], [lconn("c", config={"database.password": "new-plain-secret", "k": "v1", "x": "2"})])
    told = stale(s, then, now, secrets=secrets)
    assert told == ("the saved plan is stale: the cluster changed since it was made (connector.c config[\"x\"]: 1 "
                    "when planned, 2 now)" + AGAIN)


def test_a_secret_in_a_document_is_named_set_or_unset_never_shown():
    then = {"config": {"sasl.jaas.config": "one-secret", "a": "1"}, "bindings": ["t:READ", "t:WRITE"]}
    now = {"config": {"sasl.jaas.config": "another-secret"}, "bindings": ["t:READ", "g:READ"]}
    assert differences(then, now) == [
        'bindings["g:READ"]: absent when planned, present now',
        'bindings["t:WRITE"]: present when planned, absent now',
        'config["a"]: 1 when planned, unset now',
        'config["sasl.jaas.config"] (a secret: not shown): set when planned, changed now']


def test_at_most_ten_differences_are_named_then_counted():
    assert said([str(n) for n in range(13)]) == "0; 1; 2; 3; 4; 5; 6; 7; 8; 9; and 3 more"


# -- what the plan shows moved (the stack's resolved values, or what no fingerprint covers) ----------------------


def test_a_variable_resolved_differently_is_named_with_the_change_planned_then_and_now():
    then = stack([topic("a", config={"retention.ms": "86400000"})])
    now = replace(then, kinds={"topics": (topic("a", config={"retention.ms": "3600000"}),)})
    state = live([ltopic("a", overrides={"retention.ms": "1000"})])
    assert refusal(saved_as_file(make_plan(then, state)), make_plan(now, state), state, now) == (
        "the saved plan no longer matches what kplan would do now (topic.a config[\"retention.ms\"]: 1000 (1s) -> "
        "86400000 (1d) when planned, 1000 (1s) -> 3600000 (1h) now)" + AGAIN)


def test_a_value_that_needs_no_change_any_more_is_shown_as_it_is_now():
    s = stack([topic("a", config={"retention.ms": "1000"}), topic("b", config={"retention.ms": "1000"})])
    then = live([ltopic("a", overrides={"retention.ms": "5"}), ltopic("b", overrides={"retention.ms": "1000"})])
    now = live([ltopic("a", overrides={"retention.ms": "1000"}), ltopic("b", overrides={"retention.ms": "5"})])
    saved, fresh = saved_as_file(make_plan(s, then)), make_plan(s, now)
    # what the fingerprints cover moved for a (its change is stale); b had no change when planned
    saved = replace(saved, fingerprints={}, fingerprinted={})
    assert refusal(saved, fresh, now, s) == (
        "the saved plan no longer matches what kplan would do now (topic.a: update when planned, no change now; "
        "topic.a config[\"retention.ms\"]: 5 -> 1000 (1s) when planned, 1000 (1s) (no change) now; "
        "topic.b: no change when planned, update now; "
        "topic.b config[\"retention.ms\"]: 1000 (1s) (no change) when planned, 5 -> 1000 (1s) now)" + AGAIN)


def test_a_secret_resolved_differently_is_named_not_shown():
    s = stack([], [connector("c", config={"database.password": "${secret:env:PW}"})])
    state = live([], [lconn("c", config={"database.password": "live-plain-secret"})])
    saved = saved_as_file(make_plan(s, state, secrets=resolve_stack_secrets(s, {"PW": SECRET})))
    fresh = make_plan(s, state, secrets=resolve_stack_secrets(s, {"PW": "live-plain-secret"}))
    told = refusal(saved, fresh, state, s)
    assert told == ("the saved plan no longer matches what kplan would do now (connector.c: update when planned, "
                    "no change now; connector.c config[\"database.password\"] (a secret: not shown): changed when "
                    "planned, no change now)" + AGAIN)
    assert SECRET not in told and "live-plain-secret" not in told


# -- a leader election (what no fingerprint covers: the rebalance part names each partition's leader) -----------


def elect(s, current, leaders, saved=None):
    """The plan of `kplan plan --elect-leaders` (or, with `saved`, apply's fresh plan of that saved plan) against
    `current` whose partitions are led by `leaders`."""
    current = replace(current, leaders={"orders": leaders})
    request = RebalanceRequest(elect_leaders=True) if saved is None else rebalancing().of_plan(saved)
    return current, rebalancing().planned(make_plan(s, current), s, current, request, current.leaders)


def test_a_leader_elected_since_the_plan_is_named_with_its_partition_and_leader_then_and_now():
    s = stack([topic("orders", partitions=2, rf=3)])
    current = replace(live([replace(ltopic("orders", 2, 3), assignment=((2, 1, 3), (3, 1, 2)))]),
                      broker_racks={1: "a", 2: "b", 3: "c"})
    _, plan = elect(s, current, (1, 1))
    saved = saved_as_file(plan)
    assert [a.before for a in saved.change("topic.orders").attributes] == ["0:1 | 1:1"]
    # Kafka's automatic leader rebalance elected partition 0's preferred replica (2) meanwhile
    now, fresh = elect(s, current, (2, 1), saved)
    assert refusal(saved, fresh, now, s) == (
        "the saved plan no longer matches what kplan would do now (topic.orders partition 0 leader: 1 when planned, "
        "2 now)" + AGAIN)
    # or moved partition 1's leadership to broker 2, which is not its preferred replica either
    now, fresh = elect(s, current, (1, 2), saved)
    assert refusal(saved, fresh, now, s) == (
        "the saved plan no longer matches what kplan would do now (topic.orders partition 1 leader: 1 when planned, "
        "2 now)" + AGAIN)
    # both partitions elected: nothing left to do for the topic
    now, fresh = elect(s, current, (2, 3), saved)
    assert refusal(saved, fresh, now, s) == (
        "the saved plan no longer matches what kplan would do now (topic.orders: update when planned, no change now; "
        "topic.orders partition 0 leader: 1 when planned, 2 now; topic.orders partition 1 leader: 1 when planned, "
        "3 now)" + AGAIN)
    # unchanged: not stale
    now, fresh = elect(s, current, (1, 1), saved)
    assert check_saved_plan(saved, fresh, now, s, "cluster-1").change("topic.orders").planned.elect == (0, 1)


def test_a_leader_the_fresh_plan_did_not_read_is_said_not_elected():
    """A fresh plan without the leaders it read in its live state names the partitions it no longer elects."""
    s = stack([topic("orders", partitions=1, rf=2)])
    current = replace(live([replace(ltopic("orders", 1, 2), assignment=((2, 1),))]), broker_racks={1: "a", 2: "b"})
    _, plan = elect(s, current, (1,))
    saved = saved_as_file(plan)
    fresh = rebalancing().planned(make_plan(s, current), s, current, rebalancing().of_plan(saved), {"orders": (2,)})
    assert refusal(saved, fresh, current, s) == (
        "the saved plan no longer matches what kplan would do now (topic.orders: update when planned, no change now; "
        "topic.orders partition 0 leader: 1 when planned, not elected now)" + AGAIN)


def test_secret_values_known_to_the_run_are_never_in_a_refusal():
    s = stack([topic("a", partitions=6)])
    then = live([ltopic("a", overrides={"x": "abc"})])
    now = live([ltopic("a", overrides={"x": f"use {SECRET}"})])
    remember([SECRET])  # as the run registers every secret value it meets: the refusal masks them
    told = stale(s, then, now)
    assert SECRET not in told and told.startswith(
        "the saved plan is stale: the cluster changed since it was made (topic.a config[\"x\"]: abc when planned, ")
