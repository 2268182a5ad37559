"""ACLs as a kind, pure parts: the expansion of a stack entry into bindings, the per-principal diff (add, remove
what kplan created, drift or authoritative removal of the rest) and the ownership record after a run."""

from __future__ import annotations

import json
from pathlib import Path

from builders import live_state
from jsonschema import Draft202012Validator

from kplan.apply.steps import build
from kplan.kinds import ORDER, kind_of
from kplan.kinds.acl.live import LiveAcls
from kplan.kinds.acl.model import ENTRY, AclSpec, acl_shape
from kplan.kinds.acl.section import expand_acl
from kplan.kinds.acl.steps import CreateAcls, DeleteAcls
from kplan.kinds.base import PlanContext
from kplan.kinds.schema_parts import assemble, base_path, kind_part
from kplan.kinds.shape import Attr, defaulted, said, text
from kplan.kinds.shape_schema import stack_part
from kplan.model.bindings import AclBinding
from kplan.model.desired import ClusterSpec, Stack
from kplan.model.diagnostics import Diagnostics
from kplan.model.plan import Action, AttrKind, Flag, Reason, ResourceType
from kplan.model.source import SourceMap
from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues
from kplan.stackfile.schema import report_errors

KPLAN = Path(__file__).resolve().parents[4] / "kplan"


def B(resource, name, op, pattern="literal", permission="ALLOW", host="*"):
    return AclBinding(resource, pattern, name, op, permission, host)


def plan_acls(spec, live):
    """The principal's change, as the planner asks the kind for it."""
    return kind_of(ResourceType.ACL).plan(spec, live, PlanContext(1, SecretValues()))[0]


def test_produce_and_consume_expand_to_the_bindings_clients_need():
    bindings, problems = expand_acl({"principal": "User:a", "produce": ["orders", "prefix:orders."],
                                     "consume": {"topics": ["pay"], "groups": ["g"]}})
    assert problems == []
    assert bindings == sorted({
        B("topic", "orders", "WRITE"), B("topic", "orders", "DESCRIBE"),
        B("topic", "orders.", "WRITE", "prefixed"), B("topic", "orders.", "DESCRIBE", "prefixed"),
        B("topic", "pay", "READ"), B("topic", "pay", "DESCRIBE"), B("group", "g", "READ")})


def test_raw_entries_hosts_and_the_cluster_resource():
    bindings, problems = expand_acl({"principal": "User:a", "host": "10.0.0.1", "allow": [
        {"resource": "cluster", "operations": ["DESCRIBE"]},
        {"resource": "transactional_id", "name": "tx-", "pattern": "prefixed", "operations": ["WRITE"]}],
        "deny": [{"resource": "topic", "name": "*", "operations": ["DELETE"], "host": "*"}]})
    assert problems == []
    assert bindings == sorted([B("cluster", "kafka-cluster", "DESCRIBE", host="10.0.0.1"),
                               B("transactional_id", "tx-", "WRITE", "prefixed", host="10.0.0.1"),
                               B("topic", "*", "DELETE", permission="DENY")])


def test_one_problem_per_mistake():
    _, problems = expand_acl({"principal": "User:a", "allow": [
        {"resource": "topic", "operations": ["READ"]},
        {"resource": "cluster", "name": "c", "operations": ["ALTER"]}]})
    assert [p for p, _ in problems] == ["allow[0]", "allow[1]"]
    _, problems = expand_acl({"principal": "User:a"})
    assert len(problems) == 1 and "declares no bindings" in problems[0][1]
    assert expand_acl({"principal": "User:a", "authoritative": True}) == ([], [])


def test_plan_adds_removes_what_kplan_created_and_leaves_hand_made_bindings_alone():
    spec = AclSpec("User:a", (B("topic", "t", "WRITE"), B("topic", "t", "DESCRIBE")))
    ours, hand = B("topic", "old", "WRITE"), B("group", "g", "READ")
    live = LiveAcls("User:a", frozenset({B("topic", "t", "WRITE"), ours, hand}), frozenset({ours.key}))
    change = plan_acls(spec, live)
    assert change.action == Action.UPDATE and Flag.DRIFT in change.flags
    assert [(a.kind, a.path) for a in change.attributes] == [
        (AttrKind.DRIFT, ("group", "g", "READ")), (AttrKind.REMOVE, ("topic", "old", "WRITE")),
        (AttrKind.ADD, ("topic", "t", "DESCRIBE"))]
    # authoritative: the hand-made binding goes too
    change = plan_acls(AclSpec("User:a", spec.bindings, authoritative=True), live)
    assert {a.path: a.kind for a in change.attributes}[("group", "g", "READ")] == AttrKind.REMOVE
    # nothing live: a create; everything declared and live: no-op
    assert plan_acls(spec, None).action == Action.CREATE
    same = LiveAcls("User:a", frozenset(spec.bindings))
    assert plan_acls(spec, same).action == Action.NOOP and not plan_acls(spec, same).attributes


