"""Live-state fingerprints: what apply recomputes to refuse a stale saved plan."""

from __future__ import annotations

from dataclasses import replace

from builders import lconn, live, ltopic, stack, topic

from kplan.model.plan import ResourceType
from kplan.plan.fingerprint import fingerprint_address, fingerprint_resource, stale_addresses
from kplan.plan.planner import make_plan


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
    assert fingerprint_address(state, "topic.a.b") == fingerprint_resource("topic", topics["a.b"])
    assert fingerprint_address(state, "connector.zz") == "absent"
