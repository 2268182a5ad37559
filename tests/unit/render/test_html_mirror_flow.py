"""The HTML page's picture of a mirror (issue 44): source topic -> mirror -> target topic -> target consumer groups,
read off the plan alone (the source cluster's topic changes, the MirrorMaker connectors' configs, the target's
consumer group requests)."""

from __future__ import annotations

from kplan.model.plan import Action, Plan, ResourceChange, ResourceType
from kplan.plan.clusters import combine
from kplan.render.html.flows import flow_graph, flows_svg

MM = "org.apache.kafka.connect.mirror."


def _change(type_: ResourceType, name: str, action: Action = Action.CREATE, **after) -> ResourceChange:
    return ResourceChange(f"{type_.value}.{name}", type_, name, action, after=after or {"name": name})


def _connector(name: str, cls: str, **config) -> ResourceChange:
    return _change(ResourceType.CONNECTOR, name, config={"connector.class": MM + cls, "source.cluster.alias": "main",
                                                         "target.cluster.alias": "dr", **config})


def _plan(topics_on_main=("orders.eu", "orders.tmp", "payments")) -> Plan:
    main = Plan("s", None, "id-main",
                changes=tuple(_change(ResourceType.TOPIC, t, Action.NOOP) for t in topics_on_main))
    dr = Plan("s", None, "id-dr", changes=(
        _connector("m-source", "MirrorSourceConnector", topics="orders\\..*", **{"topics.exclude": "orders\\.tmp"}),
        _connector("m-checkpoint", "MirrorCheckpointConnector", groups="billing"),
        _change(ResourceType.CONSUMER_GROUP, "audit", Action.UPDATE, group="audit",
                offsets=[{"topic": "main.orders.eu", "partition": 0, "offset": 3}])))
    return combine([("main", main), ("dr", dr)])


def test_a_mirror_is_drawn_from_the_source_topics_to_the_target_groups():
    g = flow_graph(_plan())
    assert g.edges >= {("topic:main: orders.eu", "mirror:m"), ("mirror:m", "topic:main.orders.eu"),
                       ("topic:main.orders.eu", "group:billing"), ("topic:main.orders.eu", "group:audit")}
    assert not any("orders.tmp" in a or "payments" in a for a, _ in g.edges)  # excluded, not matched
    assert [g.nodes[n].column for n in ("topic:main: orders.eu", "mirror:m", "topic:main.orders.eu",
                                        "group:billing")] == [0, 1, 2, 3]
    assert "connector:m-checkpoint" not in g.nodes  # the checkpoint connector is the mirror's, not a reader
    svg, drawn, _ = flows_svg(_plan())
    assert drawn == 1 and 'data-node="mirror:m"' in svg and 'data-edge="mirror:m&gt;topic:main.orders.eu"' in svg


def test_a_source_outside_the_plan_is_drawn_as_its_patterns():
    g = flow_graph(_plan(topics_on_main=()))
    assert ("topic:main: orders\\..*", "mirror:m") in g.edges and ("mirror:m", "topic:dr: main.<topic>") in g.edges
    assert ("topic:dr: main.<topic>", "group:billing") in g.edges
