"""Kafka Streams applications: the bindings generated for an application, what counts as its internal topic, the
section's refusals, the live slice made from the ACLs and topic names, the ownership record, orphans and import."""

from __future__ import annotations

import pytest
from builders import live_state

from kplan.importer.build import ImportOptions, build_import
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.base import PlanContext
from kplan.kinds.streams_app.kind import KIND, follow_up
from kplan.kinds.streams_app.live import LiveStreamsApp, held_key
from kplan.kinds.streams_app.model import StreamsAppSpec, app_bindings, internal_topics_of, is_internal_topic
from kplan.model.bindings import AclBinding
from kplan.model.desired import Claim, ClusterSpec, Stack, freeze
from kplan.model.live import LiveTopic
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, ResourceType
from kplan.plan.orphans import find_orphans
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues
from kplan.stackfile import StackError, load_stack

APP = StreamsAppSpec("orders-app", "User:orders", ("orders", "prefix:raw."), ("enriched",), exactly_once=True)


def key(b: AclBinding) -> tuple[str, str, str, str]:
    return b.resource, b.pattern, b.name, b.operation


def test_exactly_the_bindings_kafka_streams_needs():
    assert {key(b) for b in APP.bindings()} == {
        ("topic", "literal", "orders", "READ"), ("topic", "literal", "orders", "DESCRIBE"),
        ("topic", "prefixed", "raw.", "READ"), ("topic", "prefixed", "raw.", "DESCRIBE"),
        ("topic", "literal", "enriched", "WRITE"), ("topic", "literal", "enriched", "DESCRIBE"),
        ("group", "literal", "orders-app", "READ"),
        *{("topic", "prefixed", "orders-app-", op) for op in ("CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS",
                                                              "READ", "WRITE")},
        ("transactional_id", "prefixed", "orders-app-", "WRITE"),
        ("transactional_id", "prefixed", "orders-app-", "DESCRIBE")}
    at_least_once = app_bindings("a", ("i",), ("o",), exactly_once=False)
    assert not any(b.resource in ("transactional_id", "cluster") for b in at_least_once)
    assert all(b.permission == "ALLOW" and b.host == "*" for b in at_least_once)


@pytest.mark.parametrize("topic,internal", [
    ("orders-app-counts-changelog", True), ("orders-app-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog", True),
    ("orders-app-by-value-repartition", True),
    ("orders-app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic", True),
    ("orders-app-x-subscription-response-topic", True), ("orders-app-changelog", True),
    ("orders-app-output", False), ("other-app-counts-changelog", False), ("orders-apps-x-changelog", False)])
def test_what_kafka_streams_calls_an_internal_topic(topic, internal):
    assert is_internal_topic("orders-app", topic) is internal


def test_a_declared_output_named_like_an_internal_topic_is_not_one():
    spec = StreamsAppSpec("a", "User:a", outputs=("a-x-changelog",))
    assert internal_topics_of(spec, ["a-x-changelog", "a-y-repartition"]) == ("a-y-repartition",)


def _load(tmp_path, body: str):
    p = tmp_path / "s.yaml"
    p.write_text("stack: s\ncluster: {bootstrap_servers: 'b:1'}\nstreams_apps:\n" + body)
    return load_stack(p, environ={})


@pytest.mark.parametrize("body,message", [
    ("  - {application_id: a, principal: 'User:a', topics: [{name: a-x-changelog}]}\n",
     'declares internal topics but internal_topics is "app"'),
    ("  - {application_id: a, principal: 'User:a', internal_topics: managed}\n", "declares no topics"),
    ("  - {application_id: a, principal: 'User:a', internal_topics: managed, topics: [{name: b-x-changelog}]}\n",
     'internal topic "b-x-changelog" is not one of streams app "a"'),
    ("  - {application_id: a, principal: 'User:a'}\n  - {application_id: a, principal: 'User:b'}\n",
     'streams app "a" is declared twice'),
    ("  - {application_id: a, principal: orders}\n", "must match"),
])
def test_the_section_refuses_with_one_located_line(tmp_path, body, message):
    with pytest.raises(StackError) as e:
        _load(tmp_path, body)
    assert any(message in d.message and d.origin.file.endswith("s.yaml") and d.origin.line >= 4
               for d in e.value.diagnostics if d.is_error), e.value


