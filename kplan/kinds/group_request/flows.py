"""The consumer groups' part of the data-flows picture (`kplan.kinds.flows`): a group request, reading the topics
its positions name. Pure."""

from __future__ import annotations

from kplan.kinds.flows import READER, TOPIC, FlowPart, Graph
from kplan.kinds.group_request.model import OFFSETS
from kplan.model.plan import Plan, ResourceChange


def draw_group(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    nid = g.node("group", ch.name, READER, ch.action.value)
    doc = ch.after if ch.after is not None else ch.before
    for pos in (doc or {}).get(OFFSETS) or ():  # a reset request's positions, as its change shows them
        if isinstance(pos, dict) and pos.get("topic"):
            g.edge(g.node("topic", str(pos["topic"]), TOPIC), nid)


FLOWS = FlowPart("group", draw=draw_group)
