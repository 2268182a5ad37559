"""`references:` (issue 43): resources a stack needs but does not own: checked at plan, never changed."""

from __future__ import annotations

import textwrap

from builders import lconn, live, ltopic, stack, topic

from kplan.model.desired import Origin, Reference, freeze
from kplan.plan.planner import make_plan
from kplan.plan.references import CODE
from kplan.stackfile import validate_stack


def _ref(address, **expect):
    return Reference(address, freeze(expect), Origin("stack.yaml", 7))


def errors(plan):
    return [(d.address, d.message) for d in plan.diagnostics if d.code == CODE]


def test_a_reference_that_holds_is_silent_and_is_never_planned():
    others = live([ltopic("payments", partitions=6, overrides={"cleanup.policy": "delete"})], [lconn("pay-cdc")],
                  owned_topics=[], owned_connectors=[])
    s = stack(references=(_ref("topic.payments", min_partitions=6, config=freeze({"cleanup.policy": "delete"})),
                          _ref("connector.pay-cdc", state="running")))
    plan = make_plan(s, others)
    assert not plan.diagnostics and not [c for c in plan.changes if c.is_change]
    assert not make_plan(s, others, destroy=True).changes  # a destroy never touches them


def test_a_missing_or_different_reference_is_one_located_error_each():
    others = live([ltopic("payments", partitions=3, rf=1, overrides={"cleanup.policy": "compact"})],
                  [lconn("pay-cdc", state="PAUSED")], owned_topics=[], owned_connectors=[])
    s = stack(references=(_ref("topic.payments", min_partitions=6, min_replication_factor=3,
                               config=freeze({"cleanup.policy": "delete", "retention.ms": "604800000"})),
                          _ref("connector.pay-cdc", state="running"), _ref("topic.refunds")))
    plan = make_plan(s, others)
    assert sorted(errors(plan)) == [
        ("connector.pay-cdc", "connector.pay-cdc is not as the stack needs it: its state is paused, running expected"),
        ("topic.payments", "topic.payments is not as the stack needs it: 3 partitions, at least 6 expected; "
                           "replication factor 1, at least 3 expected; cleanup.policy is compact, delete expected; "
                           "retention.ms is unset, 604800000 expected"),
        ("topic.refunds", "topic.refunds does not exist on the cluster; the stack needs it (references:): create it "
                          "in the stack that owns it first")]
    assert all(d.origin == Origin("stack.yaml", 7) for d in plan.diagnostics if d.code == CODE)


def test_a_stack_cannot_reference_its_own():
    s = stack([topic("orders")], references=(_ref("topic.orders"),))
    plan = make_plan(s, live([ltopic("orders")]))
    assert errors(plan) == [("topic.orders", "topic.orders is this stack's own (declared): a stack references only "
                                             "what others own; drop the reference")]


def test_the_section_is_loaded_with_its_values_normalized(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: s
        cluster: {bootstrap_servers: "k:9092"}
        references:
          - address: topic.payments
            expect: {min_partitions: 6, config: {retention.ms: 7d}}
          - address: acl.User:x
          - address: connector.sink
            expect: {min_partitions: 2}
        """))
    s, diags = validate_stack(path, None, {})
    errs = [d.located().replace(str(tmp_path) + "/", "") for d in diags if d.severity == "error"]
    assert len(errs) == 2, errs
    assert errs[0].startswith("stack.yaml:6:")
    assert 'references: "acl.User:x" is not an address kplan can check' in errs[0]
    assert errs[1].startswith("stack.yaml:8:") and "connector.sink cannot expect min_partitions" in errs[1]


def test_a_valid_section_becomes_references(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: s
        cluster: {bootstrap_servers: "k:9092"}
        references:
          - address: topic.payments
            expect: {min_partitions: 6, config: {retention.ms: 7d}}
        """))
    s, diags = validate_stack(path, None, {})
    assert not [d for d in diags if d.severity == "error"]
    (ref,) = s.references
    assert ref.address == "topic.payments" and ref.expect["config"] == {"retention.ms": "604800000"}


def test_a_referenced_resource_under_a_prune_claim_is_never_an_orphan():
    from kplan.model.desired import Claim

    claim = Claim("payments.", prune=True, kinds=frozenset({"topics"}))
    others = live([ltopic("payments.events"), ltopic("payments.stray")], owned_topics=[])
    s = stack(references=(_ref("topic.payments.events"),), claims=(claim,))
    plan = make_plan(s, others)
    assert [c.address for c in plan.changes if c.is_change] == ["topic.payments.stray"]  # pruned; the reference kept
