"""A failover request (`consumer_groups: [{offsets: {reset: {mirror: <name>}}}]`, issue 44): a consumer group moved on
a mirror's target cluster to the offsets the mirror translated (its checkpoints), planned as a group request — each
partition's current and new offset, the drill's re-read and miss — and applied by the group requests' step."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from builders import live_state, ltopic

from kplan.kinds.group_request.kind import CONSUMER
from kplan.kinds.group_request.section import CONSUMER as SECTION
from kplan.kinds.group_request.steps import AlterGroupOffsets
from kplan.model.desired import freeze
from kplan.model.diagnostics import Diagnostics, Severity
from kplan.model.mirror import Checkpoint, MirrorRead
from kplan.model.plan import Action
from kplan.model.source import SourceMap
from kplan.plan.planner import make_plan
from kplan.stackfile import validate_stack

STACK = """\
    stack: dr
    clusters:
      main: {bootstrap_servers: "main:9092"}
      dr: {bootstrap_servers: "dr:9092", connect_url: "http://connect-dr:8083"}
    mirrors:
      - {name: main-dr, cluster: dr, source: main, topics: ['orders'], groups: ['billing', 'audit'],
         replication_factor: 1, sync_group_offsets: false}
    consumer_groups:
      - {name: billing, cluster: dr, offsets: {request: drill-1, reset: {mirror: MIRROR}}}
    """

READ = MirrorRead(("orders",), {("orders", 0): 20, ("orders", 1): 10}, {("main.orders", 0): 20, ("main.orders", 1): 10},
                  {"billing": {("orders", 0): 10, ("orders", 1): 10}},
                  (Checkpoint("billing", "main.orders", 0, 10, 8, 4_000), Checkpoint("billing", "main.orders", 1, 10,
                                                                                       10, 5_000)), read_ms=7_000)


class Reader:
    """The groups' follow-up read: billing on dr has an old offset on one replica partition, no members."""

    def __init__(self, members: int = 0):
        self.members, self.asked = members, {}

    def consumer_groups(self, queries):
        self.asked = dict(queries)
        return {n: {"state": "Empty" if not self.members else "Stable", "members": self.members,
                    "committed": [["main.orders", 0, 3]], "targets": [], "at_ms": None, "missing_topics": [],
                    "partitions": {"main.orders": 2}} for n in queries}

    def share_groups(self, queries):  # the family's read: not asked for consumer groups
        raise AssertionError(queries)


def _plan(tmp_path, mirror="main-dr", read=READ, reader=None):
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK).replace("MIRROR", mirror))
    stack, diags = validate_stack(path)
    assert stack is not None, [d.message for d in diags]
    dr = next(m for m in stack.members if m.cluster_name == "dr")
    live = live_state("dr", 1, {"main.orders": ltopic("main.orders", 2, 1)}, {})
    live = replace(live, mirror_sources=freeze({"main-dr": read}) if read is not None else freeze({}))
    reader = reader or Reader()
    live = CONSUMER.follow_up(dr, live, reader, False)
    return make_plan(dr, live), reader, dr, live


def test_a_failover_request_moves_the_group_to_the_translated_offsets_and_shows_the_drill(tmp_path):
    plan, reader, dr, live = _plan(tmp_path)
    assert reader.asked == {"billing": {"topics": ["main.orders"], "to": None, "ms": None}}
    (change,) = [c for c in plan.changes if c.type.value == "consumer_group"]
    assert change.action == Action.UPDATE
    assert [(a.path, a.before, a.after) for a in change.attributes] == [
        (("request",), None, "drill-1"), (("offsets", "main.orders/0"), 3, 8), (("offsets", "main.orders/1"), None, 10)]
    notes = {d.code: d for d in plan.diagnostics if d.address == "consumer_group.billing"}
    assert "to the offsets mirror 'main-dr' translated (request 'drill-1')" in notes["group-offsets-change"].message
    assert notes["group-failover"].message == (
        "failover of consumer group 'billing' to dr: the offsets mirror 'main-dr' translated (its checkpoints, the "
        "oldest 3 s old when read), 12 records left to read there against 10 on main: it re-reads 2 records")
    (step,) = [p.step for p in AlterGroupOffsets.build(plan, dr, live)]
    assert step == AlterGroupOffsets("billing", "drill-1", (("main.orders", 0, 8), ("main.orders", 1, 10)), None)


def test_a_failover_without_checkpoints_or_of_an_undeclared_mirror_is_refused_with_why(tmp_path):
    plan, *_ = _plan(tmp_path, read=replace(READ, checkpoints=()))
    (err,) = [d for d in plan.diagnostics if d.is_error]
    assert err.code == "group-failover-unresolved" and (
        "mirror 'main-dr' has written no checkpoint for consumer group 'billing' on main.checkpoints.internal") \
        in err.message
    plan, *_ = _plan(tmp_path, mirror="elsewhere")
    (err,) = [d for d in plan.diagnostics if d.is_error]
    assert "mirror 'elsewhere' is not declared on this cluster" in err.message


def test_a_failover_of_a_group_with_members_on_the_target_is_warned_and_apply_refuses(tmp_path):
    plan, *_ = _plan(tmp_path, reader=Reader(members=2))
    assert any(d.code == "group-has-members" and d.severity == Severity.WARNING for d in plan.diagnostics)


def test_the_reset_form_is_checked_where_it_is_written():
    smap, diags = SourceMap(), Diagnostics()
    (spec,) = SECTION.build([({"name": "g", "offsets": {"request": "x", "reset": {"mirror": "m"}}}, None)], smap, diags)
    assert (spec.reset.to, spec.reset.mirror, spec.reset.text) == ("mirror", "m", "mirror m")
    for bad in ({"mirror": ""}, {"mirror": "m", "other": 1}):
        diags = Diagnostics()
        assert SECTION.build([({"name": "g", "offsets": {"request": "x", "reset": bad}}, None)], smap, diags) == ()
        assert "reset: {mirror: <name>} names a mirror" in diags.items[0].message
    diags = Diagnostics()
    assert SECTION.build([({"name": "g", "offsets": {"request": "x", "reset": {"mirror": "m"}, "topics": ["t"]}},
                          None)], smap, diags) == ()
    assert "a failover moves the group on every replica" in diags.items[0].message
