"""Live-state fingerprints: what apply recomputes to refuse a stale saved plan."""

from __future__ import annotations

from dataclasses import replace

from builders import connector, lconn, live, ltopic, stack, topic

from kplan.model.plan import Action, ResourceType
from kplan.plan.fingerprint import canonical_document, fingerprint_of, fingerprints, stale_addresses
from kplan.plan.planner import make_plan


def fingerprint_resource(resource_type, live, sensitive=frozenset()):
    return fingerprint_of(canonical_document(resource_type, live, sensitive))


def test_absent_resource():
    assert fingerprint_resource("topic", None) == "absent"


def test_fingerprint_is_a_sha256_and_stable():
    fp = fingerprint_resource("topic", ltopic(overrides={"retention.ms": "1000"}))
    assert fp.startswith("sha256:") and len(fp) == 7 + 64
    assert fp == fingerprint_resource("topic", ltopic(overrides={"retention.ms": "1000"}))


def test_topic_fingerprint_tracks_partitions_rf_and_overrides_not_inherited_values():
    base = fingerprint_resource("topic", ltopic())
    assert fingerprint_resource("topic", ltopic(partitions=4)) != base
    assert fingerprint_resource("topic", ltopic(rf=1)) != base
    assert fingerprint_resource("topic", ltopic(overrides={"a.ms": "1"})) != base
    assert fingerprint_resource("topic", ltopic(effective={"a.ms": "1"})) == base


def test_topic_fingerprint_normalizes_set_valued_configs():
    a = fingerprint_resource("topic", ltopic(overrides={"cleanup.policy": "compact,delete"}))
    assert a == fingerprint_resource("topic", ltopic(overrides={"cleanup.policy": "delete,compact"}))


def test_connector_fingerprint_tracks_config_and_state():
    base = fingerprint_resource("connector", lconn())
    assert fingerprint_resource("connector", lconn(config={"k": "v"})) != base
    assert fingerprint_resource("connector", lconn(state="PAUSED")) != base
    assert fingerprint_resource("connector", lconn(tasks=["FAILED"])) == base  # task health is not staleness


def test_connector_fingerprint_does_not_contain_the_secret():
    fp = fingerprint_resource("connector", lconn(config={"database.password": "hunter2"}))
    assert "hunter2" not in fp


def test_stale_addresses():
    state = live([ltopic("a"), ltopic("gone")])
    plan = make_plan(stack([topic("a", partitions=6), topic("new")]), state)
    assert stale_addresses(plan, state) == []
    changed = live([ltopic("a", partitions=4), ltopic("gone"), ltopic("new")])
    assert stale_addresses(plan, changed) == ["topic.a", "topic.new"]
    assert stale_addresses(plan, replace(state, cluster_id="other")) == ["cluster"]


def test_fingerprint_address():
    state = live([ltopic("a.b")], [lconn("c")])
    topics = state.of(ResourceType.TOPIC).resources
    assert fingerprints(state, ["topic.a.b"])["topic.a.b"] == fingerprint_resource("topic", topics["a.b"])
    assert fingerprints(state, ["connector.zz"])["connector.zz"] == "absent"


def _requests(group_targets, share_targets, tokens=None, group_state="Empty"):
    """A stack with a consumer group's and a share group's pending `latest` request, and what a read found: each at
    offset 3 of t/0 (the consumer group none when Dead), its targets as resolved (`latest` moves with the
    records)."""
    from kplan.kinds.group_request.live import LiveGroup
    from kplan.kinds.group_request.live import LiveGroup as LiveShareGroup
    from kplan.kinds.group_request.model import GroupReset, GroupSpec
    from kplan.kinds.group_request.model import GroupSpec as ShareGroupSpec
    from kplan.model.desired import freeze

    latest = GroupReset("latest", "latest", topics=("t",))
    s = replace(
        stack([]),
        kinds={
            "consumer_groups": (GroupSpec("app", "r1", latest),),
            "share_groups": (ShareGroupSpec("jobs", "r1", latest),),
        },
    )
    state = live([]).with_kind(
        ResourceType.CONSUMER_GROUP,
        resources=freeze(
            {
                "app": LiveGroup(
                    "app",
                    (tokens or {}).get("app"),
                    group_state,
                    0,
                    (("t", 0, 3),) if group_state != "Dead" else (),
                    group_targets,
                )
            }
        ),
        records=freeze({k: v for k, v in (tokens or {}).items() if k == "app"}),
    )
    state = state.with_kind(
        ResourceType.SHARE_GROUP,
        resources=freeze({"jobs": LiveShareGroup("jobs", None, "Empty", 0, (("t", 0, 3),), share_targets)}),
    )
    return s, state