def test_a_managed_application_loads_with_its_topics(tmp_path):
    stack = _load(tmp_path, "  - {application_id: a, principal: 'User:a', inputs: [i], internal_topics: managed,\n"
                            "     topics: [{name: a-s-changelog, partitions: 2, config: {cleanup.policy: compact}}]}\n")
    (spec,) = stack.of("streams_apps")
    assert spec.topics[0].name == "a-s-changelog" and spec.topics[0].partitions == 2
    assert dict(spec.topics[0].config) == {"cleanup.policy": "compact"}


def _live(bindings, topics=(), apps=None):
    acls = {"User:orders": LiveAcls("User:orders", frozenset(bindings))}
    live = live_state("c", 1, {t: LiveTopic(t, 1, 1) for t in topics}, {})
    live = live.with_kind(ResourceType.ACL, resources=freeze(acls))
    if apps is not None:
        live = live.with_kind(ResourceType.STREAMS_APP, resources=freeze(apps), owned=frozenset(apps))
    return live


def test_the_live_slice_holds_the_generated_and_owned_bindings_and_the_internal_topics():
    hand_made = AclBinding("topic", "literal", "audit", "READ")
    old = AclBinding("topic", "literal", "legacy", "READ")
    present = AclBinding("topic", "literal", "orders", "READ")
    recorded = LiveStreamsApp("orders-app", owned=frozenset({held_key(("User:orders", old))}), read=False)
    live = _live({hand_made, old, present}, ("orders", "orders-app-c-changelog", "x-c-changelog"),
                 {"orders-app": recorded})
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"streams_apps": (APP,)})
    app = follow_up(stack, live, None, False).of(ResourceType.STREAMS_APP).resources["orders-app"]
    assert app.bindings == {("User:orders", old), ("User:orders", present)}
    assert app.internal_topics == ("orders-app-c-changelog",)
    change, _ = KIND.plan(APP, app, PlanContext(1, SecretValues()))
    assert change.action is Action.UPDATE
    assert ("User:orders", old) in change.planned.delete and ("User:orders", present) not in change.planned.create
    assert len(change.planned.create) == len(APP.bindings()) - 1


def test_the_record_keeps_what_kplan_created_and_forgets_what_it_deletes():
    old = ("User:orders", AclBinding("topic", "literal", "legacy", "READ"))
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"streams_apps": (APP,)})
    live = _live({old[1]}, apps={"orders-app": LiveStreamsApp("orders-app", frozenset({old}),
                                                              frozenset({held_key(old)}))})
    plan = make_plan(stack, live)
    owned = set(KIND.record_after(plan, stack, live, False, Ownership())["orders-app"])
    assert owned == {held_key(("User:orders", b)) for b in APP.bindings()}
    destroyed = make_plan(stack, live, destroy=True)
    assert KIND.record_after(destroyed, stack, live, True, Ownership()) == {}


def test_internal_topics_and_generated_bindings_are_never_orphans():
    generated = AclBinding("topic", "literal", "orders", "READ")
    hand_made = AclBinding("topic", "literal", "orders-audit", "READ")
    live = _live({generated, hand_made}, ("orders-app-c-changelog", "orders-stray"),
                 {"orders-app": LiveStreamsApp("orders-app", frozenset({("User:orders", generated)}),
                                               internal_topics=("orders-app-c-changelog",))})
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"streams_apps": (APP,)},
                  claims=(Claim("orders", kinds=frozenset({"topics", "acls"})),))
    found = {(o.address, o.parts) for o in find_orphans(stack, live)}
    assert found == {("topic.orders-stray", ()), ("acl.User:orders", (hand_made.key,))}


def test_import_recognises_an_application_and_takes_its_internal_topics_with_it():
    bindings = {b for b in APP.bindings()}
    live = _live(bindings, ("orders", "enriched", "orders-app-c-changelog", "orders-app-r-repartition"))
    imported = build_import(live, ImportOptions("s"))
    assert [t["name"] for t in imported.topics] == ["enriched", "orders"]
    assert imported.kinds["streams_apps"] == ({"application_id": "orders-app", "principal": "User:orders",
                                              "inputs": ["orders", "prefix:raw."], "outputs": ["enriched"],
                                              "exactly_once": True},)
    assert any("orders-app-c-changelog, orders-app-r-repartition imported as part of it" in n
               for n in imported.notes)
