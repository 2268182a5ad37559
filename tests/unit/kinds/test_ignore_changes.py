"""`ignore_changes` (kplan.rules.ignore): a key the cluster has otherwise than the stack says is neither diffed nor
written once the resource exists; said once per resource; a create writes the declared values."""

from __future__ import annotations

import textwrap

from builders import connector, lconn, live, ltopic, stack, topic

from kplan.apply.steps import build
from kplan.kinds.ignoring import IGNORED_CODE
from kplan.model.plan import Action
from kplan.plan.planner import make_plan
from kplan.rules.ignore import ignored
from kplan.stackfile import validate_stack

WEEK, TWO_WEEKS = "604800000", "1209600000"


def notes(plan):
    return [d.message for d in plan.diagnostics if d.code == IGNORED_CODE]


def test_globs_match_whole_keys_case_sensitively():
    assert ignored(["retention.*"], "retention.ms") and ignored(["*.ms"], "segment.ms")
    assert not ignored(["retention"], "retention.ms") and not ignored(["Retention.*"], "retention.ms")


def test_a_tuned_topic_key_is_left_as_the_cluster_has_it_and_said_once():
    spec = topic(config={"retention.ms": WEEK, "cleanup.policy": "delete"}, ignore_changes=("retention.*",))
    plan = make_plan(stack([spec]), live([ltopic(overrides={"retention.ms": TWO_WEEKS, "cleanup.policy": "delete"})]))
    assert [c.action for c in plan.changes] == [Action.NOOP]
    assert notes(plan) == [f"topic 'orders': ignore_changes leaves retention.ms ({TWO_WEEKS}; declared {WEEK}) as the "
                           "cluster has it"]


def test_without_the_rule_the_same_difference_is_an_update():
    spec = topic(config={"retention.ms": WEEK})
    plan = make_plan(stack([spec]), live([ltopic(overrides={"retention.ms": TWO_WEEKS})]))
    assert [c.action for c in plan.changes] == [Action.UPDATE] and not notes(plan)


def test_an_ignored_key_does_not_hide_another_keys_change():
    spec = topic(config={"retention.ms": WEEK, "cleanup.policy": "compact"}, ignore_changes=("retention.ms",))
    plan = make_plan(stack([spec]), live([ltopic(overrides={"retention.ms": TWO_WEEKS, "cleanup.policy": "delete"})]))
    (change,) = plan.changes
    assert change.action == Action.UPDATE and [a.path for a in change.attributes] == [("config", "cleanup.policy")]
    assert change.planned.set_config == {"cleanup.policy": "compact"} and not change.planned.unset_config


def test_an_undeclared_override_is_not_removed_by_an_authoritative_topic():
    spec = topic(config={}, authoritative_config=True, ignore_changes=("segment.*",))
    plan = make_plan(stack([spec]), live([ltopic(overrides={"segment.ms": "3600000", "flush.ms": "1000"})]))
    (change,) = plan.changes
    assert [a.path for a in change.attributes] == [("config", "flush.ms")]  # removed; segment.ms stays
    assert change.planned.unset_config == ("flush.ms",)
    assert notes(plan) == ["topic 'orders': ignore_changes leaves segment.ms (3600000; not declared) as the cluster "
                           "has it"]


def test_a_topic_is_created_with_its_declared_values_ignored_or_not():
    spec = topic(config={"retention.ms": WEEK}, ignore_changes=("retention.ms",))
    (change,) = make_plan(stack([spec]), live()).changes
    assert change.action == Action.CREATE and change.after["config"] == {"retention.ms": WEEK}


def test_a_rewritten_connector_key_is_kept_and_written_back_by_an_update():
    spec = connector(config={"consumer.override.max.poll.records": "500", "snapshot.mode": "initial"},
                     ignore_changes=("consumer.override.*",))
    current = lconn(config={"consumer.override.max.poll.records": "100", "snapshot.mode": "never",
                            "platform.added": "x"})
    plan = make_plan(stack(connectors=[spec]), live(connectors=[current]))
    (change,) = plan.changes
    assert change.action == Action.UPDATE
    assert {a.path for a in change.attributes} == {("config", "snapshot.mode"), ("config", "platform.added")}
    assert notes(plan) == ["connector 'pg-src': ignore_changes leaves consumer.override.max.poll.records (100; "
                           "declared 500) as the cluster has it"]
    (step,) = build(plan, stack(connectors=[spec]), live(connectors=[current])).steps[:1]
    assert step.config["consumer.override.max.poll.records"] == "100"  # the live value, written back
    assert step.config["snapshot.mode"] == "initial" and "platform.added" not in step.config


