"""The topics' part of the data-flows picture (`kplan.kinds.flows`): a topic, from the connectors of the CDC source
that generated it (the first pass's writers; the source itself where it has none in the plan), to the consumer groups
its change carries (those reading a topic the plan disrupts). Pure."""

from __future__ import annotations

from kplan.kinds.flows import READER, SOURCE, TOPIC, FlowPart, Graph
from kplan.model.plan import Plan, ResourceChange


def draw_topic(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    nid = g.node("topic", ch.name, TOPIC, ch.action.value)
    source = ch.origin.cdc_source if ch.origin is not None else None
    if source:
        for writer in g.cdc_writers.get(source) or [g.node("source", source, SOURCE)]:
            g.edge(writer, nid)
    if ch.consumers is not None:
        for grp in ch.consumers.groups:
            g.edge(nid, g.node("group", grp.group, READER))


FLOWS = FlowPart("topic", draw=draw_topic)
