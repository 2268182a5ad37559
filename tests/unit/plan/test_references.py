"""`references:` (issue 43): resources a stack needs but does not own: checked at plan, never changed."""

from __future__ import annotations

import textwrap

from builders import lconn, live, ltopic, stack, topic

from kplan.model.desired import Reference, freeze
from kplan.model.source import Origin
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
          - address: user.x
          - address: connector.sink
            expect: {min_partitions: 2}
        """))
    s, diags = validate_stack(path, None, {})
    errs = [d.located().replace(str(tmp_path) + "/", "") for d in diags if d.severity == "error"]
    assert len(errs) == 2, errs
    assert errs[0].startswith("stack.yaml:6:")
    assert 'references: "user.x" is not an address kplan can check: write topic.<name>, connector.<name>, ' \
           "subject.<name> or acl.<principal>" in errs[0]
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


# -- what could not be read, subjects and ACL principals (issue 43.1) ------------------------------------------------

HEAD = textwrap.dedent("""\
    stack: s
    cluster:
      bootstrap_servers: "k:9092"
      connect:
        default: {url: "http://c:8083"}
        analytics: {url: "http://a:8083"}
      schema_registry: {url: "http://r:8081"}
    """)


def _plan(tmp_path, references: str, live_doc: dict, *, head: str = HEAD, **kw):
    """The plan of a stack of `references:` only (`references` its YAML list, indented 2) on a live-state document."""
    from kplan.kinds.livejson import live_state_from_dict
    from kplan.stackfile import load_stack

    path = tmp_path / "stack.yaml"
    path.write_text(head + "references:\n" + textwrap.indent(textwrap.dedent(references), "  "))
    return make_plan(load_stack(path, None, {}), live_state_from_dict(live_doc), **kw)


def _said(plan) -> list[str]:
    return [d.message for d in plan.diagnostics if d.code == CODE]


def _load_errors(tmp_path, references: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(head + "references:\n" + textwrap.indent(textwrap.dedent(references), "  "))
    _, diags = validate_stack(path, None, {})
    return [d.located().replace(str(tmp_path) + "/", "") for d in diags if d.severity == "error"]


def test_a_connector_on_a_connect_cluster_that_was_not_read_is_unknown_not_missing_and_still_not_met(tmp_path):
    refs = """\
        - {address: connector.analytics/enrich, expect: {state: running}}
        - {address: connector.pay-cdc}
        """
    live_doc = {"connectors": {"pay-cdc": {"config": {"connector.class": "X"}, "state": "RUNNING"}},
                "connect_problems": {"analytics": "Kafka Connect at http://a:8083 could not be reached"}}
    for allowed in (frozenset(), frozenset({"connect:analytics"})):  # allowing it leaves the stack's own alone only
        plan = _plan(tmp_path, refs, live_doc, allow_unreadable=allowed)
        assert _said(plan) == [
            "connector.analytics/enrich could not be read (Kafka Connect cluster 'analytics' was not read: Kafka "
            "Connect at http://a:8083 could not be reached; --allow-unreadable connect:analytics does not waive a "
            "reference): kplan cannot tell whether it is as the stack needs it (references:), and a reference it "
            "cannot check is not met; make it readable, or drop the reference"], allowed
        assert plan.has_errors and not any("does not exist" in m for m in _said(plan))


def test_a_connector_reference_names_a_connect_cluster_of_the_stack(tmp_path):
    assert _load_errors(tmp_path, "- {address: connector.billing/x}\n") == [
        "stack.yaml:9:15: references[0].address: references: connector.billing/x: the stack names no Kafka Connect "
        "cluster 'billing' (cluster.connect)"]
    no_connect = 'stack: s\ncluster: {bootstrap_servers: "k:9092"}\n'
    assert _load_errors(tmp_path, "- {address: connector.x}\n", no_connect) == [
        "stack.yaml:4:15: references[0].address: references: connector.x: the stack names no Kafka Connect cluster "
        "(cluster.connect)"]


SUBJECTS = {"payments-value": {"version": 3, "schema": '"string"', "versions": [1, 3], "compatibility": None,
                               "effective_compatibility": "FULL"},
            "refunds-value": {"version": 1, "schema": '"string"', "compatibility": "NONE",
                              "effective_compatibility": "NONE"}}


def test_a_subject_reference_checks_the_level_in_effect_at_least_and_that_a_version_exists(tmp_path):
    refs = """\
        - {address: subject.payments-value, expect: {compatibility: BACKWARD, version: 3}}
        - {address: subject.refunds-value, expect: {compatibility: FULL_TRANSITIVE, version: 2}}
        - {address: subject.payments-value-2}
        """
    assert _said(_plan(tmp_path, refs, {"subjects": SUBJECTS})) == [  # in the plan's order, by address
        "subject.payments-value-2 does not exist on the cluster; the stack needs it (references:): create it in the "
        "stack that owns it first",
        "subject.refunds-value is not as the stack needs it: its compatibility level is NONE, FULL_TRANSITIVE or "
        "stricter expected; version 2 does not exist (it has 1)"]  # payments-value's FULL meets BACKWARD
    for level, met in (("BACKWARD", True), ("BACKWARD_TRANSITIVE", True), ("FORWARD", False), ("NONE", False)):
        doc = {"subjects": {"payments-value": {**SUBJECTS["payments-value"], "effective_compatibility": level}}}
        plan = _plan(tmp_path, "- {address: subject.payments-value, expect: {compatibility: BACKWARD}}\n", doc)
        assert (not _said(plan)) is met, (level, _said(plan))


def test_a_subject_on_a_registry_that_was_not_read_or_is_not_named_cannot_be_checked(tmp_path):
    ref = "- {address: subject.payments-value, expect: {compatibility: BACKWARD}}\n"
    plan = _plan(tmp_path, ref, {"subject_problem": "the schema registry could not be read: connection refused"})
    assert _said(plan) == [
        "subject.payments-value could not be read (the schema registry could not be read: connection refused): kplan "
        "cannot tell whether it is as the stack needs it (references:), and a reference it cannot check is not met; "
        "make it readable, or drop the reference"]
    plan = _plan(tmp_path, ref, {"subject_problem": "no-registry"})
    assert _said(plan)[0].startswith("subject.payments-value could not be read (the stack names no schema registry: "
                                     "set cluster.schema_registry.url)")


def test_the_subjects_a_plan_reads_include_the_referenced_ones(tmp_path):
    from kplan.kinds.livejson import live_state_from_dict
    from kplan.kinds.subject.attach import wanted
    from kplan.stackfile import load_stack

    path = tmp_path / "stack.yaml"
    path.write_text(HEAD + "references:\n  - {address: subject.payments-value}\n  - {address: topic.payments}\n")
    assert wanted(load_stack(path, None, {}), live_state_from_dict({})) == ["payments-value"]


def _acls(**by_principal: list[str]) -> dict:
    """acls of a live-state document from `resource|pattern|name|operation|permission|host` lines."""
    keys = ("resource", "pattern", "name", "operation", "permission", "host")
    return {"acls": {p.replace("_", ":", 1).replace("STAR", "*"): {"bindings": [dict(zip(keys, b.split("|")))
                                                                               for b in bs]}
                     for p, bs in by_principal.items()}}


def test_an_acl_reference_is_met_as_the_authorizer_would_allow_it(tmp_path):
    ref = """\
        - address: acl.User:analytics
          expect:
            consume: {topics: [payments.events], groups: [analytics]}
            allow: [{resource: topic, name: payments.audit, operations: [DESCRIBE_CONFIGS]}]
        """
    ways = {  # each grants all of it, in another way
        "literal": _acls(User_analytics=["topic|literal|payments.events|READ|ALLOW|*",
                                         "topic|literal|payments.events|DESCRIBE|ALLOW|*",
                                         "group|literal|analytics|READ|ALLOW|*",
                                         "topic|literal|payments.audit|DESCRIBE_CONFIGS|ALLOW|*"]),
        "prefix, ALL and implied": _acls(User_analytics=["topic|prefixed|payments.|ALL|ALLOW|*",
                                                         "group|prefixed|ana|READ|ALLOW|*"]),
        "wildcards": _acls(User_analytics=["topic|literal|*|READ|ALLOW|*",  # READ implies DESCRIBE
                                           "topic|literal|payments.audit|ALTER_CONFIGS|ALLOW|*"],
                           User_STAR=["group|literal|*|READ|ALLOW|*"]),
    }
    for way, doc in ways.items():
        assert not _said(_plan(tmp_path, ref, doc)), way


def test_an_acl_reference_says_each_operation_missing_or_denied(tmp_path):
    ref = """\
        - address: acl.User:analytics
          expect:
            consume: {topics: ["prefix:payments."], groups: [analytics]}
            allow: [{resource: cluster, operations: [IDEMPOTENT_WRITE]}]
        """
    doc = _acls(User_analytics=["topic|literal|payments.events|READ|ALLOW|*",  # one topic of the prefix only
                                "topic|prefixed|payments|DESCRIBE|ALLOW|*",
                                "group|literal|analytics|READ|ALLOW|10.0.0.7",  # from one host only
                                "cluster|literal|kafka-cluster|IDEMPOTENT_WRITE|ALLOW|*"],
                User_STAR=["cluster|literal|kafka-cluster|ALL|DENY|10.0.0.9"])
    assert _said(_plan(tmp_path, ref, doc)) == [
        "acl.User:analytics is not as the stack needs it: IDEMPOTENT_WRITE on cluster kafka-cluster is denied (deny "
        "ALL on cluster kafka-cluster from 10.0.0.9); no READ on group analytics; no READ on topic prefix:payments."]
    # a principal holding no ACLs at all is not "missing": it lacks each operation
    assert _said(_plan(tmp_path, ref, _acls(User_other=["topic|literal|x|READ|ALLOW|*"])))[0].startswith(
        "acl.User:analytics is not as the stack needs it: no IDEMPOTENT_WRITE on cluster kafka-cluster; no READ on "
        "group analytics; no DESCRIBE on topic prefix:payments.; no READ on topic prefix:payments.")


def test_acls_that_could_not_be_read_cannot_be_checked(tmp_path):
    ref = "- {address: acl.User:analytics, expect: {produce: [payments.events]}}\n"
    for problem, why in (("security-disabled", "the cluster has no authorizer (describe_acls answered "
                                               "SECURITY_DISABLED), so it holds no ACLs"),
                         ("not-authorized", "kplan's principal may not read ACLs (needs DESCRIBE on the cluster)")):
        assert _said(_plan(tmp_path, ref, {"acl_problem": problem}))[0].startswith(
            f"acl.User:analytics could not be read ({why}): kplan cannot tell")
    # one kplan may read but not change is read
    doc = {**_acls(User_analytics=["topic|literal|payments.events|WRITE|ALLOW|*"]),
           "acl_problem": "not-authorized-alter"}
    assert not _said(_plan(tmp_path, ref, doc))


def test_an_acl_reference_loads_as_the_bindings_it_expects_and_its_mistakes_are_located(tmp_path):
    from kplan.model.bindings import AclBinding
    from kplan.stackfile import load_stack

    path = tmp_path / "stack.yaml"
    path.write_text(HEAD + "references:\n  - {address: acl.User:a, expect: {produce: [\"prefix:o.\"]}}\n")
    (ref,) = load_stack(path, None, {}).references
    assert ref.expect == {"allow": (AclBinding("topic", "prefixed", "o.", "DESCRIBE"),
                                    AclBinding("topic", "prefixed", "o.", "WRITE"))}
    assert _load_errors(tmp_path, """\
        - {address: acl.User:a}
        - address: acl.User:b
          expect:
            allow:
              - {resource: topic, name: x, operations: [READ]}
              - {resource: cluster, name: c, operations: [ALTER]}
        - {address: subject.s, expect: {state: running}}
        """) == [
        "stack.yaml:9:5: references[0]: references: acl.User:a: an ACL reference says what the principal must be "
        "allowed: expect produce, consume, allow (as in the acls section)",
        "stack.yaml:14:11: references[1].expect.allow[1]: references: acl.User:b: the cluster resource has no name or "
        'pattern (it is always "kafka-cluster"): remove name and pattern',
        "stack.yaml:15:34: references[2].expect: references: subject.s cannot expect state (a subject may expect "
        "compatibility, version)"]


def test_subject_and_acl_references_are_never_planned_deleted_or_orphans(tmp_path):
    refs = """\
        - {address: subject.payments-value, expect: {compatibility: BACKWARD}}
        - {address: acl.User:analytics, expect: {produce: [payments.events]}}
        """
    claims = "claims:\n  - {prefix: payments, prune: true}\n  - {prefix: User:analytics, prune: true}\n"
    doc = {"subjects": SUBJECTS, **_acls(User_analytics=["topic|literal|payments.events|WRITE|ALLOW|*"])}
    for destroy in (False, True):
        plan = _plan(tmp_path, refs, doc, head=HEAD + claims, destroy=destroy)
        assert not plan.has_errors, plan.diagnostics
        assert not [c.address for c in plan.changes if c.address in ("subject.payments-value", "acl.User:analytics")]


# -- the plan carries the stack's references (issue 43 item 1: the HTML page's data flows mark them) -----------------

def test_the_plan_carries_the_referenced_addresses_sorted_and_a_destroy_none():
    others = live([ltopic("payments", partitions=6)], [lconn("pay-cdc")], owned_topics=[], owned_connectors=[])
    s = stack(references=(_ref("topic.payments"), _ref("connector.pay-cdc")))
    assert make_plan(s, others).references == ("connector.pay-cdc", "topic.payments")
    assert make_plan(s, others, destroy=True).references == ()
    assert make_plan(stack([topic("orders")]), others).references == ()


def _schema_valid(doc):
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_the_plan_json_writes_the_references_when_there_are_any_and_reads_them_back():
    import json

    from kplan.plan.serialize import plan_from_dict, plan_to_dict
    from kplan.state.planfile import dumps_plan, loads_plan

    others = live([ltopic("payments", partitions=6)], [lconn("pay-cdc")], owned_topics=[], owned_connectors=[])
    plan = make_plan(stack(references=(_ref("topic.payments"), _ref("connector.pay-cdc"))), others)
    doc = plan_to_dict(plan)
    assert doc["references"] == ["connector.pay-cdc", "topic.payments"]
    assert list(doc).index("references") == list(doc).index("fingerprints") + 1  # the format's key order
    _schema_valid(doc)
    assert plan_from_dict(doc) == plan
    saved = dumps_plan(plan, stack_path="stack.yaml")
    assert loads_plan(saved).references == plan.references
    bare = plan_to_dict(make_plan(stack([topic("orders")]), others))
    assert "references" not in bare  # absent when the stack references nothing
    _schema_valid(bare)
    older = json.loads(saved)
    del older["references"]  # a plan saved before the field
    assert loads_plan(json.dumps(older)).references == ()


def test_a_plan_of_several_clusters_carries_every_clusters_references_once():
    from dataclasses import replace

    from kplan.plan.clusters import combine
    from kplan.plan.serialize import plan_from_dict, plan_to_dict

    others = live([ltopic("payments", partitions=6), ltopic("refunds")], owned_topics=[])
    east = replace(make_plan(stack(references=(_ref("topic.payments"),)), others), cluster_id="e")
    west = replace(make_plan(stack(references=(_ref("topic.refunds"), _ref("topic.payments"))), others),
                   cluster_id="w")
    combined = combine([("east", east), ("west", west)])
    assert combined.references == ("topic.payments", "topic.refunds")
    doc = plan_to_dict(combined)
    assert doc["references"] == ["topic.payments", "topic.refunds"] and doc["clusters"]
    _schema_valid(doc)
    assert plan_from_dict(doc).references == combined.references