def test_a_deletion_deletes_only_the_bindings_kplan_created():
    ours, hand = B("topic", "t", "WRITE"), B("topic", "t", "READ")
    mixed = kind_of(ResourceType.ACL).delete(LiveAcls("User:a", frozenset({ours, hand}), frozenset({ours.key})), None,
                                             Reason.DESTROY)
    assert mixed.action == Action.UPDATE
    assert {a.path: a.kind for a in mixed.attributes} == {("topic", "t", "WRITE"): AttrKind.REMOVE,
                                                          ("topic", "t", "READ"): AttrKind.DRIFT}
    only = kind_of(ResourceType.ACL).delete(LiveAcls("User:a", frozenset({ours}), frozenset({ours.key})), None,
                                            Reason.DESTROY)
    assert only.action == Action.DELETE


def test_steps_and_record_for_a_new_principal_then_its_destroy():
    spec = AclSpec("User:a", (B("topic", "t", "WRITE"),))
    stack = Stack("s", None, ClusterSpec("b:1"), kinds={"acls": (spec,)})
    live = live_state("c", 1, {}, {})
    plan = make_plan(stack, live)
    steps = list(build(plan, stack, live).steps)
    assert isinstance(steps[0], CreateAcls) and steps[-1].record.of("acls") == {"User:a": (spec.bindings[0].key,)}
    # a binding that already existed by hand is not recorded as kplan's
    hand = live_state("c", 1, {}, {}, acls={"User:a": LiveAcls("User:a", frozenset(spec.bindings))})
    assert list(build(make_plan(stack, hand), stack, hand).steps) == []
    # destroy: deleted only once created by kplan
    owned = live_state("c", 1, {}, {}, acls={"User:a": LiveAcls("User:a", frozenset(spec.bindings),
                                                               frozenset({spec.bindings[0].key}))},
                      owned_acls=frozenset({"User:a"}))
    steps = list(build(make_plan(stack, owned, destroy=True), stack, owned).steps)
    assert isinstance(steps[0], DeleteAcls) and steps[-1].record.of("acls") == {}


def test_a_new_acl_key_is_one_row_of_its_table():
    """The issue's example of a plain key: a `description` on an ACL binding (an `allow`/`deny` item), added as one
    row of the entry's table (`kplan.kinds.acl.model.ENTRY`); its schema, the reading of an item, the error for a
    misspelt key and the import entry follow. Kafka keeps nothing beside a binding: its write would be kplan's own."""
    description = Attr("description", text(max_length=200), "What the binding is for.", ("the audit job's reads",))
    rows = (*ENTRY, description)
    part = stack_part(acl_shape(rows))
    assert part["$defs"]["aclEntry"]["properties"]["description"] == {
        "type": "string", "maxLength": 200, "description": "What the binding is for.",
        "examples": ["the audit job's reads"]}
    item = {"resource": "topic", "name": "audit", "operations": ["READ"], "description": "the audit job's reads"}
    assert defaulted(rows, item) == {**item, "pattern": "literal", "host": "*"}
    assert "description" not in defaulted(ENTRY, item)  # the row is what reads it
    base = json.loads((KPLAN / base_path("stack")).read_text())
    schema = assemble("stack", base, {**{k: kind_part("stack", k) for k in ORDER}, "acl": part})
    doc = {"acls": [{"principal": "User:audit", "allow": [{**item, "descripton": "x"}]}]}
    diags = Diagnostics()
    report_errors(list(Draft202012Validator(schema).iter_errors(doc)), doc, SourceMap(), diags)
    assert [d.message for d in diags.items] == ['unknown key "descripton" (did you mean "description"?)']
    assert said(rows, {"resource": "topic", "name": "audit", "pattern": "literal", "operations": ["READ"],
                       "host": "*", "description": None}) == {"resource": "topic", "name": "audit",
                                                             "operations": ["READ"]}
