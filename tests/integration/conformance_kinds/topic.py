"""Topics: v1 two topics (one with a config override), v2 changes the override and adds a third. Read with
confluent-kafka's admin client (metadata and DescribeConfigs), not kplan's reader.

Rights: the plan deleting v2's third topic, as a principal that may read the stack's topics and kplan's record but
not DESCRIBE the cluster (Kafka then lists it only the consumer groups it may describe, with no error), names that
the consumer guard did not run (docs/consumers.md: a warning), before and after a group commits on the topic —
never "no consumer group reads it"."""

from __future__ import annotations

from conformance import Ctx, KindFixture, NotApplicable, Rights, commit_group, kplan_record, rights_user
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


def _without_c(ctx: Ctx) -> dict:
    return {"topics": [t for t in sections(ctx, 2)["topics"] if t["name"] != f"{ctx.prefix}.c"]}


RIGHTS = Rights(
    sections=_without_c,
    grants=lambda ctx: [*kplan_record(ctx), ("TOPIC", ctx.prefix, "PREFIXED", "DESCRIBE_CONFIGS")],
    commit=lambda ctx: commit_group(ctx, rights_user(ctx), f"{ctx.prefix}.c"),
    named=lambda ctx: [f"kplan's principal User:{rights_user(ctx)} may not DESCRIBE the cluster",
                       "the consumer guard did not run"],
    error=False)

FIXTURE = KindFixture(
    kind="topic", section="topics", sections=sections, read=read, orphan=orphan, drop_orphan=drop_orphan,
    imported=("topics",), rights=RIGHTS,
    secret=NotApplicable("a topic's settings are never secret (its config has no password keys)"),
)
