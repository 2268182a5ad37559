"""`kplan status`: the pure report (Stack + LiveState + Plan -> StatusReport), its text and JSON, and the command
over a stack file and a live-state file (no cluster)."""

from __future__ import annotations

import json
from functools import partial

import pytest
from builders import WORKER, cli_case, live_state
from builders import live_doc as cli_live_doc

from kplan.cli import main
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import ClusterSpec, ConnectorState, Stack, freeze
from kplan.model.live import LiveConnector, LiveState, LiveTask, LiveTopic, StaticReader
from kplan.model.source import Origin
from kplan.model.status import TRACE_LINES, Status
from kplan.plan.planner import make_plan
from kplan.plan.status import build_status
from kplan.render.metrics import sample_of
from kplan.render.status import render_status, status_to_dict, summary_of
from kplan.session.many import Planned
from kplan.stackfile.references import resolve_stack_secrets

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
SECRET = "hunter2-plaintext-XYZ"


# -- builders: desired and live state by hand ---------------------------------------------------------------------


def topic(name="orders", partitions=3, rf=1, config=None, line=5, origin=None) -> TopicSpec:
    return TopicSpec(name, partitions, rf, freeze(config or {}), origin=origin or Origin("stack.yaml", line))


def connector(name="sink", config=None, state="running", line=20, **kw) -> ConnectorSpec:
    cfg = {"connector.class": SINK, "tasks.max": "1", "topics": "orders", "file": "/tmp/out.txt", **(config or {})}
    return ConnectorSpec(name, freeze(cfg), ConnectorState(state), origin=Origin("stack.yaml", line), **kw)


def stack(topics=(), connectors=()) -> Stack:
    kinds = {"topics": tuple(topics), "connectors": tuple(connectors)}
    return Stack("shop", "prod", ClusterSpec("localhost:9092", "http://localhost:8083"),
                 freeze({k: v for k, v in kinds.items() if v}), inputs_digest="d" * 64)


def ltopic(name="orders", partitions=3, rf=1, overrides=None) -> LiveTopic:
    overrides = overrides or {}
    return LiveTopic(name, partitions, rf, freeze(overrides), freeze({"retention.ms": "604800000", **overrides}))


def lconn(name="sink", config=None, state="RUNNING", tasks=("RUNNING",), trace="") -> LiveConnector:
    cfg = {"name": name, "connector.class": SINK, "tasks.max": "1", "topics": "orders", "file": "/tmp/out.txt",
           **(config or {})}
    ts = tuple(t if isinstance(t, LiveTask) else LiveTask(i, t, WORKER) for i, t in enumerate(tasks))
    return LiveConnector(name, freeze(cfg), state, ts, "sink", trace)


def live(topics=(), connectors=(), owned=True, unfinished_run=None) -> LiveState:
    t, c = {x.name: x for x in topics}, {x.name: x for x in connectors}
    return live_state("cluster-1", 1, t, c, owned_topics=frozenset(t) if owned else frozenset(),
                      owned_connectors=frozenset(c) if owned else frozenset(), unfinished_run=unfinished_run)


def report_of(s: Stack, state: LiveState, environ=None, secrets=()):
    environ = {} if environ is None else environ
    current = StaticReader(state).read(s.name, [t.name for t in s.of("topics")])
    return build_status(s, current, make_plan(s, current, secrets=resolve_stack_secrets(s, environ)), secrets=secrets)


def java_trace(message: str, frames: int = 12) -> str:
    return message + "\n" + "\n".join(f"\tat org.example.Frame{i}.run(Frame{i}.java:{i})" for i in range(frames))


# -- the report ---------------------------------------------------------------------------------------------------


def test_everything_in_sync_exits_0():
    r = report_of(stack([topic()], [connector()]), live([ltopic()], [lconn()]))
    assert [x.status for x in r.resources] == [Status.IN_SYNC, Status.IN_SYNC]
    assert r.in_sync and r.exit_code == 0 and r.diagnostics == ()
    assert summary_of(r).line() == "2 resources: 2 in sync; connectors: 1 running"
    t = r.resource("topic.orders")
    assert (t.partitions, t.replication_factor, t.exists, t.differences) == (3, 1, True, ())
    c = r.resource("connector.sink")
    assert c.state == "RUNNING" and c.in_declared_state and [(x.id, x.state, x.worker_id) for x in c.tasks] == [
        (0, "RUNNING", WORKER)]


