"""Several clusters in one stack (`clusters:`): loading (each resource under the cluster it names, located errors),
the combined plan and its renderings (grouped by cluster) and its JSON form (round trip, schema)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from kplan.model.live import LiveState
from kplan.plan.clusters import combine
from kplan.plan.planner import make_plan
from kplan.plan.serialize import plan_from_dict, plan_to_dict
from kplan.render import render
from kplan.stackfile import StackError, load_stack

ROOT = Path(__file__).resolve().parents[3]

TWO = {
    "stack": "twin",
    "clusters": {
        "east": {"bootstrap_servers": "east:9092", "connect_url": "http://east:8083"},
        "west": {"bootstrap_servers": "west:9092"},
    },
    "topics": [
        {"name": "orders", "cluster": "east", "partitions": 3, "replication_factor": 1},
        {"name": "orders", "cluster": "west", "partitions": 1, "replication_factor": 1},
        {"name": "replica", "cluster": "west", "partitions": 1, "replication_factor": 1},
    ],
    "connectors": [{"name": "sink", "cluster": "east", "class": "FileStreamSink",
                    "config": {"topics": "orders", "file": "/tmp/sink.txt"}}],
    "acls": [{"principal": "User:app", "cluster": "west", "consume": {"topics": ["replica"], "groups": ["g"]}}],
    "environments": {"prod": {"clusters": {"west": {"bootstrap_servers": "west-prod:9092"}}}},
}


def _write(tmp_path, doc) -> Path:
    p = tmp_path / "stack.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def _errors(tmp_path, doc) -> list[str]:
    with pytest.raises(StackError) as e:
        load_stack(_write(tmp_path, doc), environ={})
    return [d.located() for d in e.value.diagnostics if d.severity == "error"]


def test_each_resource_goes_to_the_cluster_it_names(tmp_path):
    stack = load_stack(_write(tmp_path, TWO), environ={})
    assert stack.multi_cluster
    east, west = stack.members
    assert (east.cluster_name, east.cluster.bootstrap_servers, east.cluster.connect_url) == (
        "east", "east:9092", "http://east:8083")
    assert [t.name for t in east.of("topics")] == ["orders"] and east.of("topics")[0].partitions == 3
    assert [c.name for c in east.of("connectors")] == ["sink"] and not east.of("acls")
    assert [(t.name, t.partitions) for t in west.of("topics")] == [("orders", 1), ("replica", 1)]
    assert not west.of("connectors") and [a.name for a in west.of("acls")] == ["User:app"]
    assert {m.name for m in stack.members} == {"twin"} and not any(m.members for m in stack.members)
    # the stack as loaded holds every resource (validate, render and the policy see them all)
    assert len(stack.of("topics")) == 3 and len(stack.of("connectors")) == 1


def test_an_environment_overlays_one_named_cluster(tmp_path):
    stack = load_stack(_write(tmp_path, TWO), environment="prod", environ={})
    assert [m.cluster.bootstrap_servers for m in stack.members] == ["east:9092", "west-prod:9092"]


def test_a_single_cluster_stack_is_unchanged(tmp_path):
    doc = {"stack": "one", "cluster": {"bootstrap_servers": "b:9092"},
           "topics": [{"name": "a", "partitions": 1, "replication_factor": 1}]}
    stack = load_stack(_write(tmp_path, doc), environ={})
    assert not stack.multi_cluster and stack.cluster_name is None and stack.members == ()


def test_a_resource_without_a_cluster_is_a_located_error(tmp_path):
    doc = json.loads(json.dumps(TWO))
    del doc["topics"][2]["cluster"]
    assert _errors(tmp_path, doc) == [
        f"{tmp_path / 'stack.yaml'}:17:3: topics[2]: topic 'replica' does not say which cluster it belongs to: add "
        "`cluster: <name>` (one of east, west)"]


def test_an_unknown_cluster_is_a_located_error_with_a_hint(tmp_path):
    doc = json.loads(json.dumps(TWO))
    doc["connectors"][0]["cluster"] = "eats"
    errors = _errors(tmp_path, doc)
    assert len(errors) == 1 and errors[0].startswith(f"{tmp_path / 'stack.yaml'}:23:12: connectors[0].cluster: ")
    assert 'names cluster "eats", which `clusters:` does not declare (declared: east, west) (did you mean "east"?)' \
        in errors[0]


@pytest.mark.parametrize("value", [[], {"east": 1}])
def test_a_cluster_that_is_not_a_name_is_the_schemas_one_error(tmp_path, value):
    """A list or mapping as `cluster:` (found by the fuzz test): the schema's error, not an internal error."""
    doc = json.loads(json.dumps(TWO))
    doc["topics"][0]["cluster"] = value
    (e,) = _errors(tmp_path, doc)
    assert "topics[0].cluster: must be a string" in e


