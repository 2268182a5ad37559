"""A connector's offsets request (`offsets.<connector>`) carries its connector entry's owner, description and labels
(the entry declares it): in the plan, in `plan --owner` (a team's request is not hidden as another's), in the
ownership record, and with no metadata update once recorded."""

from __future__ import annotations

import yaml
from builders import live_state

from kplan.apply.steps.ownership import ownership_after
from kplan.kinds.offsets.kind import attach
from kplan.model.desired import freeze
from kplan.model.live import LiveConnector
from kplan.model.metadata import Meta
from kplan.plan.planner import make_plan
from kplan.plan.select import select
from kplan.stackfile import load_stack

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _stack(tmp_path):
    doc = {"stack": "st", "cluster": {"bootstrap_servers": "b:1", "connect_url": "http://c:1"},
           "connectors": [{"name": "s", "class": SINK, "owner": "team-a", "labels": {"tier": "gold"},
                           "config": {"topics": "t", "file": "/f"},
                           "offsets": {"request": "r2", "set": [{"topic": "t", "partition": 0, "offset": 3}]}}]}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(doc))
    return load_stack(tmp_path / "stack.yaml", environ={})


def _live(metadata=None, token="r1"):
    conn = LiveConnector("s", freeze({"connector.class": SINK, "tasks.max": "1", "topics": "t", "file": "/f",
                                      "name": "s"}), "RUNNING", type="sink")
    return live_state("c", 1, {}, {"s": conn}, owned_connectors=frozenset({"s"}), offset_tokens=freeze({"s": token}),
                      metadata=freeze(metadata or {}))


def test_an_offsets_request_carries_its_connectors_owner_and_labels(tmp_path):
    st = _stack(tmp_path)
    meta = Meta("team-a", None, {"tier": "gold"})
    live = attach(st, _live({"connector.s": meta}), {"s": [{"partition": {"kafka_topic": "t", "kafka_partition": 0},
                                                             "offset": {"kafka_offset": 10}}]})
    plan = make_plan(st, live)
    assert plan.change("offsets.s").meta == meta
    assert [c.address for c in select(plan, "team-a", {}).changes if c.is_change] == ["offsets.s"]
    assert ownership_after(plan, st, live, False).metadata["offsets.s"] == meta
    # once applied and recorded: no change, no metadata update
    done = attach(st, _live({"connector.s": meta, "offsets.s": meta}, token="r2"), {})
    assert not make_plan(st, done).has_changes
