"""Owner totals (docs/policy.md, "Owner totals"): each rule type's sum over an owner's declared resources, `owners:`
and per-owner `limits`, the resources without an owner, ONE located line per owner and rule (at its largest
contributor), CDC-generated topics counted to their source's owner, the per-owner notes in validate, plan (text,
Markdown, JSON) and status (never counted), totals per cluster, and the loader's located errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kplan.kinds.livejson import live_state_from_dict
from kplan.model.diagnostics import Diagnostic, Severity
from kplan.plan.planner import make_plan
from kplan.plan.status import build_status
from kplan.policy.check import check_policy
from kplan.render import render
from kplan.render.status import render_status
from kplan.stackfile import load_stack, validate_stack

HEAD = {"stack": "shop", "cluster": {"bootstrap_servers": "kafka:9092", "connect_url": "http://connect:8083"}}


def _stack_file(tmp_path: Path, rules: list, body: dict, environments: dict | None = None) -> Path:
    """stack.yaml at tmp_path with `body`, its policy in platform.yaml (rule i on line 2 + 3*i when each has two
    keys: tests read the rule's line from the message)."""
    (tmp_path / "platform.yaml").write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    doc = {**HEAD, "policy": {"files": ["platform.yaml"]}, **body}
    if environments:
        doc["environments"] = environments
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    return path


def _topic_lines(tmp_path: Path, topics: list[dict], **defaults) -> Path:
    """A stack whose topics are one flow-style line each (topic i at stack.yaml:6+i, column 5)."""
    text = ("stack: shop\ncluster: {bootstrap_servers: kafka:9092}\npolicy: {files: [platform.yaml]}\n"
            f"defaults: {{topic: {json.dumps({'partitions': 3, 'replication_factor': 1, **defaults})}}}\ntopics:\n")
    text += "".join(f"  - {json.dumps(t)}\n" for t in topics)
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return path


def _policy(tmp_path: Path, text: str) -> None:
    (tmp_path / "platform.yaml").write_text(text)


def _check(tmp_path: Path, monkeypatch, env: str | None = None) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(the violations, the notes) that validate finds (it orders them by file and line; the notes, which have
    none, as check_policy gives them: by owner, "(no owner)" last)."""
    monkeypatch.chdir(tmp_path)
    _, diagnostics = validate_stack("stack.yaml", env, {}, with_policy=True)
    violations = [d for d in diagnostics if d.severity is not Severity.INFO]
    notes = [d for d in diagnostics if d.severity is Severity.INFO]
    if notes:  # the stack loads (the policy is valid): its notes in check_policy's order
        notes = [d for d in check_policy(load_stack("stack.yaml", env, {})) if d.severity is Severity.INFO]
    return violations, notes


def _messages(ds: list[Diagnostic]) -> list[str]:
    return [d.located() for d in ds]


# -- owner-max-partitions --------------------------------------------------------------------------------------------


def test_an_owner_over_its_partition_limit_is_one_line_at_its_largest_topic(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 20\n    message: ask the platform team\n")
    _topic_lines(tmp_path, [{"name": "a.small", "owner": "team-a", "partitions": 2},
                            {"name": "a.big", "owner": "team-a", "partitions": 12},
                            {"name": "a.mid", "owner": "team-a", "partitions": 6},
                            {"name": "a.tiny", "owner": "team-a", "partitions": 1},
                            {"name": "b.orders", "owner": "team-b", "partitions": 12}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:7:5: owner team-a has 21 partitions, more than the limit of 20; the largest: topic.a.big 12 "
        "(stack.yaml:7), topic.a.mid 6 (stack.yaml:8), topic.a.small 2 (stack.yaml:6), and 1 more; ask the platform "
        "team (policy rule owner-max-partitions at platform.yaml:2)"]
    assert errors[0].is_error and errors[0].code == "policy:owner-max-partitions"
    assert [n.message for n in notes] == ["owner team-a: 21 partitions of 20 (over)",
                                          "owner team-b: 12 partitions of 20"]
    assert all(n.code == "owner-totals" and n.origin is None for n in notes)


def test_at_the_limit_is_no_violation_and_a_warning_rule_only_warns(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 6\n"
                      "  - rule: owner-max-partitions\n    max: 4\n    severity: warning\n")
    _topic_lines(tmp_path, [{"name": "a.x", "owner": "team-a"}, {"name": "a.y", "owner": "team-a"}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert [(d.severity, d.message.split(";")[0]) for d in errors] == [
        (Severity.WARNING, "owner team-a has 6 partitions, more than the limit of 4")]
    assert [n.message for n in notes] == ["owner team-a: 6 partitions of 4 and 6 (over)"]  # one total, two limits


# -- owner-max-topics ------------------------------------------------------------------------------------------------


def test_too_many_topics_points_at_the_first_topic_past_the_limit(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-topics\n    max: 2\n")
    _topic_lines(tmp_path, [{"name": f"a.t{i}", "owner": "team-a"} for i in range(5)])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:8:5: owner team-a has 5 topics, more than the limit of 2; past the limit: topic.a.t2 "
        "(stack.yaml:8), topic.a.t3 (stack.yaml:9), topic.a.t4 (stack.yaml:10) (policy rule owner-max-topics at "
        "platform.yaml:2)"]
    assert [n.message for n in notes] == ["owner team-a: 5 topics of 2 (over)"]


# -- owner-max-retention-bytes ---------------------------------------------------------------------------------------


def test_retention_bytes_are_retention_bytes_times_partitions(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-retention-bytes\n    max: 10GiB\n")
    _topic_lines(tmp_path, [{"name": n, "owner": o, "partitions": p, "config": {"retention.bytes": b}}
                            for n, o, p, b in (("a.x", "team-a", 4, "2GiB"), ("a.y", "team-a", 3, "1GiB"),
                                               ("b.z", "team-b", 1, "512MiB"))])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:6:5: owner team-a keeps up to 11GiB (retention.bytes × partitions), more than the limit of 10GiB; "
        "the largest: topic.a.x 8GiB (4 × 2GiB, stack.yaml:6), topic.a.y 3GiB (3 × 1GiB, stack.yaml:7) (policy rule "
        "owner-max-retention-bytes at platform.yaml:2)"]
    assert [n.message for n in notes] == ["owner team-a: retention bytes 11GiB of 10GiB (over)",
                                          "owner team-b: retention bytes 512MiB of 10GiB"]


def test_a_topic_without_a_size_bound_violates_unless_the_rule_allows_it(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-retention-bytes\n    max: 100GiB\n")
    _topic_lines(tmp_path, [{"name": "a.bounded", "owner": "team-a", "config": {"retention.bytes": "1GiB"}},
                            {"name": "a.unset", "owner": "team-a"},
                            {"name": "a.minus", "owner": "team-a", "config": {"retention.bytes": -1}},
                            {"name": "a.compacted", "owner": "team-a",
                             "config": {"cleanup.policy": "compact", "retention.bytes": "1GiB"}},
                            {"name": "a.both", "owner": "team-a",
                             "config": {"cleanup.policy": "compact,delete", "retention.bytes": "1GiB"}}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:7:5: owner team-a has 3 topics without a size bound, which a limit of 100GiB does not allow (set "
        "retention.bytes; or `unbounded: allowed` in the rule leaves them out): topic.a.unset (retention.bytes not "
        "set, stack.yaml:7), topic.a.minus (retention.bytes -1, stack.yaml:8), topic.a.compacted (compacted only, "
        "stack.yaml:9) (policy rule owner-max-retention-bytes at platform.yaml:2)"]
    assert [n.message for n in notes] == ["owner team-a: retention bytes 6GiB of 100GiB (+ 3 topics unbounded)"]

    _policy(tmp_path, "rules:\n  - rule: owner-max-retention-bytes\n    max: 100GiB\n    unbounded: allowed\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert errors == []
    assert [n.message for n in notes] == ["owner team-a: retention bytes 6GiB of 100GiB (+ 3 topics unbounded)"]

    _policy(tmp_path, "rules:\n  - rule: owner-max-retention-bytes\n    max: 5GiB\n    unbounded: allowed\n")
    errors, _ = _check(tmp_path, monkeypatch)  # over, and still located at the largest bounded topic
    assert [d.located().split(";")[0] for d in errors] == [
        "stack.yaml:6:5: owner team-a keeps up to 6GiB (retention.bytes × partitions), more than the limit of 5GiB"]


# -- owner-max-quota -------------------------------------------------------------------------------------------------


def test_a_quota_is_summed_over_the_entities_that_set_it(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-quota\n    quota: producer_byte_rate\n    max: 10MiB\n"
                      "  - rule: owner-max-quota\n    quota: request_percentage\n    max: 100\n")
    (tmp_path / "stack.yaml").write_text(
        "stack: shop\ncluster: {bootstrap_servers: kafka:9092}\npolicy: {files: [platform.yaml]}\nquotas:\n"
        "  - {user: a-app, owner: team-a, producer_byte_rate: 8MiB, request_percentage: 50}\n"
        "  - {user: a-batch, owner: team-a, producer_byte_rate: 4MiB}\n"
        "  - {client_id: a-web, owner: team-a, consumer_byte_rate: 100MiB, request_percentage: 75}\n"
        "  - {user: b-app, owner: team-b, producer_byte_rate: 1MiB}\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:5:5: owner team-a has producer_byte_rate 12MiB/s in total, more than the limit of 10MiB/s; the "
        "largest: quota.user=a-app 8MiB/s (stack.yaml:5), quota.user=a-batch 4MiB/s (stack.yaml:6) (policy rule "
        "owner-max-quota at platform.yaml:2)",
        "stack.yaml:7:5: owner team-a has request_percentage 125% in total, more than the limit of 100%; the largest: "
        "quota.client-id=a-web 75% (stack.yaml:7), quota.user=a-app 50% (stack.yaml:5) (policy rule owner-max-quota "
        "at platform.yaml:5)"]
    assert [n.message for n in notes] == [
        "owner team-a: producer_byte_rate 12MiB/s of 10MiB/s (over), request_percentage 125% of 100% (over)",
        "owner team-b: producer_byte_rate 1MiB/s of 10MiB/s"]  # team-b sets no request_percentage: not shown


def test_a_controller_mutation_rate_is_summed_in_partitions_per_second(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-quota\n    quota: controller_mutation_rate\n    max: 20\n")
    (tmp_path / "stack.yaml").write_text(
        "stack: shop\ncluster: {bootstrap_servers: kafka:9092}\npolicy: {files: [platform.yaml]}\nquotas:\n"
        "  - {user: a-app, owner: team-a, controller_mutation_rate: 15}\n"
        "  - {user: a-batch, owner: team-a, controller_mutation_rate: 7.5}\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:5:5: owner team-a has controller_mutation_rate 22.5/s in total, more than the limit of 20/s; the "
        "largest: quota.user=a-app 15/s (stack.yaml:5), quota.user=a-batch 7.5/s (stack.yaml:6) (policy rule "
        "owner-max-quota at platform.yaml:2)"]
    assert [n.message for n in notes] == ["owner team-a: controller_mutation_rate 22.5/s of 20/s (over)"]


# -- owners, limits, no owner ----------------------------------------------------------------------------------------


def test_owners_and_per_owner_limits_choose_who_is_held_to_what(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    owners: ['team-*']\n    max: 5\n"
                      "    limits: {team-big: 100}\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a", "partitions": 6},
                            {"name": "big", "owner": "team-big", "partitions": 60},
                            {"name": "ops", "owner": "platform", "partitions": 50},
                            {"name": "loose", "partitions": 40}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert [d.message.split(";")[0] for d in errors] == ["owner team-a has 6 partitions, more than the limit of 5"]
    assert [n.message for n in notes] == ["owner team-a: 6 partitions of 5 (over)",
                                          "owner team-big: 60 partitions of 100"]  # platform, (no owner): not held


def test_an_owner_without_a_limit_is_shown_not_checked(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    limits: {team-a: 4}\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a", "partitions": 5},
                            {"name": "b", "owner": "team-b", "partitions": 500}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert [d.message.split(";")[0] for d in errors] == ["owner team-a has 5 partitions, more than the limit of 4"]
    assert [n.message for n in notes] == ["owner team-a: 5 partitions of 4 (over)",
                                          "owner team-b: 500 partitions (no limit)"]


def test_resources_without_an_owner_share_the_max_of_a_rule_without_owners(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 10\n")
    _topic_lines(tmp_path, [{"name": "x", "partitions": 6}, {"name": "y", "partitions": 6},
                            {"name": "a", "owner": "team-a", "partitions": 1}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:6:5: (no owner) has 12 partitions, more than the limit of 10; the largest: topic.x 6 "
        "(stack.yaml:6), topic.y 6 (stack.yaml:7) (policy rule owner-max-partitions at platform.yaml:2)"]
    assert [n.message for n in notes] == ["owner team-a: 1 partition of 10", "(no owner): 12 partitions of 10 (over)"]


def test_include_and_exclude_select_what_is_counted(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-topics\n    max: 1\n    exclude: '.*\\.dlq'\n")
    _topic_lines(tmp_path, [{"name": "a.x", "owner": "team-a"}, {"name": "a.x.dlq", "owner": "team-a"}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert errors == [] and [n.message for n in notes] == ["owner team-a: 1 topic of 1 [not .*\\.dlq]"]


# -- CDC-generated topics, environments, clusters --------------------------------------------------------------------


def test_cdc_generated_topics_count_to_the_sources_owner_and_name_it(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 8\n"
                      "  - rule: owner-max-retention-bytes\n    max: 1TiB\n")
    (tmp_path / "stack.yaml").write_text(
        "stack: shop\ncluster: {bootstrap_servers: kafka:9092, connect_url: http://connect:8083}\n"
        "policy: {files: [platform.yaml]}\n"
        "defaults: {topic: {partitions: 1, replication_factor: 1, config: {retention.bytes: 1GiB}}}\n"
        "topics:\n  - {name: shop.orders, owner: team-shop, partitions: 4}\n"
        "cdc:\n  - name: shop-db\n    engine: mariadb\n    owner: team-shop\n    topic_defaults: {partitions: 3}\n"
        "    connection: {host: db, user: debezium, password: '${secret:env:PW}', database: shop}\n"
        "    tables:\n      - orders\n      - customers\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "stack.yaml:6:5: owner team-shop has 11 partitions, more than the limit of 8; the largest: topic.shop.orders 4 "
        "(stack.yaml:6), topic.shop-db.shop.orders 3 (stack.yaml:14, cdc source shop-db), "
        "topic.shop-db.shop.customers 3 (stack.yaml:15, cdc source shop-db), and 1 more (policy rule "
        "owner-max-partitions at platform.yaml:2)"]
    # the schema-history topic is a topic and a partition, but no retention bytes (Debezium needs all of it)
    assert [n.message for n in notes] == ["owner team-shop: 11 partitions of 8 (over), retention bytes 10GiB of 1TiB"]


def test_the_environments_values_are_counted_and_named(tmp_path, monkeypatch):
    _stack_file(tmp_path, [{"rule": "owner-max-partitions", "max": 10}],
                {"topics": [{"name": "a", "owner": "team-a", "partitions": 3, "replication_factor": 1}]},
                {"prod": {"topics": {"a": {"partitions": 12}}}})
    errors, notes = _check(tmp_path, monkeypatch, "prod")
    assert [d.message.split(";")[0] for d in errors] == [
        "owner team-a in environment prod has 12 partitions, more than the limit of 10"]
    assert [n.message for n in notes] == ["owner team-a in environment prod: 12 partitions of 10 (over)"]
    assert _check(tmp_path, monkeypatch)[0] == []


def test_a_stack_of_several_clusters_is_totalled_per_cluster(tmp_path, monkeypatch):
    (tmp_path / "platform.yaml").write_text("rules:\n  - rule: owner-max-partitions\n    max: 10\n")
    (tmp_path / "stack.yaml").write_text(
        "stack: shop\nclusters:\n  eu: {bootstrap_servers: 'eu:9092'}\n  us: {bootstrap_servers: 'us:9092'}\n"
        "policy: {files: [platform.yaml]}\ndefaults: {owner: team-a, topic: {replication_factor: 1}}\ntopics:\n"
        "  - {name: a, cluster: eu, partitions: 8}\n  - {name: a, cluster: us, partitions: 8}\n"
        "  - {name: b, cluster: us, partitions: 4}\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert [d.located().split(";")[0] for d in errors] == [
        "stack.yaml:9:5: owner team-a on cluster us has 12 partitions, more than the limit of 10"]
    assert [n.message for n in notes] == ["owner team-a on cluster eu: 8 partitions of 10",
                                          "owner team-a on cluster us: 12 partitions of 10 (over)"]


def test_without_an_owner_total_rule_there_are_no_notes(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: topic-partitions\n    max: 100\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a"}])
    assert _check(tmp_path, monkeypatch) == ([], [])


# -- plan and status -------------------------------------------------------------------------------------------------


def _live():
    return live_state_from_dict({"cluster_id": "c1", "broker_count": 1, "topics": {}, "connectors": {}})


def test_the_plan_shows_the_violation_and_every_owners_totals_in_text_markdown_and_json(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 10\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a", "partitions": 12},
                            {"name": "b", "owner": "team-b", "partitions": 4}])
    monkeypatch.chdir(tmp_path)
    plan = make_plan(load_stack("stack.yaml", environ={}), _live())
    error = ("stack.yaml:6:5: owner team-a has 12 partitions, more than the limit of 10; the largest: topic.a 12 "
             "(stack.yaml:6) (policy rule owner-max-partitions at platform.yaml:2)")
    text = render(plan, "text", color=False)
    assert f"Error: {error}" in text and "Info: owner team-b: 4 partitions of 10" in text
    assert "Info: owner team-a: 12 partitions of 10 (over)" in text and "Plan failed: 1 error" in text
    assert "**Info:** owner team-b: 4 partitions of 10" in render(plan, "markdown")
    doc = json.loads(render(plan, "json"))
    assert doc["summary"]["errors"] == 1 and doc["summary"]["warnings"] == 0
    assert [(d["severity"], d["code"], d["origin"]) for d in doc["diagnostics"]][:2] == [
        ("info", "owner-totals", None), ("info", "owner-totals", None)]
    assert [d["code"] for d in doc["diagnostics"]][2:] == ["policy:owner-max-partitions"]


def test_a_plan_filtered_to_one_owner_shows_its_totals_only_and_every_error(tmp_path, monkeypatch):
    from kplan.plan.select import select

    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 10\n"
                      "  - rule: owner-max-topics\n    max: 1\n    severity: warning\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a", "partitions": 4},
                            {"name": "b1", "owner": "team-b", "partitions": 6},
                            {"name": "b2", "owner": "team-b", "partitions": 6},
                            {"name": "c", "partitions": 1}])
    monkeypatch.chdir(tmp_path)
    plan = make_plan(load_stack("stack.yaml", environ={}), _live())
    said = [(d.code, d.message.split(";")[0]) for d in plan.diagnostics if "owner" in d.code]
    assert said == [
        ("owner-totals", "owner team-a: 4 partitions of 10, 1 topic of 1"),
        ("owner-totals", "owner team-b: 12 partitions of 10 (over), 2 topics of 1 (over)"),
        ("owner-totals", "(no owner): 1 partition of 10, 1 topic of 1"),
        ("policy:owner-max-partitions", "owner team-b has 12 partitions, more than the limit of 10"),
        ("policy:owner-max-topics", "owner team-b has 2 topics, more than the limit of 1")]
    mine = select(plan, "team-a", {})
    assert [(d.code, d.message.split(";")[0]) for d in mine.diagnostics] == [
        ("owner-totals", "owner team-a: 4 partitions of 10, 1 topic of 1"),
        # an error stays, whoever's: the plan cannot be applied; another owner's warning goes with its totals
        ("policy:owner-max-partitions", "owner team-b has 12 partitions, more than the limit of 10")]
    assert "team-b:" not in render(mine, "text", color=False)
    assert [d.message for d in select(plan, "team-b", {}).diagnostics if d.code == "owner-totals"] == [
        "owner team-b: 12 partitions of 10 (over), 2 topics of 1 (over)"]
    assert select(plan, None, {"tier": "gold"}).diagnostics == plan.diagnostics  # no owner chosen: every owner's
    doc = json.loads(render(mine, "json"))
    assert [d["path"] for d in doc["diagnostics"]] == [["owner", "team-a"], ["owner", "team-b"]]


def test_status_shows_the_totals_without_counting_them(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-partitions\n    max: 10\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a", "partitions": 12},
                            {"name": "b", "owner": "team-b", "partitions": 4}])
    monkeypatch.chdir(tmp_path)
    stack = load_stack("stack.yaml", environ={})
    live = live_state_from_dict({"cluster_id": "c1", "broker_count": 1, "connectors": {},
                                 "topics": {n: {"partitions": p, "replication_factor": 1, "overrides": {},
                                                "effective": {}} for n, p in (("a", 12), ("b", 4))},
                                 "owned_topics": ["a", "b"],
                                 "metadata": {"topic.a": {"owner": "team-a"}, "topic.b": {"owner": "team-b"}}})
    report = build_status(stack, live, make_plan(stack, live))
    assert report.in_sync and report.exit_code == 0 and report.diagnostics == ()  # a policy error is the plan's
    text = render_status(report, "text")
    assert "Info: owner team-a: 12 partitions of 10 (over)\nInfo: owner team-b: 4 partitions of 10\n" in text
    doc = json.loads(render_status(report, "json"))
    assert [n["message"] for n in doc["notes"]] == ["owner team-a: 12 partitions of 10 (over)",
                                                    "owner team-b: 4 partitions of 10"]
    assert doc["in_sync"] and doc["summary"]["errors"] == 0
    assert check_policy(stack)[0].severity is Severity.INFO


# -- the loader ------------------------------------------------------------------------------------------------------


def test_the_loader_reports_each_bad_limit_at_its_line(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n"
                      "  - rule: owner-max-partitions\n"
                      "  - rule: owner-max-retention-bytes\n    max: 10GB\n    limits: {team-a: 1TiB, team-b: lots}\n"
                      "  - rule: owner-max-quota\n    max: 10MiB\n"
                      "  - rule: owner-max-quota\n    quota: request_percentage\n    max: 50%\n"
                      "  - rule: owner-max-topics\n    max: 3\n    unbounded: allowed\n"
                      "  - rule: owner-max-topics\n    limits: {team-a: -1}\n")
    _topic_lines(tmp_path, [{"name": "a", "owner": "team-a"}])
    errors, notes = _check(tmp_path, monkeypatch)
    assert _messages(errors) == [
        "platform.yaml:2:5: rules[0]: owner-max-partitions needs max (every owner), limits (per owner) or both",
        "platform.yaml:4:10: rules[1].max: ambiguous size unit in '10GB': write 10GiB (powers of 1024) or a number "
        "of bytes",
        "platform.yaml:5:36: rules[1].limits.team-b: invalid size 'lots': use e.g. 512MiB, 1GiB or a number of bytes",
        'platform.yaml:6:5: rules[2]: missing required key "quota"',
        "platform.yaml:10:10: rules[3].max: a limit is a whole percentage such as 300, not '50%'",
        'platform.yaml:13:5: rules[4].unbounded: unknown key "unbounded"',
        "platform.yaml:15:22: rules[5].limits.team-a: must be at least 0 (got -1)"]
    assert notes == []


def test_sizes_are_read_as_kafka_counts_them(tmp_path, monkeypatch):
    _policy(tmp_path, "rules:\n  - rule: owner-max-quota\n    quota: consumer_byte_rate\n    max: 1048576\n"
                      "    limits: {team-a: 2MiB}\n")
    (tmp_path / "stack.yaml").write_text(
        "stack: shop\ncluster: {bootstrap_servers: kafka:9092}\npolicy: {files: [platform.yaml]}\nquotas:\n"
        "  - {user: a, owner: team-a, consumer_byte_rate: 2MiB}\n"
        "  - {user: b, owner: team-b, consumer_byte_rate: 1536KiB}\n")
    errors, notes = _check(tmp_path, monkeypatch)
    assert [d.message.split(";")[0] for d in errors] == [
        "owner team-b has consumer_byte_rate 1.5MiB/s in total, more than the limit of 1MiB/s"]
    assert [n.message for n in notes] == ["owner team-a: consumer_byte_rate 2MiB/s of 2MiB/s",
                                          "owner team-b: consumer_byte_rate 1.5MiB/s of 1MiB/s (over)"]
