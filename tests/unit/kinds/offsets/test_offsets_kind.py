"""Declared connector offsets (kplan.kinds.offsets.kind, kinds/offsets/steps.py): which requests are pending and read,
the plan of each, the token in the ownership record, the step's journal codec, and its run and undo against the
fake writer (Connect changes offsets of STOPPED connectors only; the undo puts the journaled offsets back)."""

from __future__ import annotations

import json
from dataclasses import replace

from builders import live_state
from executor_runs import run
from fakes import FakeWriter

from kplan.apply.steps import Step, build
from kplan.apply.steps.ownership import ownership_after, ownership_of
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.connector.steps import PutConnector
from kplan.kinds.offsets.kind import attach, pending
from kplan.kinds.offsets.steps import AlterOffsets
from kplan.model.desired import ClusterSpec, ConnectorState, Stack, freeze
from kplan.model.live import LiveConnector
from kplan.model.offsets import LiveOffsets, OffsetsSpec, canonical, label, sink_position
from kplan.model.ownership import Ownership
from kplan.model.plan import Action, AttrKind, ResourceType, Severity
from kplan.plan.planner import make_plan
from kplan.state.journal import RunStatus

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def sink(name="s", offsets=None, state=ConnectorState.RUNNING) -> ConnectorSpec:
    return ConnectorSpec(name, freeze({"connector.class": SINK, "tasks.max": "1", "topics": "t", "file": "/f"}),
                         state=state, offsets=offsets)


def lsink(name="s") -> LiveConnector:
    return LiveConnector(name, freeze({"connector.class": SINK, "tasks.max": "1", "topics": "t", "file": "/f",
                                       "name": name}), "RUNNING", type="sink")


def set_to(request, *positions) -> OffsetsSpec:
    return OffsetsSpec(request, positions=tuple(sorted(canonical(sink_position("t", p, o)) for p, o in positions)),
                       sink=True)


def stack(*connectors) -> Stack:
    return Stack("st", None, ClusterSpec("b:1"), freeze({"connectors": tuple(connectors)} if connectors else {}))


def test_only_requests_whose_token_differs_are_pending_and_read():
    st = stack(sink("a", OffsetsSpec("r1", reset=True)), sink("b", OffsetsSpec("r2", reset=True)), sink("c"))
    live = live_state("c", 1, {}, {n: lsink(n) for n in "abc"}, owned_connectors=frozenset("abc"),
                     offset_tokens=freeze({"a": "r1", "b": "r1"}))
    assert pending(st, live) == ["b"]
    read = attach(st, live, {"b": [sink_position("t", 0, 7)]})
    offsets = read.of(ResourceType.OFFSETS).resources
    assert offsets["b"] == LiveOffsets("b", "r1", True, (canonical(sink_position("t", 0, 7)),), "sink")
    assert "a" not in offsets and "c" not in offsets


def test_a_set_shows_the_current_and_the_new_offsets():
    st = stack(sink("s", set_to("r2", (0, 3), (1, 0))))
    live = attach(st, live_state("c", 1, {}, {"s": lsink()}, owned_connectors=frozenset({"s"}),
                                offset_tokens=freeze({"s": "r1"})),
                  {"s": [sink_position("t", 0, 10), sink_position("t", 1, 0)]})
    plan = make_plan(st, live)
    change = plan.change("offsets.s")
    assert change.action == Action.UPDATE and change.type == ResourceType.OFFSETS
    assert [(a.path, a.kind, a.before, a.after) for a in change.attributes] == [
        (("request",), AttrKind.UPDATE, "r1", "r2"), (("offsets", "t/0"), AttrKind.UPDATE, 10, 3)]
    assert change.unchanged_attributes == 1  # partition 1 is already at 0
    assert change.after["offsets"] == [sink_position("t", 0, 3), sink_position("t", 1, 0)]
    assert plan.change("connector.s").action == Action.NOOP  # the connector itself is not written
    [info] = [d for d in plan.diagnostics if d.code == "offsets-change"]
    assert "stops connector 's', moves 2 partition offset(s)" in info.message and "then starts it" in info.message


def test_an_applied_token_is_no_change_and_a_source_given_sink_positions_is_an_error():
    st = stack(sink("s", set_to("r1", (0, 3))))
    live = live_state("c", 1, {}, {"s": lsink()}, owned_connectors=frozenset({"s"}), offset_tokens=freeze({"s": "r1"}))
    plan = make_plan(st, attach(st, live, {}))
    assert not plan.has_changes and plan.change("offsets.s").action == Action.NOOP
    source = replace(lsink(), type="source")
    live = live_state("c", 1, {}, {"s": source}, owned_connectors=frozenset({"s"}))
    plan = make_plan(st, attach(st, live, {"s": []}))
    assert [d.code for d in plan.errors] == ["offsets-wrong-form"]


