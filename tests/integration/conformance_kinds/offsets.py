"""Connector offsets requests: a STOPPED FileStreamSink on a topic of the stack (both declared: kplan creates the
sink stopped, sets its offsets, leaves it stopped, so nothing moves them afterwards). v1: its first request (r1,
the topic's partition 0 at 3); v2: a new request (r2, at 7). Read without kplan: Connect's
GET /connectors/<sink>/offsets (None while Connect has no such connector) and, with confluent-kafka's admin client,
the committed offsets of the sink's consumer group (`connect-<sink>`), where Connect keeps a sink's offsets — they
outlive the connector, so the read sees what a deleted sink leaves behind.

Again (`AGAIN`): a new request r3 to 7, where v2 left the sink: a change all the same (a request sets every declared
position, as a running connector's positions move on their own), and apply sends it (Connect commits the sink
group's offsets: a record in `__consumer_offsets`). Saved (`SAVED`): a new request r4 to 5, saved while the sink is
at 7; the sink's offsets move to 9 by hand, as a running sink commits; the saved plan sets 5."""

from __future__ import annotations

import requests
from confluent_kafka import ConsumerGroupTopicPartitions
from conformance import AGAIN, SAVED, Again, Ctx, KindFixture, NotApplicable, Saved

SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
POSITION = {1: 3, 2: 7, AGAIN: 7, SAVED: 5}


def _names(ctx: Ctx) -> tuple[str, str]:
    return f"{ctx.prefix}.t", f"{ctx.prefix}-sink"


def sections(ctx: Ctx, version: int) -> dict:
    topic, sink = _names(ctx)
    return {"topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
            "connectors": [{"name": sink, "class": SINK, "tasks_max": 1, "state": "stopped",
                            "config": {"topics": topic, "file": str(ctx.tmp / "sink.txt")},
                            "offsets": {"request": f"r{version}",
                                        "set": [{"topic": topic, "partition": 0, "offset": POSITION[version]}]}}]}


def _connect_offsets(ctx: Ctx, sink: str) -> list | None:
    r = requests.get(f"{ctx.connect_url}/connectors/{sink}/offsets", timeout=30)
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return sorted((o["partition"]["kafka_topic"], o["partition"]["kafka_partition"], o["offset"]["kafka_offset"])
                  for o in r.json()["offsets"])


def _group_offsets(ctx: Ctx, group: str) -> dict[str, int]:
    answer = ctx.admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
    return dict(sorted((f"{tp.topic}/{tp.partition}", tp.offset) for tp in answer.topic_partitions or ()
                       if tp.offset >= 0))


def read(ctx: Ctx) -> dict:
    _, sink = _names(ctx)
    return {"connect": _connect_offsets(ctx, sink), "group": _group_offsets(ctx, f"connect-{sink}")}


def _committed_by_hand(ctx: Ctx) -> None:
    """The stopped sink's offsets moved to 9 through Connect's own API, as a running sink's commits move them."""
    topic, sink = _names(ctx)
    r = requests.patch(f"{ctx.connect_url}/connectors/{sink}/offsets", timeout=60, json={"offsets": [
        {"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 9}}]})
    assert r.status_code == 200, r.text


def _at(ctx: Ctx, offset: int) -> dict:
    topic, _ = _names(ctx)
    return {"connect": [(topic, 0, offset)], "group": {f"{topic}/0": offset}}


def teardown(ctx: Ctx) -> None:
    """What a failed trial left (a passing one left nothing): the sink, its topic, its consumer group."""
    topic, sink = _names(ctx)
    requests.delete(f"{ctx.connect_url}/connectors/{sink}", timeout=60)
    if topic in ctx.admin.list_topics(timeout=20).topics:
        ctx.admin.delete_topics([topic])[topic].result(30)
    group = f"connect-{sink}"
    try:
        ctx.admin.delete_consumer_groups([group])[group].result(30)
    except Exception:  # noqa: BLE001 - none, or already gone
        pass


FIXTURE = KindFixture(
    kind="offsets", section="connectors", sections=sections, read=read, teardown=teardown,
    secret=NotApplicable("an offsets request holds a token and positions (docs/offsets.md: no secret policy "
                         "applies to them)"),
    imported=NotApplicable("`kplan import` writes connectors without an offsets request: a request is a one-time "
                           "action, and nothing on Connect says which was asked (its token is only in kplan's "
                           "record)"),
    orphan=NotApplicable("offsets are not claimable (docs/orphans.md: topics, connectors, ACL bindings, subjects): "
                         "a request belongs to a declared connector"),
    rights=NotApplicable("Connect carries the request out (its offsets API, as the worker's own principal): the plan "
                         "reads the connector's offsets from Connect, no group"),
    again=Again("__consumer_offsets", lambda ctx: f"connect-{_names(ctx)[1]}"),
    saved=Saved(move=_committed_by_hand, want=lambda ctx: _at(ctx, POSITION[SAVED])),
)
