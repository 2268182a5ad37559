"""Plans for the HTML renderer's tests, made by the real planner from a stack and a live state (no cluster)."""

from __future__ import annotations

from builders import PG, lconn, live, ltopic, stack, topic

from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import ConnectorState, freeze
from kplan.model.source import Origin
from kplan.plan.planner import make_plan

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def big_plan(n: int):
    """About `n` changes: half topics created, a quarter updated (retention), a quarter deleted; a CDC source
    writing a few of the new topics through its connector, and a sink reading one of the updated ones."""
    creates, updates = n // 2, n // 4
    deletes = n - creates - updates - 2
    declared = [topic(f"shop.new-{i:05d}", 3, 3) for i in range(creates)]
    cdc = Origin("stack.yaml", 40, cdc_source="pg", table="public.orders", role="table")
    declared[:3] = [TopicSpec(f"pg.public.t{i}", 1, 3, freeze({}), origin=cdc) for i in range(3)]
    declared += [topic(f"shop.upd-{i:05d}", 3, 3, {"retention.ms": "3600000"}) for i in range(updates)]
    lives = [ltopic(f"shop.upd-{i:05d}", 3, 3) for i in range(updates)]
    lives += [ltopic(f"shop.old-{i:05d}", 3, 3) for i in range(deletes)]
    conns = [_conn("pg-src", {"connector.class": PG, "topic.prefix": "pg"},
                   Origin("stack.yaml", 30, cdc_source="pg", role="connector")),
             _conn("orders-sink", {"connector.class": SINK, "topics": "shop.upd-00000", "file": "/tmp/x"},
                   Origin("stack.yaml", 50))]
    return make_plan(stack(declared, conns), live(lives, [lconn("orders-sink", {"connector.class": SINK,
                                                                                "topics": "shop.upd-00000"})]))


def _conn(name: str, config: dict, origin: Origin) -> ConnectorSpec:
    return ConnectorSpec(name, freeze({"tasks.max": "1", **config}), ConnectorState.RUNNING, origin=origin)
