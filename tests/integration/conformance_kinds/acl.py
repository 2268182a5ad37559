"""ACLs: v1 a principal allowed to produce to a topic of the stack; v2 adds a consumer group read and a second
principal. Read on the secured listener with confluent-kafka's DescribeAcls (the broker's authorizer), not kplan's
reader. An orphan: a binding made by hand on a topic under the claim, for a principal no stack declares."""

from __future__ import annotations

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)
from conformance import Ctx, KindFixture, NotApplicable
from kplan_helpers import acls_in_effect
from test_acls import bindings

from kplan.transport.kafka import dispose


def _principals(ctx: Ctx) -> list[str]:
    return [f"User:{ctx.prefix}-app", f"User:{ctx.prefix}-batch", f"User:{ctx.prefix}-hand"]


def sections(ctx: Ctx, version: int) -> dict:
    app, batch, _ = _principals(ctx)
    topic = f"{ctx.prefix}.t"
    acls = [{"principal": app, "produce": [topic]}]
    if version == 2:
        acls = [{"principal": app, "produce": [topic], "consume": {"topics": [topic], "groups": [f"{ctx.prefix}-g"]}},
                {"principal": batch, "allow": [{"resource": "topic", "name": topic, "operations": ["DESCRIBE"]}]}]
    return {"topics": [{"name": topic, "partitions": 1, "replication_factor": 1}], "acls": acls}


def _admin(ctx: Ctx) -> AdminClient:
    return AdminClient(ctx.kafka_config)


def read(ctx: Ctx) -> dict:
    admin = _admin(ctx)
    try:
        return {p: sorted(bindings(admin, p)) for p in _principals(ctx)}
    finally:
        dispose(admin)


def orphan(ctx: Ctx, name: str) -> str:
    hand = _principals(ctx)[2]
    admin = _admin(ctx)
    try:
        binding = AclBinding(ResourceType.TOPIC, name, ResourcePatternType.LITERAL, hand, "*", AclOperation.WRITE,
                             AclPermissionType.ALLOW)
        for f in admin.create_acls([binding]).values():
            f.result(30)
        acls_in_effect(admin, hand, [binding])  # the authorizer holds it a moment after the answer
    finally:
        dispose(admin)
    return f"acl.{hand}"


def drop_orphan(ctx: Ctx, name: str) -> None:
    admin = _admin(ctx)
    try:
        hand = _principals(ctx)[2]
        for f in admin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, hand, None,
                                                     AclOperation.ANY, AclPermissionType.ANY)]).values():
            f.result(30)
        acls_in_effect(admin, hand, [])
    finally:
        dispose(admin)


def teardown(ctx: Ctx) -> None:
    admin = _admin(ctx)
    try:
        filters = [AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, p, None, AclOperation.ANY,
                                    AclPermissionType.ANY) for p in _principals(ctx)]
        for f in admin.delete_acls(filters).values():
            f.result(30)
    finally:
        dispose(admin)


FIXTURE = KindFixture(
    kind="acl", section="acls", sections=sections, read=read, target="secured",
    orphan=orphan, drop_orphan=drop_orphan, teardown=teardown,
    imported=("acls", "topics"),
    secret=NotApplicable("an ACL binding names a principal, a resource and operations: nothing secret"),
)
