"""kplan.operator.located and kplan.operator.webhook.answer (pure): a spec's stack file and its lines' field paths,
kplan's findings said at those paths, and the AdmissionReview answer (the webhook on a real API server:
tests/integration/test_kubernetes_webhook.py)."""

from __future__ import annotations

import json

from kplan.errors import KplanError
from kplan.model.diagnostics import Diagnostic
from kplan.operator.located import at_fields, fields_in, spec_text
from kplan.operator.webhook import answer

SPEC = {"stack": "s", "cluster": {"bootstrap_servers": "b:9092", "client": {}},
        "topics": [{"name": "t", "config": {"retention.ms": 1}}, {"name": "t"}], "connectors": []}


def test_each_line_of_the_written_spec_has_its_field_path():
    text, paths = spec_text(SPEC)
    assert text == json.dumps(SPEC, indent=1) + "\n" and len(paths) == text.count("\n")
    lines = text.splitlines()
    named = {paths[i]: lines[i].strip() for i in range(len(lines))}
    assert named["spec.topics[0].config.retention.ms"] == '"retention.ms": 1'
    assert named["spec.topics[1].name"] == '"name": "t"'
    assert named["spec.cluster.client"] == '"client": {}'
    assert paths[lines.index('   "name": "t",') + 1] == "spec.topics[0].config"


def test_a_finding_is_said_at_field_paths_in_place_of_the_files_lines():
    text, paths = spec_text(SPEC)
    first = paths.index("spec.topics[0]") + 1
    second = paths.index("spec.topics[1]") + 1
    twice = Diagnostic.at("/w/stack.yaml", second, 3, "topics[1]",
                          f'duplicate topic "t": the topic collides with the topic at /w/stack.yaml:{first}')
    assert at_fields(twice, "/w/stack.yaml", paths) == \
        'spec.topics[1]: duplicate topic "t": the topic collides with the topic at spec.topics[0]'
    warned = Diagnostic.at("/w/stack.yaml", second, 3, "topics[1].name", "a warning", "warning")
    assert at_fields(warned, "/w/stack.yaml", paths) == "spec.topics[1]: warning: topics[1].name: a warning"
    whole = Diagnostic.at("/w/stack.yaml", 0, 0, "", "no cluster")
    assert at_fields(whole, "/w/stack.yaml", paths) == "spec: no cluster"
    row = f"| `+` | `topic.t` | create | | `/w/stack.yaml:{second}` |"
    assert fields_in(row, "/w/stack.yaml", paths) == "| `+` | `topic.t` | create | | `spec.topics[1]` |"
    elsewhere = Diagnostic.at("/w/tpl.j2", 4, 1, "", "bad template")
    assert at_fields(elsewhere, "/w/stack.yaml", paths) == "/w/tpl.j2:4:1: bad template"


def review(operation: str = "CREATE", obj: dict | None = None) -> dict:
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u-1", "operation": operation, "object": obj if obj is not None else {"spec": {}}}}


def test_the_answer_refuses_with_kplans_lines_and_admits_with_its_warnings():
    refused = answer(review(), lambda r: (["spec.topics[1]: duplicate", "spec: other"], ["spec: w"]))
    assert refused == {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
        "uid": "u-1", "allowed": False, "warnings": ["spec: w"],
        "status": {"code": 422, "reason": "Invalid", "message": "spec.topics[1]: duplicate\nspec: other"}}}
    assert answer(review(), lambda r: ([], []))["response"] == {"uid": "u-1", "allowed": True}
    assert answer(review("DELETE"), lambda r: (["never asked"], []))["response"]["allowed"] is True

    def unreadable(resource):
        raise KplanError("the Secret 'kafka' named by kplan.dev/secrets cannot be read (404)")

    admitted = answer(review(), unreadable)["response"]
    assert admitted["allowed"] is True and admitted["warnings"] == [
        "kplan could not check the spec: the Secret 'kafka' named by kplan.dev/secrets cannot be read (404)"]
