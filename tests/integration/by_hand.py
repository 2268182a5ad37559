"""Changes a test makes to the cluster by hand (outside kplan), each returning once the broker shows it.

In KRaft an admin write is answered once the controller has committed its metadata record; the broker that serves
the next Metadata or Describe* request applies that record a moment later, and under a loaded CI run (2 cores, load
average 20) seconds later. A test that changes the cluster by hand and then runs kplan, or reads the cluster,
expecting the change, read the old state that way (three clean-clone CI runs). Each helper here makes the change and
waits, within BOUND seconds, until the broker answering the client's next request shows it.

Consumer-group offsets need none of this: the group's coordinator answers the commit and the OffsetFetch from the
same state. A login with a new SCRAM credential may lag its describe a little: wait for `kplan_helpers.can_log_in`
where a test logs in as the user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewTopic,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kplan_helpers import wait_for

BOUND = 30.0

# the source of a value set on the resource itself, by resource type (what a DELETE takes away)
_OWN_SOURCE = {ConfigResource.Type.TOPIC: ConfigSource.DYNAMIC_TOPIC_CONFIG,
               ConfigResource.Type.BROKER: ConfigSource.DYNAMIC_BROKER_CONFIG}


def create_topics(admin, topics: Sequence[NewTopic]) -> None:
    """Create `topics`; return once the broker lists each with its partitions (its configs come in the same
    metadata batch)."""
    for f in admin.create_topics(list(topics)).values():
        f.result(BOUND)
    want = {t.topic: t.num_partitions for t in topics}

    def listed() -> bool:
        md = admin.list_topics(timeout=10).topics
        return all(n in md and md[n].error is None and (p <= 0 or len(md[n].partitions) == p)
                   for n, p in want.items())

    wait_for(listed, BOUND, f"the broker to list the topic(s) created by hand: {', '.join(sorted(want))}")


def delete_topics(admin, names: Iterable[str]) -> None:
    """Delete `names`; return once the broker no longer lists any of them."""
    names = list(names)
    for f in admin.delete_topics(names).values():
        f.result(BOUND)
    wait_for(lambda: not set(names) & set(admin.list_topics(timeout=10).topics), BOUND,
             f"the broker to stop listing the topic(s) deleted by hand: {', '.join(sorted(names))}")


def alter_configs(admin, restype: ConfigResource.Type, name: str, values: Mapping[str, str | None]) -> None:
    """Set (a string) or delete (None) these keys of a topic's or a broker's own configs; return once
    DescribeConfigs shows each (a broker's configs are described by that broker)."""
    entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.DELETE if v is None else
                           AlterConfigOpType.SET) for k, v in values.items()]
    res = ConfigResource(restype, name, incremental_configs=entries)
    admin.incremental_alter_configs([res])[res].result(BOUND)
    own = _OWN_SOURCE[restype]
    described = ConfigResource(restype, name)

    def shown() -> bool:
        now = admin.describe_configs([described])[described].result(BOUND)
        return all(k in now and now[k].value == v and ConfigSource(now[k].source) is own if v is not None
                   else k not in now or ConfigSource(now[k].source) is not own for k, v in values.items())

    wait_for(shown, BOUND, f"the broker to describe the configs set by hand on {restype.name.lower()} {name}: "
                           f"{dict(values)}")


def set_topic_configs(admin, topic: str, values: Mapping[str, str | None]) -> None:
    """`alter_configs` of a topic."""
    alter_configs(admin, ConfigResource.Type.TOPIC, topic, values)


def _exactly(binding: AclBinding) -> AclBindingFilter:
    return AclBindingFilter(binding.restype, binding.name, binding.resource_pattern_type, binding.principal,
                            binding.host, binding.operation, binding.permission_type)


def create_acls(admin, bindings: Sequence[AclBinding]) -> None:
    """Create `bindings`; return once DescribeAcls (the broker's authorizer) holds each."""
    for f in admin.create_acls(list(bindings)).values():
        f.result(BOUND)
    wait_for(lambda: all(b in set(admin.describe_acls(_exactly(b)).result(BOUND)) for b in bindings), BOUND,
             f"the broker's authorizer to hold the {len(bindings)} binding(s) created by hand")


def delete_acls(admin, filters: Sequence[AclBindingFilter]) -> list[AclBinding]:
    """Delete what `filters` match; return what was deleted once DescribeAcls (the broker's authorizer) matches
    nothing of them any more."""
    deleted: list[AclBinding] = []
    for f in admin.delete_acls(list(filters)).values():
        deleted += f.result(BOUND)
    wait_for(lambda: not any(admin.describe_acls(f).result(BOUND) for f in filters), BOUND,
             f"the broker's authorizer to drop the binding(s) deleted by hand ({len(deleted)})")
    return deleted


def upsert_scram(admin, users: Mapping[str, str], iterations: int = 4096,
                 mechanism: ScramMechanism = ScramMechanism.SCRAM_SHA_512) -> None:
    """Give each user (name -> password) a SCRAM credential; return once DescribeUserScramCredentials shows each
    with this mechanism and these iterations."""
    info = ScramCredentialInfo(mechanism, iterations)
    for f in admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(u, info, p.encode()) for u, p in users.items()]).values():
        f.result(BOUND)

    def shown() -> bool:
        for user in users:
            try:
                found = admin.describe_user_scram_credentials([user])[user].result(BOUND)
            except KafkaException as e:
                if e.args[0].name() == "RESOURCE_NOT_FOUND":  # not applied yet
                    return False
                raise
            if not any(i.mechanism == mechanism and i.iterations == iterations for i in found.scram_credential_infos):
                return False
        return True

    wait_for(shown, BOUND, f"the broker to describe the SCRAM credential(s) set by hand: {', '.join(sorted(users))}")
