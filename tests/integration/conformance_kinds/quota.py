"""Client quotas: v1 one user entity with a byte rate, v2 changes it and adds a second entity. Read with
kafka-python's own DescribeClientQuotas request (tests/integration/test_quotas.py), not kplan's client."""

from __future__ import annotations

from conformance import Ctx, KindFixture, NotApplicable
from kafka.admin import KafkaAdminClient
from test_quotas import broker_quotas, set_by_hand

USERS = ("app", "batch")


def _users(ctx: Ctx) -> list[str]:
    return [f"{ctx.prefix}-{u}" for u in USERS]


def sections(ctx: Ctx, version: int) -> dict:
    app, batch = _users(ctx)
    quotas = [{"user": app, "producer_byte_rate": "1MiB" if version == 1 else "3MiB", "request_percentage": 50}]
    if version == 2:
        quotas.append({"user": batch, "consumer_byte_rate": "2MiB"})
    return {"quotas": quotas}


def read(ctx: Ctx) -> dict:
    client = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        return {u: broker_quotas(client, u) for u in _users(ctx)}
    finally:
        client.close()


def teardown(ctx: Ctx) -> None:
    """Whatever a failed trial left on the two entities goes (a passing one left nothing)."""
    client = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        for u in _users(ctx):
            left = broker_quotas(client, u)
            if left:
                set_by_hand(client, u, dict.fromkeys(left))
    finally:
        client.close()


FIXTURE = KindFixture(
    kind="quota", section="quotas", sections=sections, read=read, teardown=teardown,
    imported=("quotas",),
    secret=NotApplicable("a quota holds rates only"),
    orphan=NotApplicable("quotas are not claimable: a client quota's entity is a user or client id, not a name "
                         "under a prefix (docs/orphans.md)"),
)