def test_cluster_and_clusters_together_are_refused(tmp_path):
    doc = {**TWO, "cluster": {"bootstrap_servers": "x:9092"}}
    assert any("declares both `cluster:` and `clusters:`" in e for e in _errors(tmp_path, doc))


def test_a_cluster_name_on_a_single_cluster_stack_is_refused(tmp_path):
    doc = {"stack": "one", "cluster": {"bootstrap_servers": "b:9092"},
           "topics": [{"name": "a", "cluster": "east", "partitions": 1, "replication_factor": 1}]}
    (e,) = _errors(tmp_path, doc)
    assert "topic 'a' says `cluster: east`, but the stack declares one `cluster:`" in e
    assert ":6:12: topics[0].cluster:" in e


def test_connectors_need_their_own_clusters_connect_url(tmp_path):
    doc = json.loads(json.dumps(TWO))
    doc["connectors"][0]["cluster"] = "west"
    (e,) = _errors(tmp_path, doc)
    assert "clusters.west.connect_url is not set, but the stack declares connectors in this cluster" in e


def test_an_overlay_of_an_undeclared_cluster_is_refused(tmp_path):
    doc = json.loads(json.dumps(TWO))
    doc["environments"]["prod"]["clusters"]["north"] = {"bootstrap_servers": "n:9092"}
    with pytest.raises(StackError) as e:
        load_stack(_write(tmp_path, doc), environment="prod", environ={})
    assert any('overlays cluster "north", which `clusters:` does not declare' in d.message
               for d in e.value.diagnostics)


def _combined(tmp_path):
    stack = load_stack(_write(tmp_path, TWO), environ={})
    plans = [(m.cluster_name, make_plan(m, LiveState(f"id-{m.cluster_name}", 1))) for m in stack.members]
    return combine(plans)


def test_the_combined_plan_is_grouped_by_cluster_in_every_format(tmp_path):
    plan = _combined(tmp_path)
    assert plan.summary.add == 5 and plan.has_changes and [g.cluster_name for g in plan.groups] == ["east", "west"]
    text = render(plan, "text")
    assert text.startswith("Plan for stack twin on 2 clusters: east (id-east), west (id-west)\n")
    east, west = text.split("── cluster west (id-west): Plan: 3 to add, 0 to change, 0 to destroy.")
    assert "── cluster east (id-east): Plan: 2 to add" in east and "# connector.sink will be created" in east
    assert "# topic.replica will be created" in west and "acl.User:app" in west and "connector.sink" not in west
    assert text.rstrip().endswith("Plan: 5 to add, 0 to change, 0 to destroy.")
    md = render(plan, "markdown")
    assert "2 clusters: `east`, `west`" in md
    assert md.index("### Cluster `east` (`id-east`)") < md.index("`connector.sink`") < md.index(
        "### Cluster `west` (`id-west`)") < md.index("`topic.replica`")


def test_the_json_names_each_changes_cluster_round_trips_and_matches_the_schema(tmp_path):
    plan = _combined(tmp_path)
    doc = plan_to_dict(plan)
    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert [(c["name"], c["cluster_id"]) for c in doc["clusters"]] == [("east", "id-east"), ("west", "id-west")]
    # each cluster's fingerprints with it (topic.orders is in both), none at the top
    assert doc["clusters"][0]["fingerprints"] == {"connector.sink": "absent", "topic.orders": "absent"}
    assert doc["clusters"][1]["fingerprints"] == {"acl.User:app": "absent", "topic.orders": "absent",
                                                  "topic.replica": "absent"}
    assert doc["fingerprints"] == {}
    assert [(c["cluster"], c["address"]) for c in doc["resource_changes"]][:2] == [
        ("east", "topic.orders"), ("east", "connector.sink")]
    back = plan_from_dict(json.loads(json.dumps(doc)))
    assert render(back, "text") == render(plan, "text") and render(back, "markdown") == render(plan, "markdown")
    assert [g.fingerprints for g in back.groups] == [g.fingerprints for g in plan.groups]
