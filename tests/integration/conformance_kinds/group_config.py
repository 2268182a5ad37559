"""Group configs (KIP-848), on the plain stack (Kafka 4.1+): v1 sets two keys of a consumer group and one of a share
group; v2 changes one consumer key, drops the other (kplan set it: deleted), drops the share group's entry (its key
deleted) and adds a streams group's key. Groups need not exist for their configs: none is started.

Read with kafka-python's own DescribeConfigs request on the GROUP config resource (type 32), not kplan's reader:
per group of the fixture, its own dynamic values (source GROUP_CONFIG) — the brokers' defaults they fall back to
are not in it. Teardown deletes every key of the fixture from every group (deleting an absent key is a no-op).
"""

from __future__ import annotations

from conformance import Ctx, KindFixture, NotApplicable
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest

GROUP = 32  # the GROUP config resource type
GROUP_CONFIG = 8  # the config source of a group's own value
DELETE = 1  # IncrementalAlterConfigs operation

V1 = {"orders": {"consumer.session.timeout.ms": 60000, "consumer.heartbeat.interval.ms": 6000},
      "queue": {"share.record.lock.duration.ms": 45000}}
V2 = {"orders": {"consumer.session.timeout.ms": 50000},
      "streams": {"streams.num.standby.replicas": 1}}
GROUPS = sorted({*V1, *V2})
KEYS = sorted({k for v in (V1, V2) for group in v.values() for k in group})


def _name(ctx: Ctx, group: str) -> str:
    return f"{ctx.prefix}.{group}"


def sections(ctx: Ctx, version: int) -> dict:
    return {"group_configs": [{"group": _name(ctx, g), "configs": dict(configs)}
                              for g, configs in (V1 if version == 1 else V2).items()]}


def _send(admin: KafkaAdminClient, request):
    async def call():
        return await admin._manager.send(request)

    return admin._manager.run(call)


def read(ctx: Ctx) -> dict:
    admin = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        response = _send(admin, DescribeConfigsRequest(resources=[(GROUP, _name(ctx, g), None) for g in GROUPS],
                                                       include_synonyms=False, min_version=1))
        out = {}
        for result in response.results:
            assert result.error_code == 0, result
            out[result.resource_name.removeprefix(f"{ctx.prefix}.")] = {
                c.name: c.value for c in sorted(result.configs, key=lambda c: c.name)
                if c.config_source == GROUP_CONFIG}
        return dict(sorted(out.items()))
    finally:
        admin.close()


def teardown(ctx: Ctx) -> None:
    admin = KafkaAdminClient(bootstrap_servers=ctx.bootstrap)
    try:
        ops = [(k, DELETE, None) for k in KEYS]
        response = _send(admin, IncrementalAlterConfigsRequest(
            resources=[(GROUP, _name(ctx, g), ops) for g in GROUPS], validate_only=False))
        assert all(r.error_code == 0 for r in response.responses), response
    finally:
        admin.close()


FIXTURE = KindFixture(
    kind="group_config", section="group_configs", sections=sections, read=read, teardown=teardown,
    imported=("group_configs",),
    secret=NotApplicable("group configs hold timeouts, intervals and counts only (no password-type key)"),
    orphan=NotApplicable("group configs are not claimable: a claim covers topics, connectors, acls and subjects "
                         "(docs/orphans.md)"),
    rights=NotApplicable("a group's configs are read by its name (DescribeConfigs on the GROUP resource: no group "
                         "need exist), never its offsets or members: what the read needs does not depend on the "
                         "group's state"),
)
