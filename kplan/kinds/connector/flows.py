"""The connectors' part of the data-flows picture (`kplan.kinds.flows`): in the first pass, a connector between the
topics its config names (`topics`: it reads them; `topic`, `kafka.topic`: it writes them), from its CDC source, and a
mirror's source connector with what it replicates (`kplan.kinds.connector.mirrors.draw_mirror`; its checkpoint
connector is drawn as part of it). Pure."""

from __future__ import annotations

from kplan.kinds.connector.mirrors import MIRROR_CHECKPOINT, MIRROR_SOURCE, change_config, draw_mirror
from kplan.kinds.flows import READER, SOURCE, TOPIC, WRITER, FlowPart, Graph
from kplan.model.plan import Plan, ResourceChange


def draw_connector(g: Graph, ch: ResourceChange, plan: Plan) -> None:
    cls = change_config(ch).get("connector.class")
    if cls == MIRROR_SOURCE:
        draw_mirror(g, ch, plan)
    elif cls != MIRROR_CHECKPOINT:
        _connector(g, ch)


def _connector(g: Graph, ch: ResourceChange) -> None:
    cfg = change_config(ch)
    reads = [t.strip() for t in str(cfg.get("topics", "")).split(",") if t.strip()]
    writes = [str(cfg[k]).strip() for k in ("topic", "kafka.topic") if cfg.get(k)]
    source = ch.origin.cdc_source if ch.origin is not None else None
    nid = g.node("connector", ch.name, READER if reads and not (writes or source) else WRITER, ch.action.value,
                 rightmost=True)
    if source:
        g.edge(g.node("source", source, SOURCE), nid)
        g.cdc_writers.setdefault(source, []).append(nid)
    for t in reads:
        g.edge(g.node("topic", t, TOPIC), nid)
    for t in writes:
        g.edge(nid, g.node("topic", t, TOPIC))


FLOWS = FlowPart("connector", writers=draw_connector)