def test_missing_resources_exit_2_and_keep_what_was_declared():
    r = report_of(stack([topic(partitions=6)], [connector()]), live())
    assert [x.status for x in r.resources] == [Status.MISSING, Status.MISSING]
    t = r.resource("topic.orders")
    assert not t.exists and t.partitions is None and (t.declared_partitions, t.declared_replication_factor) == (6, 1)
    assert r.resource("connector.sink").declared_state == "running"
    assert r.exit_code == 2
    assert summary_of(r).line() == "2 resources: 0 in sync, 2 missing"
    text = render_status(r)
    assert "declared 6 partitions, RF 1" in text and "declared running" in text


def test_a_topic_config_that_differs_is_drift_with_both_values():
    r = report_of(stack([topic(config={"retention.ms": "259200000"})]),
                  live([ltopic(overrides={"retention.ms": "86400000"})]))
    t = r.resource("topic.orders")
    assert t.status == Status.DRIFTED and r.exit_code == 2
    (d,) = t.differences
    assert d.path == ("config", "retention.ms") and (d.live, d.declared) == ("86400000", "259200000")
    assert 'config["retention.ms"] is 86400000 (1d), declared 259200000 (3d)' in render_status(r)


def test_an_undeclared_override_left_alone_by_plan_is_reported_but_not_pending():
    s, state = stack([topic()]), live([ltopic(overrides={"cleanup.policy": "compact"})])
    plan = make_plan(s, state)
    assert not plan.has_changes  # plan leaves it alone (plan --detailed-exitcode: 0)...
    r = report_of(s, state)
    t = r.resource("topic.orders")
    assert t.status == Status.DRIFTED and t.left_alone  # ...status reports it...
    assert not r.pending and r.exit_code == 0 and not r.in_sync  # ...and agrees that nothing is pending (issue 26)
    watched = sample_of(Planned("s.yaml", "shop", plan=plan)).resources  # ...and so does `kplan watch` (issue 67)
    assert (watched[("topic", "left_alone")], watched[("topic", "drifted")]) == (1, 0)
    text = render_status(r)
    assert 'config["cleanup.policy"] is compact on the cluster, not declared' in text
    assert "drifted (left alone)" in text and text.splitlines()[-1] == "1 resource: 0 in sync, 1 drifted (1 left alone)"
    doc = status_to_dict(r)
    assert doc["pending"] is False and doc["resources"][0]["left_alone"] is True and doc["summary"]["left_alone"] == 1


def test_drift_left_alone_next_to_a_change_apply_makes_is_pending():
    s = stack([topic(config={"retention.ms": "86400000"})])
    state = live([ltopic(overrides={"cleanup.policy": "compact", "retention.ms": "3600000"})])
    r = report_of(s, state)
    assert not r.resource("topic.orders").left_alone and r.pending and r.exit_code == 2
    assert sample_of(Planned("s.yaml", "shop", plan=make_plan(s, state))).resources[("topic", "drifted")] == 1


def test_an_inherited_value_is_named_as_such():
    r = report_of(stack([topic(config={"retention.ms": "86400000"})]), live([ltopic()]))
    (d,) = r.resource("topic.orders").differences
    assert d.note == "inherited"
    assert 'is 604800000 (7d) (inherited), declared 86400000 (1d)' in render_status(r)


def test_a_partition_decrease_is_drift_not_an_error_of_the_report():
    r = report_of(stack([topic(partitions=2)]), live([ltopic(partitions=6)]))
    t = r.resource("topic.orders")
    assert t.status == Status.DRIFTED and r.diagnostics == ()
    assert "partitions is 6, declared 2 (cannot change in place)" in render_status(r)
    assert "6 partitions, RF 1" in render_status(r)


