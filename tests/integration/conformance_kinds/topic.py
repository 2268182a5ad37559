"""Topics: v1 two topics (one with a config override), v2 changes the override and adds a third. Read with
confluent-kafka's admin client (metadata and DescribeConfigs), not kplan's reader."""

from __future__ import annotations

from conformance import Ctx, KindFixture, NotApplicable
from kplan_helpers import snapshot, wait_for


def sections(ctx: Ctx, version: int) -> dict:
    p = ctx.prefix
    topics = [{"name": f"{p}.a", "partitions": 2, "replication_factor": 1,
               "config": {"retention.ms": "1d" if version == 1 else "2d"}},
              {"name": f"{p}.b", "partitions": 1, "replication_factor": 1}]
    if version == 2:
        topics.append({"name": f"{p}.c", "partitions": 1, "replication_factor": 1,
                       "config": {"cleanup.policy": "compact"}})
    return {"topics": topics}


def read(ctx: Ctx) -> dict:
    return snapshot(ctx.admin, ctx.connect_url, ctx.prefix)["topics"]


def orphan(ctx: Ctx, name: str) -> str:
    from confluent_kafka.admin import NewTopic

    ctx.admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    wait_for(lambda: name in ctx.admin.list_topics(timeout=10).topics, 30, f"{name} listed")
    return f"topic.{name}"


def drop_orphan(ctx: Ctx, name: str) -> None:
    ctx.admin.delete_topics([name])[name].result(30)
    wait_for(lambda: name not in ctx.admin.list_topics(timeout=10).topics, 30, f"{name} gone")


FIXTURE = KindFixture(
    kind="topic", section="topics", sections=sections, read=read, orphan=orphan, drop_orphan=drop_orphan,
    imported=("topics",),
    secret=NotApplicable("a topic's settings are never secret (its config has no password keys)"),
)
