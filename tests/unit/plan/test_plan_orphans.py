"""Orphans under claimed prefixes (docs/orphans.md), the pure part: which live resources are orphans (the longest
claim decides; what any stack owns, what the stack declares and what is internal never is), what the plan shows
for them without and with `prune`, and that nothing changes without claims or on destroy."""

from __future__ import annotations

from dataclasses import replace

from builders import lconn, live, ltopic, stack, topic

from kplan.kinds import claimable_sections, kind_of
from kplan.kinds.acl.kind import orphan_bindings
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.acl.model import AclSpec
from kplan.model.bindings import AclBinding
from kplan.model.desired import Claim, freeze
from kplan.model.orphans import Orphan, claim_for
from kplan.model.plan import Action, AttrKind, Reason, ResourceType, Severity
from kplan.model.status import StatusReport
from kplan.plan.orphans import find_orphans
from kplan.plan.planner import make_plan
from kplan.plan.status import build_status

ALL = frozenset(claimable_sections())  # what a claim without `kinds:` covers (kplan.stackfile.claims)
ORDERS = Claim("orders.", kinds=ALL)
PRUNE = Claim("orders.", prune=True, kinds=ALL)


def _live(**kw):
    topics = [ltopic("orders.placed"), ltopic("orders.tmp"), ltopic("orders.shipped"), ltopic("billing.x"),
              ltopic("orders.connect-offsets"), ltopic("__consumer_offsets")]
    state = live(topics, [lconn("orders.sink"), lconn("billing.sink")], owned_topics=["orders.placed"],
                 owned_connectors=[], all_topic_names=[t.name for t in topics])
    return replace(state, foreign_owners=freeze({"topic.orders.shipped": "shipping"}), **kw)


def test_the_longest_claimed_prefix_decides_and_kinds_limit_a_claim():
    wide, narrow = Claim("orders.", prune=True, kinds=ALL), Claim("orders.audit.", kinds=ALL)
    assert claim_for((wide, narrow), "topics", "orders.audit.x") is narrow
    assert claim_for((wide, narrow), "topics", "orders.x") is wide
    assert claim_for((wide,), "topics", "billing.orders.x") is None
    topics_only = Claim("orders.", kinds=frozenset({"topics"}))
    assert claim_for((topics_only,), "connectors", "orders.sink") is None


def test_orphans_leave_out_owned_declared_foreign_internal_and_unclaimed_names():
    s = stack([topic("orders.placed"), topic("orders.new")], claims=(ORDERS,))
    found = {(o.type, o.name) for o in find_orphans(s, _live())}
    assert found == {(ResourceType.TOPIC, "orders.tmp"), (ResourceType.CONNECTOR, "orders.sink")}


def test_without_claims_nothing_is_an_orphan_and_the_plan_is_unchanged():
    s = stack([topic("orders.placed")])
    assert find_orphans(s, _live()) == []
    plan = make_plan(s, _live())
    assert not any(d.code == "orphan" for d in plan.diagnostics)
    assert [c.address for c in plan.changes if c.is_change] == []


def test_without_prune_orphans_are_information_not_changes():
    plan = make_plan(stack([topic("orders.placed")], claims=(ORDERS,)), _live())
    assert not plan.has_changes
    infos = [d for d in plan.diagnostics if d.code == "orphan"]
    assert {d.address for d in infos} == {"topic.orders.tmp", "connector.orders.sink"}
    assert all(d.severity is Severity.INFO and "left alone" in d.message for d in infos)


def test_with_prune_orphans_are_deletions_and_nothing_else_is():
    plan = make_plan(stack([topic("orders.placed")], claims=(PRUNE,)), _live())
    deleted = {c.address: c for c in plan.changes if c.action is Action.DELETE}
    assert set(deleted) == {"topic.orders.tmp", "connector.orders.sink"}
    assert all(c.reason is Reason.ORPHAN and c.planned is not None for c in deleted.values())