def test_connector_config_drift_names_keys_never_values():
    s = stack([], [connector(config={"file": "/data/new.txt", "db.password": "${secret:env:PW}"})])
    state = live([], [lconn(config={"file": "/data/old-path.txt", "db.password": SECRET, "extra.key": "v9"})])
    r = report_of(s, state, environ={"PW": SECRET + "-rotated"})
    c = r.resource("connector.sink")
    assert c.status == Status.DRIFTED
    assert {(d.path, d.kind) for d in c.differences} == {
        (("config", "db.password"), "update"), (("config", "extra.key"), "remove"), (("config", "file"), "update")}
    assert all(d.live is None and d.declared is None for d in c.differences)
    for out in (render_status(r), render_status(r, "json")):
        assert "old-path" not in out and "new.txt" not in out and "v9" not in out and SECRET not in out
    text = render_status(r)
    assert 'config["file"] differs from the stack' in text
    assert 'config["extra.key"] is set on the cluster but not declared' in text


def test_failed_task_shows_the_first_trace_lines_indented():
    trace = java_trace("org.apache.kafka.connect.errors.ConnectException: Couldn't find or create file")
    state = live([], [lconn(tasks=[LiveTask(0, "FAILED", WORKER, trace), LiveTask(1, "RUNNING", WORKER)])])
    r = report_of(stack([], [connector()]), state)
    c = r.resource("connector.sink")
    assert c.status == Status.WRONG_STATE and not c.in_declared_state and r.exit_code == 2
    failed = c.tasks[0]
    assert not failed.in_declared_state and len(failed.trace.lines) == TRACE_LINES
    assert failed.trace.more == 13 - TRACE_LINES and failed.trace.lines[1].startswith("    at org.example.Frame0")
    assert c.tasks[1].trace.lines == ()
    assert summary_of(r).line() == "1 resource: 0 in sync, 1 not in declared state; connectors: 1 FAILED"
    lines = render_status(r).splitlines()
    i = lines.index(f"      task 0  FAILED  worker {WORKER}")
    assert lines[i + 1] == "        org.apache.kafka.connect.errors.ConnectException: Couldn't find or create file"
    assert lines[i + 2].startswith("            at org.example.Frame0")
    assert lines[i + TRACE_LINES + 1] == f"        ... ({13 - TRACE_LINES} more lines)"
    assert lines[i + TRACE_LINES + 2] == f"      task 1  RUNNING  worker {WORKER}"
    assert "RUNNING, task 0 FAILED" in lines[lines.index("Connectors:") + 1]


# Connect 4.3.1's trace of a JsonConverter meeting a record that is not JSON (frames shortened), with a suppressed
# exception added: Java indents those, and they are not the cause
CONVERTER_TRACE = "\n".join([
    "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler",
    "\tat org.apache.kafka.connect.runtime.errors.RetryWithToleranceOperator.execAndHandleError(RetryWithTolerance"
    "Operator.java:259)",
    "\tat java.base/java.lang.Thread.run(Thread.java:840)",
    "Caused by: org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data failed due to "
    "serialization error: ",
    "\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:348)",
    "\t... 14 more",
    "Caused by: com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'not': was expecting (JSON String, "
    "Number, Array, Object or token 'null', 'true' or 'false')",
    " at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]",
    "\tat com.fasterxml.jackson.core.JsonParser._constructReadException(JsonParser.java:2675)",
    "\tSuppressed: java.io.IOException: not the cause",
    "\t\tat x.Y.z(Y.java:1)",
    "\t... 19 more", ""])


def test_a_failed_task_shows_its_root_cause_first():
    """Issue 56 item 9: the last `Caused by:` (with the lines of its message) first, then the top exception."""
    state = live([], [lconn(tasks=[LiveTask(0, "FAILED", WORKER, CONVERTER_TRACE)])])
    trace = report_of(stack([], [connector()]), state).resource("connector.sink").tasks[0].trace
    assert trace.lines == (
        "Caused by: com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'not': was expecting (JSON "
        "String, Number, Array, Object or token 'null', 'true' or 'false')",
        " at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]",
        "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler")
    assert trace.more == 12 - 3


