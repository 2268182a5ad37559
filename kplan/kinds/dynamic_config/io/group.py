"""Group configs (KIP-848's GROUP config resources) through kplan's own Kafka client (kplan.transport.wire.client):
the read the plan needs, the plan-time validation, and the verified writes apply makes.

Why not librdkafka: the read needs the names of the groups that have configs, which only KIP-1142's
ListConfigResources (v1, Kafka 4.1+) tells; confluent-kafka has no such call. On the wire a group's config resource
is type 32 (confluent-kafka's ResourceType.GROUP, 3, is the ACL resource type). Any broker answers for any group
(the configs live in the cluster's metadata log).

What the brokers say (checked on Kafka 4.3.1): DescribeConfigs of a group lists its 17 keys (`consumer.*`,
`share.*`, `streams.*`), each with source GROUP_CONFIG (8) when the group has its own value, else the broker-wide
default it falls back to (`group.consumer.session.timeout.ms`...); a validate-only IncrementalAlterConfigs refuses
an unknown key ("Unknown group config name"), a bad value and one out of the brokers' range (INVALID_CONFIG, with
the reason). Kafka 3.9 answers "Unknown resource type 32" and has no ListConfigResources v1.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from kplan.kinds.dynamic_config.io import configs
from kplan.kinds.dynamic_config.io.configs import ConfigValidation, alter_verified, matches, planned_writes
from kplan.kinds.dynamic_config.model import features_needed
from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.secrets import SecretValues
from kplan.transport.wire.client import Client, error_name, open_client, read_with
from kplan.transport.wire.codec import Refused, Unsupported

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.dynamic_config.io import DynamicConfigWrites
    from kplan.model.plan import Plan, PlanDiagnostic
    from kplan.model.results import BatchResults

GROUP = 32  # the GROUP config resource type
GROUP_CONFIG = 8  # the config source of a group's own value


def list_groups(client: Client) -> list[str]:
    """The groups that have dynamic configs (one ListConfigResources v1); Unsupported on a cluster without it."""
    from kplan.transport.wire.messages import ListConfigResourcesRequest

    response = client.send(ListConfigResourcesRequest(resource_types=[GROUP], min_version=1))
    if response.error_code:
        name = error_name(response.error_code)
        raise Refused(f"listing the groups with configs failed: {name}", name)
    return sorted({r.resource_name for r in response.config_resources if r.resource_type == GROUP})


def describe_groups(client: Client, groups: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each group's own dynamic values (source GROUP_CONFIG), in one DescribeConfigs request."""
    if not groups:
        return {}
    results = configs.described(client, [(GROUP, g, None) for g in groups], lambda name: f"group {name}", False)
    return {r.resource_name: {c.name: c.value for c in r.configs if c.config_source == GROUP_CONFIG} for r in results}


def read_group_configs(cluster: ClusterSpec, secrets: SecretValues | None
                       ) -> tuple[dict[str, dict[str, Any]], Problem | None]:
    """Every group with dynamic configs, as the kind's answer (group -> {"values"}); or why they cannot be read. A
    client is opened for this read and closed after it."""
    def read(client: Client) -> dict[str, dict[str, Any]]:
        return {g: {"values": values} for g, values in describe_groups(client, list_groups(client)).items() if values}

    try:
        return read_with(cluster, secrets, read)
    except Unsupported:  # no ListConfigResources v1
        return {}, Problem.UNSUPPORTED


def validate(cluster: ClusterSpec, secrets: SecretValues, plan: "Plan") -> list["PlanDiagnostic"]:
    """The plan's group-config writes sent validate-only, in one request: whatever the brokers would refuse (an
    unknown key, a bad value, one out of their range) is one error line at plan time, at the entry. A key of a group
    type whose feature is off (`model.GROUP_KEY_FEATURES`: consumer.* needs group.version...) is refused too, unless
    the plan turns the feature on first (its step runs before every other): one ApiVersions for the levels."""
    from kplan.kinds.dynamic_config.kind import GroupConfigPlanned
    from kplan.model.plan import error

    todo = {group: (c, values) for c, group, values in planned_writes(plan, GroupConfigPlanned)}
    if not todo:
        return []
    needed = {g: features_needed(k for k, v in values.items() if v is not None) for g, (_, values) in todo.items()}
    with open_client(cluster, secrets) as client:
        refused = configs.altered(client, GROUP, {g: values for g, (_, values) in todo.items()}, validate_only=True)
        levels = {**client.finalized_levels(), **planned_levels(plan)} if any(needed.values()) else {}
    out = [error(f"the brokers refuse the configs of group {group}: {message or name}", "group-config-invalid",
                 address=todo[group][0].address, origin=todo[group][0].origin)
           for group, (name, message) in sorted(refused.items())]
    for group, features in sorted(needed.items()):
        for feature, (groups, keys) in sorted(features.items()):
            if levels.get(feature, 0) < 1:
                out.append(error(
                    f"group {group}: {', '.join(keys)} act(s) only on {groups}, which need feature {feature} at 1 "
                    f"or above (it is {levels.get(feature, 0)} on the cluster): declare it in the stack's features "
                    f"(`- name: {feature}` with `level: 1`; applied before the group configs), or enable it with "
                    f"kafka-features.sh upgrade --feature {feature}=1", "group-config-feature-off",
                    address=todo[group][0].address, origin=todo[group][0].origin))
    return out


def planned_levels(plan: "Plan") -> dict[str, int]:
    """feature -> the level the plan finalizes (its feature step runs first: kplan.kinds.feature)."""
    from kplan.model.plan import ResourceType

    return {c.name: int(c.after["level"]) for c in plan.changes
            if c.type is ResourceType.FEATURE and c.is_change and c.after}


# The kind's plan-time validation (kplan.cluster.kind_io): `validate`, looked up when it runs
GroupConfigValidation = partial(ConfigValidation, lambda cluster, secrets, plan: validate(cluster, secrets, plan))


def alter_group_configs(self: "DynamicConfigWrites", changes: Sequence[tuple[str, Mapping[str, str | None]]]
                        ) -> "BatchResults":
    """Per group, config key -> value to set (None: delete the group's dynamic value): one IncrementalAlterConfigs
    request per group, then read back until the brokers show it (results by group)."""
    client = self.wire.client
    return alter_verified(
        self.kafka, changes, what="altering group configs", word=lambda group: f"group {group}",
        alter=lambda group, values: configs.altered(client, GROUP, {group: values}, validate_only=False).get(group),
        shows=lambda group, values: matches(describe_groups(client, [group]).get(group, {}), values),
        unshown="the brokers do not show the configs {keys} of group {entity} as written")
