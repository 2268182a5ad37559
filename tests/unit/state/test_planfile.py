"""Saved plans: round trip, no plaintext secrets, refusal of foreign or future files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from builders import SECRET, connector, lconn, live, ltopic, stack, topic

from kplan.errors import KplanError
from kplan.plan.planner import make_plan
from kplan.stackfile.references import resolve_stack_secrets
from kplan.state.planfile import dumps_plan, load_plan, loads_plan, save_plan

SCHEMA = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "plan.schema.json").read_text())


@pytest.fixture
def plan():
    st = stack([topic("a", partitions=6, config={"retention.ms": "1000"}), topic("b", rf=1)],
               [connector("c", config={"database.password": "${secret:env:PW}", "x.password": "plain-in-stack"})])
    return make_plan(
        st,
        live([ltopic("a", overrides={"segment.ms": "1"}), ltopic("b"), ltopic("old")],
             [lconn("c", config={"database.password": "live-plain", "x.password": "y"})]),
        secrets=resolve_stack_secrets(st, {"PW": SECRET}),
    )


def test_round_trip(tmp_path, plan):
    path = tmp_path / "plan.json"
    save_plan(plan, str(path))
    assert load_plan(str(path)) == plan


def test_saved_plan_has_no_plaintext_secret_but_keeps_the_reference(tmp_path, plan):
    path = tmp_path / "plan.json"
    save_plan(plan, str(path))
    text = path.read_text()
    for secret in (SECRET, "plain-in-stack", "live-plain"):
        assert secret not in text
    assert "${secret:env:PW}" in text  # re-resolved from the environment at apply time


def test_saved_plan_is_schema_valid_and_carries_staleness_data(plan):
    doc = json.loads(dumps_plan(plan))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["kplan_version"] and doc["cluster_id"] == "cluster-1" and doc["inputs_digest"] == "d" * 64
    assert set(doc["fingerprints"]) == {"topic.a", "topic.old", "connector.c"}


def test_saved_plan_is_private(tmp_path, plan):
    path = tmp_path / "plan.json"
    save_plan(plan, str(path))
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left


def test_unreadable_or_foreign_files_are_one_line_errors(tmp_path):
    with pytest.raises(KplanError, match="cannot read the plan"):
        load_plan(str(tmp_path / "missing.json"))
    with pytest.raises(KplanError, match="not a kplan plan file: invalid JSON"):
        loads_plan("{nope", "x.json")
    with pytest.raises(KplanError, match="not a kplan plan"):
        loads_plan('{"hello": 1}', "x.json")


def test_future_format_version_is_refused(plan):
    doc = json.loads(dumps_plan(plan))
    doc["format_version"] = "2"
    with pytest.raises(KplanError, match="unsupported plan format version '2'"):
        loads_plan(json.dumps(doc))


def test_malformed_plan_is_refused(plan):
    doc = json.loads(dumps_plan(plan))
    doc["resource_changes"][0]["actions"] = ["explode"]
    with pytest.raises(KplanError, match="malformed plan"):
        loads_plan(json.dumps(doc))


def test_write_error_is_one_line(tmp_path, plan):
    with pytest.raises(KplanError, match="cannot write the plan"):
        save_plan(plan, str(tmp_path / "no" / "such" / "dir" / "plan.json"))


def test_stack_path_is_recorded_relative_to_the_plan_file(tmp_path, plan, monkeypatch):
    from kplan.state.planfile import stack_path_of

    (tmp_path / "stacks").mkdir()
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path)
    save_plan(plan, "out/plan.json", stack_path="stacks/shop.yaml")
    assert json.loads(Path("out/plan.json").read_text())["stack_path"] == "../stacks/shop.yaml"
    assert stack_path_of("out/plan.json") == "stacks/shop.yaml"
    monkeypatch.chdir(tmp_path / "out")
    assert stack_path_of("plan.json") == "../stacks/shop.yaml"
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(Path("plan.json").read_text()))


def test_stack_path_not_recorded(tmp_path, plan):
    from kplan.state.planfile import stack_path_of

    save_plan(plan, str(tmp_path / "plan.json"))
    assert stack_path_of(str(tmp_path / "plan.json")) is None