def test_a_failed_task_in_one_line_names_its_root_cause_first():
    from kplan.rules.connect import failure_line

    assert failure_line(CONVERTER_TRACE) == (
        "com.fasterxml.jackson.core.JsonParseException: Unrecognized token 'not': was expecting (JSON String, Number, "
        "Array, Object or token 'null', 'true' or 'false') at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_"
        "LOCATION` disabled); line: 1, column: 1] (root cause of org.apache.kafka.connect.errors.ConnectException: "
        "Tolerance exceeded in error handler)")
    assert failure_line("java.io.IOException: disk full\n\tat a.B.c(B.java:1)") == "java.io.IOException: disk full"
    assert failure_line("") == "no trace"


def test_failed_connector_shows_its_own_trace():
    r = report_of(stack([], [connector()]), live([], [lconn(state="FAILED", tasks=(), trace="boom\n\tat a.B")]))
    c = r.resource("connector.sink")
    assert c.trace.lines == ("boom", "    at a.B") and c.status == Status.WRONG_STATE
    assert "      connector trace:\n        boom\n            at a.B\n" in render_status(r)


def test_paused_connector_declared_running_is_not_in_its_declared_state():
    r = report_of(stack([], [connector()]), live([], [lconn(state="PAUSED", tasks=("PAUSED",))]))
    c = r.resource("connector.sink")
    assert c.status == Status.WRONG_STATE and c.differences == () and r.exit_code == 2
    text = render_status(r)
    assert "not in declared state" in text and "PAUSED, declared running" in text
    assert summary_of(r).line() == "1 resource: 0 in sync, 1 not in declared state; connectors: 1 paused"


def test_a_running_connector_with_a_paused_task_is_not_in_its_declared_state():
    r = report_of(stack([], [connector()]), live([], [lconn(tasks=("RUNNING", "PAUSED"))]))
    c = r.resource("connector.sink")
    assert c.status == Status.WRONG_STATE and [t.in_declared_state for t in c.tasks] == [True, False]


@pytest.mark.parametrize("declared, state, tasks", [("paused", "PAUSED", ("PAUSED",)), ("stopped", "STOPPED", ())])
def test_paused_or_stopped_as_declared_is_in_sync(declared, state, tasks):
    r = report_of(stack([], [connector(state=declared)]), live([], [lconn(state=state, tasks=tasks)]))
    assert r.resource("connector.sink").status == Status.IN_SYNC and r.exit_code == 0
    assert summary_of(r).line() == f"1 resource: 1 in sync; connectors: 1 {declared}"


def test_unknown_connector_state_cannot_be_confirmed():
    r = report_of(stack([], [connector()]), live([], [lconn(state=None, tasks=())]))
    assert r.resource("connector.sink").status == Status.WRONG_STATE and r.exit_code == 2
    assert "state unknown, declared running" in render_status(r)


def test_drift_wins_over_state_and_the_connector_still_counts_as_failed():
    state = live([], [lconn(config={"file": "/x"}, tasks=[LiveTask(0, "FAILED", WORKER, "err")])])
    r = report_of(stack([], [connector()]), state)
    assert r.resource("connector.sink").status == Status.DRIFTED
    assert summary_of(r).line() == "1 resource: 0 in sync, 1 drifted; connectors: 1 FAILED"


def test_secrets_are_scrubbed_from_traces():
    trace = f"java.sql.SQLException: login with {SECRET} refused\n\tat x.Y\ncaused by token=resolved-from-env-42"
    s = stack([], [connector(config={"db.password": "${secret:env:PW}", "file": "${secret:env:PW2}"})])
    state = live([], [lconn(config={"db.password": SECRET, "file": "resolved-from-env-42"},
                            tasks=[LiveTask(0, "FAILED", WORKER, trace)])])
    r = report_of(s, state, environ={"PW": SECRET, "PW2": "resolved-from-env-42"})
    for out in (render_status(r), render_status(r, "json"), render_status(r, color=True)):
        assert SECRET not in out and "resolved-from-env-42" not in out
    trace = r.resource("connector.sink").tasks[0].trace
    assert trace.lines[0] == "java.sql.SQLException: login with (sensitive) refused"