def test_a_cdc_reset_says_which_tables_are_read_again_and_that_the_slot_stays():
    cdc = ConnectorSpec("pg", freeze({"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                                      "slot.name": "pg_slot", "snapshot.mode": "initial"}),
                        captured_tables=("public.a", "public.b"), offsets=OffsetsSpec("again", reset=True))
    live = live_state("c", 1, {}, {"pg": LiveConnector("pg", freeze({**cdc.config, "name": "pg"}), "RUNNING",
                                                      type="source")}, owned_connectors=frozenset({"pg"}))
    offsets = [{"partition": {"server": "pg"}, "offset": {"lsn": 5}}]
    plan = make_plan(stack(cdc), attach(stack(cdc), live, {"pg": offsets}))
    [words] = [d for d in plan.diagnostics if d.code == "cdc-resnapshot"]
    assert words.severity == Severity.WARNING
    assert "re-reads (re-snapshots) all 2 captured table(s) from scratch — public.a, public.b" in words.message
    assert "keeps its replication slot 'pg_slot'" in words.message
    assert [(a.path, a.before) for a in plan.change("offsets.pg").attributes][1] == (
        ("offsets", "server=pg"), '{"lsn":5}')
    no_data = replace(cdc, config=freeze({**cdc.config, "snapshot.mode": "no_data"}))
    plan = make_plan(stack(no_data), attach(stack(no_data), live, {"pg": offsets}))
    assert "takes no snapshot (snapshot.mode no_data)" in next(
        d.message for d in plan.diagnostics if d.code == "cdc-resnapshot")


def test_the_token_is_recorded_by_the_ownership_step_and_a_new_connector_is_created_stopped():
    st = stack(sink("s", set_to("r1", (0, 3))), sink("old"))
    live = live_state("c", 1, {}, {"old": lsink("old")}, owned_connectors=frozenset({"old"}),
                     offset_tokens=freeze({"old": "x"}))
    live = attach(st, live, {})
    plan = make_plan(st, live)
    steps = list(build(plan, st, live).steps)
    put = next(s for s in steps if isinstance(s, PutConnector))
    assert put.create and put.state == ConnectorState.STOPPED  # its offsets first, then the declared state
    alter = next(s for s in steps if isinstance(s, AlterOffsets))
    assert alter.state == ConnectorState.RUNNING and alter.offsets == (sink_position("t", 0, 3),)
    assert ownership_after(plan, st, live, False).of("offsets") == {"old": "x", "s": "r1"}
    assert ownership_of(live).of("offsets") == {"old": "x"}
    # a deleted connector's token goes with it
    gone = stack(sink("s", set_to("r1", (0, 3))))
    assert ownership_after(make_plan(gone, live), gone, live, False).of("offsets") == {"s": "r1"}


def test_the_record_keeps_tokens_and_a_pending_record_keeps_the_old_one():
    before = Ownership(names={"connectors": frozenset({"s"})}, kinds={"offsets": {"s": "r1"}})
    after = Ownership(names={"connectors": frozenset({"s"})}, kinds={"offsets": {"s": "r2"}})
    assert Ownership.from_json(json.loads(json.dumps(after.to_json()))) == after
    assert before.merged(after).of("offsets") == {"s": "r1"}  # until the run is known to have applied it
    assert "offsets" not in Ownership().to_json()


def test_the_step_round_trips_through_the_journal():
    step = AlterOffsets("s", "r2", False, (sink_position("t", 0, 3),), ConnectorState.PAUSED, "r1")
    doc = json.loads(json.dumps(step.to_json()))
    assert Step.from_json(doc) == step and doc["before"] == {"request": "r1"}
    assert step.describe() == "set 1 offset(s) of connector s (request r2)"


def test_run_journals_the_offsets_found_then_undo_puts_them_back():
    w = FakeWriter(connectors={"s": {"connector.class": SINK}})
    w.states["s"] = ConnectorState.RUNNING
    w.offsets["s"] = [sink_position("t", 0, 10), sink_position("t", 1, 4)]
    step = AlterOffsets("s", "r2", False, (sink_position("t", 0, 3), sink_position("t", 2, 1)),
                        ConnectorState.RUNNING)
    result, journal = run(w, [step])
    assert result.status == RunStatus.COMPLETE
    assert sorted(map(canonical, w.offsets["s"])) == sorted(map(canonical, [
        sink_position("t", 0, 3), sink_position("t", 1, 4), sink_position("t", 2, 1)]))
    assert w.states["s"] == ConnectorState.RUNNING

    w.offsets["s"] = [sink_position("t", 0, 10), sink_position("t", 1, 4)]
    result, journal = run(w, [step, AlterOffsets("s", "r3", True, (), ConnectorState.RUNNING)], fail_at=1)
    assert result.status == RunStatus.ROLLED_BACK
    assert journal.steps[0]["outcome"]["offsets"] == [sink_position("t", 0, 10), sink_position("t", 1, 4)]
    # both undone, newest first: exactly the offsets the first step found (partition 2 is gone again)
    assert sorted(map(canonical, w.offsets["s"])) == sorted(map(canonical, [
        sink_position("t", 0, 10), sink_position("t", 1, 4)]))
    assert w.states["s"] == ConnectorState.RUNNING


def test_labels_name_sink_and_source_partitions():
    assert label(sink_position("orders", 2, 5)) == "orders/2"
    assert label({"partition": {"server": "db", "file": "/a"}, "offset": {}}) == "file=/a,server=db"
