"""A plan never says "No changes" about what it could not see (issue 41): a declared Connect cluster that was not
read is an error; allowed (`--allow-unreadable connect:NAME`), every rendering says what was not read, the JSON
records it (schema-valid), and a saved plan keeps it while one saved before the field existed still loads."""

from __future__ import annotations

import json

from builders import live, ltopic, stack, topic
from test_plan_render import validate

from kplan.kinds.connect_features import ConnectFacts
from kplan.model.desired import freeze
from kplan.model.plan import NotRead, ResourceType
from kplan.plan.planner import make_plan
from kplan.render import render_json
from kplan.render.markdown import render_markdown
from kplan.render.text import render_text
from kplan.state.planfile import dumps_plan, loads_plan

WHY = "cannot reach Kafka Connect at http://b:8083: connection refused"
NOTE = "Not read (--allow-unreadable): Kafka Connect cluster 'b'; nothing on it was planned."


def unread(*topics):
    return live(list(topics)).with_kind(ResourceType.CONNECTOR, facts=ConnectFacts(problems=freeze({"b": WHY})))


def test_an_unread_connect_cluster_is_an_error_and_the_summary_claims_no_match():
    plan = make_plan(stack([topic()]), unread(ltopic()))
    assert [d.code for d in plan.errors] == ["connect-unreadable"] and plan.not_read == ()
    assert "--allow-unreadable connect:b" in plan.errors[0].message
    out = render_text(plan)
    assert "No changes" not in out
    assert "No plan until the errors are fixed: kplan cannot tell whether the cluster matches the stack." in out
    assert "No changes" not in render_markdown(plan)
    assert "not_read" not in json.loads(render_json(plan))  # absent: every system was read


def test_allowed_the_rest_is_planned_and_every_rendering_says_what_was_not_read():
    plan = make_plan(stack([topic()]), unread(ltopic()), allow_unreadable=frozenset({"connect:b"}))
    assert not plan.has_errors and plan.not_read == (NotRead("connect:b", WHY),)
    text = render_text(plan)
    assert "No changes." not in text and "The cluster matches" not in text
    assert text.rstrip().endswith(f"No changes in what was read. {NOTE}")
    assert f"No changes in what was read. {NOTE}" in render_markdown(plan)
    doc = json.loads(render_json(plan))
    validate(doc)
    assert doc["not_read"] == [{"system": "connect:b", "why": WHY}]


def test_allowed_with_changes_the_count_line_says_it_too():
    plan = make_plan(stack([topic()]), unread(), allow_unreadable=frozenset({"connect:b"}))
    assert f"Plan: 1 to add, 0 to change, 0 to destroy. {NOTE}" in render_text(plan)


def test_an_allowance_for_a_cluster_that_was_read_records_nothing():
    plan = make_plan(stack([topic()]), live([ltopic()]), allow_unreadable=frozenset({"connect:b"}))
    assert plan.not_read == () and "No changes. The cluster matches the stack." in render_text(plan)


def test_a_saved_plan_keeps_what_was_not_read_and_an_older_one_loads_without_it():
    plan = make_plan(stack([topic()]), unread(), allow_unreadable=frozenset({"connect:b"}))
    saved = dumps_plan(plan, stack_path="stack.yaml")
    assert loads_plan(saved).not_read == (NotRead("connect:b", WHY),)
    older = json.loads(saved)
    del older["not_read"]  # a plan saved by the release before the field
    assert loads_plan(json.dumps(older)).not_read == ()
    validate({k: v for k, v in older.items() if k not in ("kplan_version", "stack_path")} | {
        "kplan_version": "0.1.0", "stack_path": "stack.yaml"})
