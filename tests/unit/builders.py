"""Builders for plan tests (no tests here): desired and live state in one line each."""

from __future__ import annotations

from kplan.model.live import LiveConnector, LiveState, LiveTask, LiveTopic
from kplan.model.desired import ClusterSpec, ConnectorSpec, ConnectorState, Origin, Stack, TopicSpec, freeze

PG = "io.debezium.connector.postgresql.PostgresConnector"
SECRET = "hunter2-plaintext"


def topic(name="orders", partitions=3, rf=3, config=None, line=1, **kw) -> TopicSpec:
    return TopicSpec(name, partitions, rf, freeze(config or {}), origin=Origin("stack.yaml", line), **kw)


def connector(name="pg-src", config=None, state="running", line=20, **kw) -> ConnectorSpec:
    cfg = {"connector.class": PG, "tasks.max": "1", **(config or {})}
    return ConnectorSpec(name, freeze(cfg), ConnectorState(state), origin=Origin("stack.yaml", line), **kw)


def stack(topics=(), connectors=(), **kw) -> Stack:
    return Stack("shop", "prod", ClusterSpec("localhost:9092"), tuple(topics), tuple(connectors),
                 inputs_digest="d" * 64, **kw)


def ltopic(name="orders", partitions=3, rf=3, overrides=None, effective=None, sensitive=()) -> LiveTopic:
    overrides = overrides or {}
    return LiveTopic(name, partitions, rf, freeze(overrides), freeze({**(effective or {}), **overrides}),
                     frozenset(sensitive))


def lconn(name="pg-src", config=None, state="RUNNING", tasks=()) -> LiveConnector:
    cfg = {"name": name, "connector.class": PG, "tasks.max": "1", **(config or {})}
    return LiveConnector(name, freeze(cfg), state, tuple(LiveTask(i, s) for i, s in enumerate(tasks)))


def live(topics=(), connectors=(), owned_topics=None, owned_connectors=None, broker_count=3, plugins=None,
         all_topic_names=None) -> LiveState:
    """By default everything live is owned by the stack."""
    topics, connectors = {t.name: t for t in topics}, {c.name: c for c in connectors}
    return LiveState(
        "cluster-1", broker_count, freeze(topics), freeze(connectors),
        frozenset(topics if owned_topics is None else owned_topics),
        frozenset(connectors if owned_connectors is None else owned_connectors),
        None if plugins is None else frozenset(plugins),
        None if all_topic_names is None else frozenset(all_topic_names),
    )