def test_a_connector_differing_only_in_ignored_keys_has_no_change():
    spec = connector(config={"a.b": "1"}, ignore_changes=("a.*",))
    plan = make_plan(stack(connectors=[spec]), live(connectors=[lconn(config={"a.b": "2", "a.c": "3"})]))
    assert [c.action for c in plan.changes] == [Action.NOOP] and len(notes(plan)) == 1


def _diags(tmp_path, body):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: s
        cluster: {bootstrap_servers: "k:9092", connect_url: "http://c:8083"}
        """) + textwrap.dedent(body))
    stack_, diags = validate_stack(path, None, {})
    return stack_, [d.located() for d in diags if d.severity == "error"]


def test_a_pattern_that_would_ignore_the_connector_class_is_one_located_error(tmp_path):
    _, errs = _diags(tmp_path, """\
        connectors:
          - name: sink
            class: org.example.Sink
            ignore_changes: ["connector.*"]
        """)
    assert [e.rpartition("/")[2] for e in errs] == [
        'stack.yaml:4:5: connectors[0]: ignore_changes pattern "connector.*" would ignore connector.class, which kplan '
        'must set for connector "sink"; narrow the pattern']


def test_defaults_give_every_topic_the_rule_and_an_entry_replaces_it(tmp_path):
    stack_, errs = _diags(tmp_path, """\
        defaults:
          topic: {partitions: 1, replication_factor: 1, ignore_changes: ["retention.ms"]}
        topics:
          - name: a
          - name: b
            ignore_changes: ["segment.*"]
        """)
    assert not errs
    assert [(t.name, t.ignore_changes) for t in stack_.of("topics")] == [("a", ("retention.ms",)),
                                                                       ("b", ("segment.*",))]


def test_a_topic_pattern_that_matches_no_topic_config_is_one_located_error(tmp_path):
    _, errs = _diags(tmp_path, """\
        defaults:
          topic: {partitions: 1, replication_factor: 1, ignore_changes: ["retention.msec"]}
        topics:
          - name: a
          - name: b
          - name: c
            ignore_changes: ["segment.*", "message.format.version", "flush.x*"]
        """)
    assert [e.rpartition("/")[2] for e in errs] == [
        'stack.yaml:4:66: defaults.topic.ignore_changes[0]: ignore_changes pattern "retention.msec" matches no topic '
        'config (did you mean "retention.ms"?): it would leave nothing as the cluster has it; fix or remove it '
        "(topics a, b)",
        'stack.yaml:9:61: topics[2].ignore_changes[2]: ignore_changes pattern "flush.x*" matches no topic config '
        '(did you mean "flush.ms"?): it would leave nothing as the cluster has it; fix or remove it (topic c)']


def test_a_connector_pattern_that_misses_a_key_the_plan_writes_is_a_warning():
    spec = connector(config={"consumer.override.max.poll.records": "500"},
                     ignore_changes=("consumer.overide.*", "producer.override.*"))
    current = lconn(config={"consumer.override.max.poll.records": "100"})
    plan = make_plan(stack(connectors=[spec]), live(connectors=[current]))
    assert [d.message for d in plan.diagnostics if d.code == "ignore-pattern-missed"] == [
        "connector 'pg-src': ignore_changes pattern \"consumer.overide.*\" matches none of its keys, declared or on "
        'the cluster (did you mean "consumer.override.max.poll.records"?); this plan writes that key as the stack '
        "says"]
    plan = make_plan(stack(connectors=[spec]), live(connectors=[lconn(config=dict(spec.config))]))
    assert not [d for d in plan.diagnostics if d.code == "ignore-pattern-missed"]  # nothing written: nothing said
