"""Kafka Streams applications: v1 one application reading a topic of the stack and writing another; v2 makes it
exactly-once, adds a second output and a managed internal topic (`internal_topics: managed`, deleted with it on
destroy). Read on the secured listener (its StandardAuthorizer) with confluent-kafka: DescribeAcls of the
application's principal — the bindings kplan generates — and the application's internal topics (their partitions
and overrides; the kit's snapshot has them too, as every topic under the prefix).

Made: a state store's changelog topic, as Kafka Streams names and creates one at run time (`<app>-...-changelog`,
which the stack does not declare), is the application's: never an orphan of a claim on the stack's prefix."""

from __future__ import annotations

import by_hand
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from conformance import Ctx, KindFixture, Made, NotApplicable
from kplan_helpers import snapshot
from test_acls import bindings

from kplan.transport.kafka import dispose


def _app(ctx: Ctx) -> str:
    return f"{ctx.prefix}-app"


def _principal(ctx: Ctx) -> str:
    return f"User:{ctx.prefix}-streams"


def sections(ctx: Ctx, version: int) -> dict:
    p, app = ctx.prefix, _app(ctx)
    topics = [{"name": f"{p}.in", "partitions": 1, "replication_factor": 1},
              {"name": f"{p}.out", "partitions": 1, "replication_factor": 1}]
    entry: dict = {"application_id": app, "principal": _principal(ctx), "inputs": [f"{p}.in"],
                   "outputs": [f"{p}.out"]}
    if version == 2:
        topics.append({"name": f"{p}.audit", "partitions": 1, "replication_factor": 1})
        entry.update(outputs=[f"{p}.out", f"{p}.audit"], exactly_once=True, internal_topics="managed",
                     topics=[{"name": f"{app}-counts-changelog", "partitions": 2, "replication_factor": 1,
                              "config": {"cleanup.policy": "compact"}}],
                     delete_internal_topics_on_destroy=True)
    return {"topics": topics, "streams_apps": [entry]}


def read(ctx: Ctx) -> dict:
    admin = AdminClient(ctx.kafka_config)
    try:
        found = sorted(bindings(admin, _principal(ctx)))
    finally:
        dispose(admin)
    return {"bindings": found, "internal_topics": snapshot(ctx.admin, ctx.connect_url, f"{_app(ctx)}-")["topics"]}


def _store(ctx: Ctx) -> str:
    return f"{_app(ctx)}-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog"


def _made(ctx: Ctx) -> str:
    by_hand.create_topics(ctx.admin, [NewTopic(_store(ctx), 1, 1)])
    return f"topic.{_store(ctx)}"


def teardown(ctx: Ctx) -> None:
    """What a failed trial left (a passing one left nothing): the principal's bindings, the stack's topics."""
    admin = AdminClient(ctx.kafka_config)
    try:
        every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, _principal(ctx), None,
                                 AclOperation.ANY, AclPermissionType.ANY)
        for f in admin.delete_acls([every]).values():
            f.result(30)
    finally:
        dispose(admin)
    names = [n for n in ctx.admin.list_topics(timeout=20).topics if n.startswith(ctx.prefix)]
    for f in (ctx.admin.delete_topics(names).values() if names else ()):
        try:
            f.result(30)
        except Exception:  # noqa: BLE001 - already gone
            pass


FIXTURE = KindFixture(
    kind="streams_app", section="streams_apps", sections=sections, read=read, teardown=teardown, target="secured",
    imported=("streams_apps", "topics"),
    secret=NotApplicable("an application names its principal, topics and internal topics: nothing secret (its "
                         "password is the user's, another kind's)"),
    orphan=NotApplicable("streams apps are not claimable (docs/orphans.md: topics, connectors, ACL bindings, "
                         "subjects): an application is recognised by its principal's bindings, which a claim on "
                         "their topics lists as ACL orphans"),
    made=Made(_made, lambda ctx: by_hand.delete_topics(ctx.admin, [_store(ctx)])),
    rights=NotApplicable("its plan reads ACLs, never its group: the consumer guard of the topics its removal leaves "
                         "unread is the topic kind's (its rights promise)"),
)
