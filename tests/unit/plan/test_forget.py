"""`forget:` (issue 43): a resource the stack stops owning is planned as `forget` — never deleted — and apply only
drops it from kplan's record."""

from __future__ import annotations

import textwrap

from builders import lconn, live, ltopic, stack, topic

from kplan.apply.steps import build
from kplan.apply.steps.ownership import ownership_after
from kplan.model.desired import Forget
from kplan.model.plan import Action, ResourceType
from kplan.model.source import Origin
from kplan.plan.planner import make_plan
from kplan.render.text import render_text
from kplan.stackfile import validate_stack


def _forget(*addresses):
    return tuple(Forget(a, Origin("stack.yaml", 9)) for a in addresses)


def test_an_owned_resource_removed_and_forgotten_is_not_deleted():
    current = live([ltopic("orders"), ltopic("events")], [lconn("sink")])
    plan = make_plan(stack(forget=_forget("topic.orders", "connector.sink")), current)
    actions = {c.address: c.action for c in plan.changes}
    assert actions == {"topic.orders": Action.FORGET, "connector.sink": Action.FORGET, "topic.events": Action.DELETE}
    assert plan.summary.forget == 2 and plan.summary.destroy == 1
    text = render_text(plan)
    assert "topic.orders will be forgotten: no longer owned by this stack, left on the cluster with its data" in text


def test_apply_only_drops_it_from_the_record():
    current = live([ltopic("orders")], [lconn("sink")])
    s = stack(forget=_forget("topic.orders", "connector.sink"))
    plan = make_plan(s, current)
    built = build(plan, s, current)
    assert [type(st).__name__ for st in built.steps] == ["RecordOwnership"]
    after = ownership_after(plan, s, current, False)
    assert not after.owned("topics") and not after.owned("connectors")


def test_a_forgotten_protected_topic_is_forgotten_not_refused():
    current = live([ltopic("orders")]).with_kind(ResourceType.TOPIC, protected=frozenset({"orders"}))
    plan = make_plan(stack(forget=_forget("topic.orders")), current)
    assert [c.action for c in plan.changes] == [Action.FORGET] and not plan.has_errors


def test_declared_and_forgotten_is_an_error_and_absent_a_warning():
    s = stack([topic("orders")], forget=_forget("topic.orders", "topic.nowhere"))
    plan = make_plan(s, live([ltopic("orders")]))
    codes = sorted((d.severity.value, d.code, d.address) for d in plan.diagnostics)
    assert ("error", "forget-declared", "topic.orders") in codes
    assert ("warning", "forget-absent", "topic.nowhere") in codes


def test_a_resource_no_longer_owned_is_left_alone_silently():
    plan = make_plan(stack(forget=_forget("topic.orders")), live([ltopic("orders")], owned_topics=[]))
    assert not [c for c in plan.changes if c.is_change or c.action == Action.FORGET] and not plan.diagnostics


def test_a_forgotten_connector_takes_its_offsets_request_token_with_it():
    from builders import live_state

    current = live_state("c", 1, connectors={"sink": lconn("sink")}, owned_connectors=frozenset({"sink"}),
                         offset_tokens={"sink": "t1"})
    s = stack(forget=_forget("connector.sink"))
    after = ownership_after(make_plan(s, current), s, current, False)
    assert not after.owned("connectors") and not after.of("offsets")


def test_the_section_is_loaded_located_and_checked(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent("""\
        stack: s
        cluster: {bootstrap_servers: "k:9092"}
        forget:
          - address: topic.orders
          - address: topci.events
          - address: topic.orders
        """))
    s, diags = validate_stack(path, None, {})
    errors = [d.located().replace(str(tmp_path) + "/", "") for d in diags if d.severity == "error"]
    assert len(errors) == 2, errors
    assert errors[0].startswith("stack.yaml:5:") and 'forget: "topci.events" is not a resource address' in errors[0]
    assert errors[0].endswith('(did you mean "topic"?)'), errors[0]
    assert errors[1].startswith("stack.yaml:6:") and '"topic.orders"' in errors[1] and "stack.yaml:4" in errors[1]