def test_destroy_never_touches_orphans():
    plan = make_plan(stack([topic("orders.placed")], claims=(PRUNE,)), _live(), destroy=True)
    assert {c.address for c in plan.changes if c.is_change} == {"topic.orders.placed"}
    assert not any(d.code == "orphan" for d in plan.diagnostics)


def _b(name, op="WRITE", resource="topic", pattern="literal"):
    return AclBinding(resource, pattern, name, op)


def test_acl_orphans_are_the_unowned_undeclared_bindings_under_the_claim():
    declared, owned = _b("orders.placed"), _b("orders.placed", "DESCRIBE")
    hand, outside, cluster = _b("orders.tmp", "READ"), _b("billing.x", "READ"), _b("kafka-cluster", "ALTER", "cluster")
    current = LiveAcls("User:app", frozenset({declared, owned, hand, outside, cluster}), frozenset({owned.key}))
    spec = AclSpec("User:app", (declared,))
    assert orphan_bindings(current, spec, (ORDERS,)) == {ORDERS: [hand]}
    assert orphan_bindings(current, replace(spec, authoritative=True), (ORDERS,)) == {}


def test_pruning_acls_merges_into_the_principals_change_and_keeps_the_rest():
    keep, hand, outside = _b("orders.placed"), _b("orders.tmp", "READ"), _b("billing.x", "READ")
    current = LiveAcls("User:app", frozenset({keep, hand, outside}))
    state = _live().with_kind(ResourceType.ACL, resources=freeze({"User:app": current}))
    change = kind_of(ResourceType.ACL).prune([Orphan.of(ResourceType.ACL, "User:app", PRUNE, (hand.key,))], state, None)
    assert change.action is Action.UPDATE and change.reason is Reason.ORPHAN
    assert change.planned.delete == (hand,) and change.planned.create == ()
    removed = [a.path for a in change.attributes if a.kind is AttrKind.REMOVE]
    assert removed == [("topic", "orders.tmp", "READ")]


def test_an_acl_principal_another_stack_owns_has_no_orphans():
    current = LiveAcls("User:other", frozenset({_b("orders.tmp")}))
    state = _live().with_kind(ResourceType.ACL, resources=freeze({"User:other": current}))
    assert [o.name for o in find_orphans(stack(claims=(ORDERS,)), state)] == ["orders.tmp", "orders.sink",
                                                                                "User:other"]
    foreign = replace(state, foreign_owners=freeze({**state.foreign_owners, "acl.User:other": "team-b"}))
    assert "User:other" not in [o.name for o in find_orphans(stack(claims=(ORDERS,)), foreign)]


def test_status_lists_orphans_and_only_pruned_ones_are_pending():
    for claim, pending in ((ORDERS, False), (PRUNE, True)):
        s = stack([topic("orders.placed", partitions=3, rf=3)], claims=(claim,))
        state = _live()
        report: StatusReport = build_status(s, state, make_plan(s, state))
        assert [o.address for o in report.orphans] == ["topic.orders.tmp", "connector.orders.sink"]
        assert report.pending is pending and report.summary().orphans == 2


def test_subject_orphans_come_from_the_subjects_read_under_the_claim():
    from kplan.kinds.subject.attach import claimed_names

    state = replace(_live(), foreign_owners=freeze({"subject.orders.b-value": "other"}))
    assert claimed_names(stack(claims=(ORDERS,)), state, ["orders.a-value", "orders.b-value", "billing-value"]) \
        == ["orders.a-value"]
    assert claimed_names(stack(claims=(Claim("orders.", kinds=frozenset({"topics"})),)), state,
                         ["orders.a-value"]) == []


def test_the_read_describes_only_unread_unowned_claimed_topics():
    from kplan.cluster.claimed import unread_claimed_topics

    topics = _live().of(ResourceType.TOPIC).resources
    state = _live().with_kind(ResourceType.TOPIC,
                              resources=freeze({n: t for n, t in topics.items() if n == "orders.placed"}))
    assert unread_claimed_topics(stack(claims=(ORDERS,)), state) == ["orders.tmp"]
    assert unread_claimed_topics(stack(), state) == []
