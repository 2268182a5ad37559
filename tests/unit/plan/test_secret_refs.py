"""Every secret reference the stack declares is judged on every plan (issue 41, defect 7): one located error per
reference that did not resolve — said once, also where a kind already says it — and on destroy a warning (destroy
needs no such value). Never a value."""

from __future__ import annotations

from builders import connector, lconn, live, stack

from kplan.plan.planner import make_plan
from kplan.secrets import SecretValues

REF = "${secret:env:SINK_PASSWORD}"
WHY = "secret reference ${secret:env:SINK_PASSWORD}: environment variable SINK_PASSWORD is not set"
BROKEN = SecretValues({}, {REF: WHY})


def test_an_unresolved_reference_is_one_located_error_on_a_plan():
    st = stack(connectors=[connector(config={"database.password": REF})])
    plan = make_plan(st, live(connectors=[lconn()]), secrets=BROKEN)
    errors = [d for d in plan.errors if d.code == "secret-unresolved"]
    assert len(errors) == 1 and WHY in errors[0].message and errors[0].origin is not None
    assert errors[0].target == "connector.pg-src.config.database.password"


def test_on_destroy_it_is_a_warning_and_the_destroy_goes_on():
    st = stack(connectors=[connector(config={"database.password": REF})])
    plan = make_plan(st, live(connectors=[lconn()]), secrets=BROKEN, destroy=True)
    assert not plan.has_errors and plan.has_changes
    (note,) = [d for d in plan.diagnostics if d.code == "secret-unresolved"]
    assert note.severity.value == "warning" and "destroy does not need this value" in note.message


def test_a_resolved_stack_has_no_such_line():
    st = stack(connectors=[connector(config={"database.password": REF})])
    plan = make_plan(st, live(connectors=[lconn()]), secrets=SecretValues({REF: "pw-123456"}, {}))
    assert not [d for d in plan.diagnostics if d.code == "secret-unresolved"]