def test_a_saved_plans_requests_run_as_reviewed_though_their_targets_moved():
    """Issue 56, item 4: `latest` (a time, a duration ago: any target the read resolves) resolved to 10 when the plan
    was saved and to 15 at apply. The saved plan is not stale, and apply runs its requests as saved: 10."""
    from kplan.apply.steps import build
    from kplan.plan.fingerprint import as_reviewed, what_changes

    s, then = _requests((("t", 0, 10),), (("t", 0, 10),))
    saved = make_plan(s, then)
    _, now = _requests((("t", 0, 15),), (("t", 0, 15),))
    fresh = make_plan(s, now)
    assert stale_addresses(saved, now) == [] and what_changes(saved) == what_changes(fresh)
    reviewed = as_reviewed(saved, fresh)
    offsets = {st.group: st.offsets for st in build(reviewed, s, now).steps if hasattr(st, "offsets")}
    assert offsets == {"app": (("t", 0, 10),), "jobs": (("t", 0, 10),)}
    assert [d.message for d in reviewed.diagnostics] == [d.message for d in saved.diagnostics]


def test_a_saved_request_is_stale_once_applied_by_another_run_or_once_its_group_exists():
    s, then = _requests((("t", 0, 10),), (("t", 0, 10),), group_state="Dead")
    saved = make_plan(s, then)
    assert not saved.has_errors and saved.change("consumer_group.app").action == Action.CREATE
    _, applied = _requests((("t", 0, 15),), (("t", 0, 15),), tokens={"app": "r1"})
    assert stale_addresses(saved, applied) == ["consumer_group.app"]
    _, created = _requests((("t", 0, 15),), (("t", 0, 15),), group_state="Empty")
    assert stale_addresses(saved, created) == ["consumer_group.app"]


def test_a_consumer_group_shown_at_its_target_stays_no_change_in_a_saved_plan():
    """The group was at `latest` (10) when the plan was saved: no change, only its token recorded. Records arrived,
    so a fresh plan moves it to 15; the saved plan applies what was reviewed: nothing for the group."""
    from kplan.plan.fingerprint import as_reviewed

    s, then = _requests((("t", 0, 3),), (("t", 0, 3),))
    saved = make_plan(s, then)
    _, now = _requests((("t", 0, 15),), (("t", 0, 15),))
    [group] = [c for c in as_reviewed(saved, make_plan(s, now)).changes if c.type == ResourceType.CONSUMER_GROUP]
    assert not group.is_change


def test_a_connectors_task_health_does_not_change_what_a_saved_plan_does():
    """A config change planned while a task was FAILED (flagged unhealthy, not acted on) does the same once the task
    runs again: the flag is not compared, as task health is not in the fingerprint; a config value is."""
    from kplan.plan.fingerprint import what_changes

    s = stack([], [connector(config={"k": "v2"})])
    failed = make_plan(s, live([], [lconn(config={"k": "v1"}, tasks=["FAILED"])]))
    assert "unhealthy" in [f.value for c in failed.changes for f in c.flags]
    assert what_changes(failed) == what_changes(make_plan(s, live([], [lconn(config={"k": "v1"}, tasks=["RUNNING"])])))
    assert what_changes(failed) != what_changes(make_plan(s, live([], [lconn(config={"k": "v0"}, tasks=["FAILED"])])))