def test_extra_secret_values_are_scrubbed_too():
    state = live([], [lconn(tasks=[LiveTask(0, "FAILED", WORKER, "bad key only-the-caller-knows")])])
    r = report_of(stack([], [connector()]), state, secrets={"only-the-caller-knows"})
    assert r.resource("connector.sink").tasks[0].trace.lines == ("bad key (sensitive)",)


def test_a_reference_only_value_is_not_treated_as_a_secret():
    trace = "cannot read ${file:/etc/creds:pw}"
    state = live([], [lconn(config={"db.password": "${file:/etc/creds:pw}"}, tasks=[LiveTask(0, "FAILED", "", trace)])])
    r = report_of(stack([], [connector(config={"db.password": "${file:/etc/creds:pw}"})]), state)
    assert r.resource("connector.sink").tasks[0].trace.lines == (trace,)


def test_owned_resources_no_longer_declared_are_listed():
    r = report_of(stack([topic()]), live([ltopic(), ltopic("old", partitions=2)], [lconn("old-sink")]))
    assert [(x.address, x.status) for x in r.resources] == [
        ("topic.orders", Status.IN_SYNC), ("topic.old", Status.NOT_DECLARED),
        ("connector.old-sink", Status.NOT_DECLARED)]
    assert r.exit_code == 2
    assert summary_of(r).line() == "3 resources: 1 in sync, 2 not declared"
    assert "the next apply deletes it" in render_status(r)


def test_resources_not_owned_and_not_declared_are_not_listed():
    r = report_of(stack([topic()]), live([ltopic(), ltopic("theirs")], [lconn("theirs")], owned=False))
    assert [x.address for x in r.resources] == ["topic.orders"] and r.exit_code == 0
    assert not r.resources[0].owned and "not yet recorded as owned" in render_status(r)


def test_an_unfinished_apply_is_reported_and_exits_2():
    r = report_of(stack([topic()]), live([ltopic()], unfinished_run="run r1 by host:1 at step 2/3"))
    assert r.resource("topic.orders").status == Status.IN_SYNC
    assert [d.code for d in r.diagnostics] == ["unfinished-run"] and r.exit_code == 2
    assert summary_of(r).line() == "1 resource: 1 in sync; 1 error"
    assert "an earlier apply did not finish" in render_status(r)


def test_origin_and_cdc_source_are_shown():
    origin = Origin("stacks/cdc.yaml", 64, 9, cdc_source="demo-postgres", table="public.users", role="table")
    r = report_of(stack([topic("demo.public.users", origin=origin)]), live())
    assert "stacks/cdc.yaml:64 (cdc source demo-postgres, table public.users)" in render_status(r)
    assert status_to_dict(r)["resources"][0]["origin"] == {
        "file": "stacks/cdc.yaml", "line": 64, "column": 9, "cdc_source": "demo-postgres", "table": "public.users",
        "role": "table"}


def test_the_issue_example_summary_line():
    topics = [topic(f"t{i}") for i in range(9)] + [topic("t-missing")]
    connectors = [connector("a"), connector("b"), connector("c")]
    state = live([ltopic(f"t{i}", overrides={"cleanup.policy": "compact"} if i == 0 else None) for i in range(9)],
                 [lconn("a"), lconn("b"), lconn("c", state="FAILED", tasks=())])
    r = report_of(stack(topics, connectors), state)
    assert summary_of(r).line() == ("13 resources: 10 in sync, 1 drifted (1 left alone), 1 missing, 1 not in declared "
                                "state; connectors: 2 running, 1 FAILED")


def test_colors_only_when_asked():
    r = report_of(stack([topic()], [connector()]), live([], [lconn(tasks=[LiveTask(0, "FAILED", "", "x")])]))
    assert "\x1b[" not in render_status(r)
    colored = render_status(r, color=True)
    assert "\x1b[" in colored and "\x1b[31mmissing" in colored


