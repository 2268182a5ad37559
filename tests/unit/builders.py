"""Builders for unit tests (no tests here): desired and live state in one line each, and the live-state documents
and `case` fixtures of the CLI tests over files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from kplan.kinds.connect_features import ConnectFacts
from kplan.kinds.connector.model import ConnectorSpec
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import ClusterSpec, ConnectorState, Stack, freeze
from kplan.model.live import KindState, LiveConnector, LiveState, LiveTask, LiveTopic
from kplan.model.plan import ResourceType
from kplan.model.source import Origin

PG = "io.debezium.connector.postgresql.PostgresConnector"
SECRET = "hunter2-plaintext"


def topic(name="orders", partitions=3, rf=3, config=None, line=1, **kw) -> TopicSpec:
    return TopicSpec(name, partitions, rf, freeze(config or {}), origin=Origin("stack.yaml", line), **kw)


def connector(name="pg-src", config=None, state="running", line=20, **kw) -> ConnectorSpec:
    cfg = {"connector.class": PG, "tasks.max": "1", **(config or {})}
    return ConnectorSpec(name, freeze(cfg), ConnectorState(state), origin=Origin("stack.yaml", line), **kw)


def stack(topics=(), connectors=(), **kw) -> Stack:
    kinds = {"topics": tuple(topics), "connectors": tuple(connectors), **kw.pop("kinds", {})}
    return Stack("shop", "prod", ClusterSpec("localhost:9092"), freeze({k: v for k, v in kinds.items() if v}),
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
    return live_state(
        "cluster-1", broker_count, topics, connectors,
        owned_topics=frozenset(topics if owned_topics is None else owned_topics),
        owned_connectors=frozenset(connectors if owned_connectors is None else owned_connectors),
        connector_plugins=None if plugins is None else frozenset(plugins),
        **({} if all_topic_names is None else {"all_topic_names": frozenset(all_topic_names)}),
    )


# -- CLI tests over a stack file and a live-state file (no cluster) -------------------------------------------------

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
WORKER = "10.0.0.7:8083"


def live_doc(task_state="RUNNING", trace="", *, password: str, partitions=3, retention: str | None = None) -> dict:
    """A live-state document (kplan.kinds.livejson): topic `orders` (RF 1; a retention.ms override if given) and
    the file sink `sink` reading it, whose connection.password is `password` and whose one task (on WORKER) is
    `task_state`; both owned by the stack, on cluster c1 with one broker."""
    topic = {"partitions": partitions, "replication_factor": 1}
    if retention is not None:
        topic["overrides"] = {"retention.ms": retention}
    return {
        "cluster_id": "c1", "broker_count": 1,
        "topics": {"orders": topic},
        "connectors": {"sink": {"state": "RUNNING", "type": "sink", "config": {
            "connector.class": SINK, "tasks.max": "1", "topics": "orders", "file": "/tmp/out.txt",
            "connection.password": password},
            "tasks": [{"id": 0, "state": task_state, "worker_id": WORKER, "trace": trace}]}},
        "owned_topics": ["orders"], "owned_connectors": ["sink"],
    }


def cli_case(stack_text: Callable[..., str], live_state: Callable[[], dict], secret: str):
    """A `case` fixture for CLI tests over files: the working directory is a fresh temporary directory holding
    stack.yaml (`stack_text()`) and live.json (`live_state()`), SINK_PASSWORD is `secret` and NO_COLOR is unset.

    The fixture's value rewrites both files: `case(live=None, stack_text=None, **fields)`, where `fields` go to
    `stack_text(**fields)` (e.g. `case(partitions=1)`). A test module binds it with `case = cli_case(...)`."""
    default_stack, default_live = stack_text, live_state

    @pytest.fixture
    def case(tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("SINK_PASSWORD", secret)
        monkeypatch.delenv("NO_COLOR", raising=False)

        def write(live=None, stack_text=None, **fields):
            Path("stack.yaml").write_text(default_stack(**fields) if stack_text is None else stack_text)
            Path("live.json").write_text(json.dumps(live or default_live()))

        write()
        return write

    return case


_KIND_WORDS = {"topic": ResourceType.TOPIC, "connector": ResourceType.CONNECTOR, "acl": ResourceType.ACL,
               "user": ResourceType.USER, "quota": ResourceType.QUOTA, "subject": ResourceType.SUBJECT,
               "broker_config": ResourceType.BROKER_CONFIG}


def live_state(*args, **kw) -> LiveState:
    """A LiveState from the per-kind words of the live-state file format (kinds/livejson.py): `acls=`,
    `owned_acls=`, `protected_acls=`, `acl_problem=` (likewise topics, connectors, users, quotas, subjects),
    `subject_records=`, `offset_tokens=`, `connector_offsets=`; each kind's go into its slice (`LiveState.kinds`),
    `connector_plugins=`, `connect_problems=`, `connect_versions=` and `plugin_versions=` into the connectors' slice's
    facts (a ConnectFacts); the rest to LiveState as they are. Positional: cluster id, broker count, topics,
    connectors."""
    slices: dict = {}
    # positional, in the order the tests write them: cluster id, broker count, topics, connectors
    kw.update(zip(("cluster_id", "broker_count", "topics", "connectors"), args))
    args = ()
    for word, kind in _KIND_WORDS.items():
        for key, field_ in ((f"{word}s", "resources"), (f"owned_{word}s", "owned"), (f"protected_{word}s", "protected"),
                            (f"{word}_problem", "problem")):
            if key in kw:
                value = kw.pop(key)
                slices.setdefault(kind, {})[field_] = freeze(value) if isinstance(value, dict) else value
    if "subject_records" in kw:
        slices.setdefault(ResourceType.SUBJECT, {})["records"] = freeze(kw.pop("subject_records"))
    if "offset_tokens" in kw:
        slices.setdefault(ResourceType.OFFSETS, {})["records"] = freeze(kw.pop("offset_tokens"))
    if "connector_offsets" in kw:
        slices.setdefault(ResourceType.OFFSETS, {})["resources"] = freeze(kw.pop("connector_offsets"))
    facts = {f: kw.pop(key) for f, key in (("plugins", "connector_plugins"), ("problems", "connect_problems"),
                                           ("versions", "connect_versions"), ("plugin_versions", "plugin_versions"))
             if key in kw}
    if facts:
        slices.setdefault(ResourceType.CONNECTOR, {})["facts"] = ConnectFacts(**facts)
    kinds = {k: KindState(**v) for k, v in slices.items()}
    # as a live-state document without `all_topic_names` reads (kplan.kinds.topic.live.document_defaults)
    kw.setdefault("all_topic_names", frozenset(kinds[ResourceType.TOPIC].resources) if ResourceType.TOPIC in kinds
                  else frozenset())
    return LiveState(*args, **kw, kinds=freeze(kinds))
