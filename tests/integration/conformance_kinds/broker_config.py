"""Dynamic broker configs, on the 3-broker KRaft cluster (`dev/stack up --brokers 3`): v1 sets two keys of the
cluster-wide dynamic default, two keys of broker 2 and one of broker 1; v2 changes a default key and a broker-2 key,
drops the other broker-2 key (kplan set it: deleted), drops broker 1's entry (its key deleted) and adds broker 3.

Read with kafka-python's own DescribeConfigs request (with synonyms) at each broker, not kplan's reader: per broker
and per key of the fixture, its own dynamic value and the cluster-wide default's as that broker shows it (the
synonyms show a default even where the broker's own value hides it).

Broker configs are not named by a stack's prefix, so the fixture uses keys no other test sets (tests/integration/
test_broker_configs.py and test_multibroker.py use log.cleaner.threads/backoff.ms/max.compaction.lag.ms,
log.retention.ms and the replication throttles), harmless on a test cluster, and holds a lock on them from setup to
teardown (the sweep runs two trials at once: each would see the other's values). Teardown deletes every key of the
fixture from every entity.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from pathlib import Path

from conformance import Ctx, KindFixture, NotApplicable
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest
from kplan_helpers import wait_for

BROKERS = (1, 2, 3)
DEFAULT = "<default>"
BROKER = 4  # the BROKER config resource type
DYNAMIC_BROKER, DYNAMIC_DEFAULT = 2, 3  # config sources
DELETE = 1  # IncrementalAlterConfigs operation

# the default's keys and the brokers' keys are distinct (a broker's own value would hide the default's in its value;
# the read takes both from the synonyms anyway)
V1 = {DEFAULT: {"log.cleaner.delete.retention.ms": 43200000, "log.segment.delete.delay.ms": 61000},
      2: {"log.cleaner.min.compaction.lag.ms": 1000, "num.recovery.threads.per.data.dir": 3},
      1: {"log.cleaner.min.compaction.lag.ms": 2000}}
V2 = {DEFAULT: {"log.cleaner.delete.retention.ms": 21600000, "log.segment.delete.delay.ms": 61000},
      2: {"log.cleaner.min.compaction.lag.ms": 5000},
      3: {"log.cleaner.min.compaction.lag.ms": 3000}}
KEYS = sorted({k for v in (V1, V2) for entity in v.values() for k in entity})


def sections(ctx: Ctx, version: int) -> dict:
    return {"broker_configs": [{"broker": entity, "configs": dict(configs)}
                               for entity, configs in (V1 if version == 1 else V2).items()]}


def _admin(ctx: Ctx) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=ctx.bootstrap)


def _send(admin: KafkaAdminClient, request, node: int):
    async def call():
        return await admin._manager.send(request, node_id=node)

    return admin._manager.run(call)


def _dynamic(admin: KafkaAdminClient, broker: int) -> dict:
    """{"own": key -> the broker's own dynamic value, "default": key -> the cluster-wide default it shows}."""
    response = _send(admin, DescribeConfigsRequest(resources=[(BROKER, str(broker), None)], include_synonyms=True,
                                                   min_version=1), broker)
    own, default = {}, {}
    for result in response.results:
        assert result.error_code == 0, result
        for config in result.configs:
            c = config.to_dict()
            if c["name"] not in KEYS:
                continue
            for s in c.get("synonyms") or ():
                if s["name"] == c["name"] and s["source"] == DYNAMIC_BROKER:
                    own[c["name"]] = s["value"]
                elif s["name"] == c["name"] and s["source"] == DYNAMIC_DEFAULT:
                    default[c["name"]] = s["value"]
    return {"own": dict(sorted(own.items())), "default": dict(sorted(default.items()))}


def read(ctx: Ctx) -> dict:
    admin = _admin(ctx)
    try:
        return {str(b): _dynamic(admin, b) for b in BROKERS}
    finally:
        admin.close()


def _lock_path(ctx: Ctx) -> Path:
    cluster = hashlib.sha256(ctx.bootstrap.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"kplan-kit-broker-config-{cluster}.lock"


def _delete_keys(ctx: Ctx) -> None:
    """Every key of the fixture deleted from the default and from each broker (deleting an absent key is a no-op);
    returns once every broker describes none of them (each applies the controller's records a moment after the
    answer: the state read next, before version 1, must not show the previous trial's values)."""
    admin = _admin(ctx)
    try:
        ops = [(k, DELETE, None) for k in KEYS]
        for entity, node in (("", BROKERS[0]), *((str(b), b) for b in BROKERS)):
            response = _send(admin, IncrementalAlterConfigsRequest(resources=[(BROKER, entity, ops)],
                                                                   validate_only=False), node)
            assert all(r.error_code == 0 for r in response.responses), response
        none = {"own": {}, "default": {}}
        wait_for(lambda: all(_dynamic(admin, b) == none for b in BROKERS), 30,
                 "every broker to describe none of the fixture's keys")
    finally:
        admin.close()


def setup(ctx: Ctx) -> None:
    """Hold the fixture's keys of this cluster (until teardown) so that no other trial changes them meanwhile; what
    a run that died before its teardown left of them goes."""
    f = open(_lock_path(ctx), "w")  # noqa: SIM115 - closed by teardown
    fcntl.flock(f, fcntl.LOCK_EX)
    ctx.extra["broker_config_lock"] = f
    _delete_keys(ctx)


def teardown(ctx: Ctx) -> None:
    """The fixture's keys deleted everywhere (a passing run left none), then released."""
    try:
        _delete_keys(ctx)
    finally:
        f = ctx.extra.pop("broker_config_lock", None)
        if f is not None:
            fcntl.flock(f, fcntl.LOCK_UN)
            f.close()


FIXTURE = KindFixture(
    kind="broker_config", section="broker_configs", sections=sections, read=read, target="cluster3",
    setup=setup, teardown=teardown,
    imported=("broker_configs",),
    # `kplan import` selects broker configs by their entity's name (`<default>`, a broker id), never by a stack's
    # prefix: the kit's `--prefix <stack>` alone takes none, so the entities the stack declares are named too (the
    # import then takes every dynamic value of those entities, the fixture's keys among them)
    import_args=lambda ctx: [arg for e in (DEFAULT, *map(str, BROKERS)) for arg in ("--prefix", e)],
    secret=NotApplicable("kplan refuses password-type broker configs (Kafka never shows them: no compare, no undo)"),
    orphan=NotApplicable("broker configs are not claimable: an entity is the cluster-wide default or a broker id, "
                         "never a name under a prefix (docs/orphans.md: a claim covers topics, connectors, acls "
                         "and subjects)"),
)