def test_json_document():
    r = report_of(stack([topic()], [connector()]), live([ltopic(partitions=2)], [lconn()]))
    doc = json.loads(render_status(r, "json"))
    assert doc["format_version"] == "1" and doc["stack"] == "shop" and doc["environment"] == "prod"
    assert doc["in_sync"] is False and doc["cluster_id"] == "cluster-1"
    assert doc["summary"] == {"resources": 2, "in_sync": 1, "drifted": 1, "missing": 0, "not_in_declared_state": 0,
                              "not_declared": 0, "connectors": {"running": 1}, "errors": 0, "left_alone": 0,
                              "orphans": 0, "pruned": 0,
                              "line": "2 resources: 1 in sync, 1 drifted; connectors: 1 running"}
    assert doc["orphans"] == []
    t, c = doc["resources"]
    assert t["differences"] == [{"path": ["partitions"], "kind": "update", "live": 2, "declared": 3,
                                 "sensitive": False}]
    assert (t["partitions"], t["declared"]) == (2, {"partitions": 3, "replication_factor": 1})
    assert c["state"] == "RUNNING" and c["declared_state"] == "running" and c["connector_type"] == "sink"
    assert c["tasks"] == [{"id": 0, "state": "RUNNING", "worker_id": WORKER, "in_declared_state": True,
                           "trace": None}]
    assert "config" not in c


# -- the command over a live-state file ---------------------------------------------------------------------------

STACK = """\
stack: shop
cluster:
  bootstrap_servers: localhost:9092
  connect_url: http://localhost:8083
topics:
  - name: orders
    partitions: 3
    replication_factor: 1
connectors:
  - name: sink
    class: org.apache.kafka.connect.file.FileStreamSinkConnector
    tasks_max: 1
    config:
      topics: orders
      file: /tmp/out.txt
      connection.password: ${secret:env:SINK_PASSWORD}
"""


live_doc = partial(cli_live_doc, password=SECRET)
case = cli_case(lambda: STACK, live_doc, SECRET)


def status(capsys, *extra):
    with pytest.raises(SystemExit) as e:
        main(["status", "stack.yaml", "--live-state", "live.json", *extra])
    out, err = capsys.readouterr()
    return e.value.code, out, err


def test_command_in_sync_exits_0(case, capsys):
    code, out, err = status(capsys)
    assert code == 0, out + err
    assert out.startswith("Status of stack shop on cluster c1\n")
    assert "stack.yaml:6" in out and "stack.yaml:10" in out
    assert out.rstrip().endswith("2 resources: 2 in sync; connectors: 1 running")
    assert "\x1b[" not in out  # not a terminal


def test_command_failed_task_exits_2_with_scrubbed_trace(case, capsys):
    case(live_doc("FAILED", f"org.apache.kafka.connect.errors.ConnectException: auth {SECRET}\n\tat x.Y"))
    code, out, err = status(capsys)
    assert code == 2
    assert "FAILED" in out and "ConnectException: auth (sensitive)" in out and SECRET not in out + err


def test_command_json(case, capsys):
    case(live_doc("FAILED", "boom"))
    code, out, _ = status(capsys, "--format", "json")
    doc = json.loads(out)
    assert code == 2 and doc["summary"]["connectors"] == {"FAILED": 1}
    assert doc["resources"][1]["tasks"][0]["trace"] == {"lines": ["boom"], "more_lines": 0}


def test_command_unresolvable_secret_is_an_error_line_and_exit_2(case, capsys, monkeypatch):
    monkeypatch.delenv("SINK_PASSWORD")
    code, out, err = status(capsys, "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert [d["code"] for d in doc["diagnostics"]] == ["secret-unresolved"]
    assert err.startswith("Error: ") and "SINK_PASSWORD is not set" in err


def test_command_bad_stack_exits_1_with_one_line_errors(case, capsys):
    case(stack_text=STACK.replace("partitions: 3", "partitions: lots"))
    code, out, err = status(capsys)
    assert code == 1 and out == ""
    assert err.startswith("Error: ") and "stack.yaml:7" in err and "Traceback" not in err


def test_command_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as e:
        main(["status", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    assert "Exit status:" in out and "0  every resource exists" in out and "2  something is missing" in out
    assert "--live-state" not in out
