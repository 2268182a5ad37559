"""Dynamic broker configs through kplan's own Kafka client (kplan.transport.wire.client): the read the plan needs,
the plan-time validation, and the verified writes apply makes.

Why not librdkafka: the cluster-wide dynamic default is the BROKER config resource with an empty name, which
librdkafka refuses to send ("Invalid ConfigResource"); Kafka's own requests (in kafka-python's message layouts) carry
it. A broker's own configs are described and altered at that broker, the default at any broker.

What the read keeps (checked on Kafka 4.3.1, 3 KRaft nodes): a broker's DescribeConfigs with synonyms lists every
key (~340) with its chain of sources; the synonym of the same name with source DYNAMIC_BROKER_CONFIG is the
broker's own dynamic value, DYNAMIC_DEFAULT_BROKER_CONFIG the cluster-wide default's, STATIC_BROKER_CONFIG its
server.properties value. The broker's validate-only IncrementalAlterConfigs refuses a bad value and a read-only
key, but accepts an unknown key: unknown keys are judged by the kind against the keys the brokers list.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from kplan.kinds.dynamic_config.io import configs
from kplan.kinds.dynamic_config.io.configs import ConfigValidation, alter_verified, matches, planned_writes
from kplan.kinds.dynamic_config.model import DEFAULT_BROKER
from kplan.model.desired import ClusterSpec
from kplan.model.live import Problem
from kplan.secrets import SecretValues
from kplan.transport.wire.client import Client, open_client, read_with

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.dynamic_config.io import DynamicConfigWrites
    from kplan.model.plan import Plan, PlanDiagnostic
    from kplan.model.results import BatchResults

BROKER = 4  # the BROKER config resource type
DYNAMIC_BROKER, DYNAMIC_DEFAULT, STATIC = 2, 3, 4  # config sources


def describe_broker(client: Client, broker: int) -> list[dict[str, Any]]:
    """Every config of one broker with its synonyms (one DescribeConfigs at that broker)."""
    results = configs.described(client, [(BROKER, str(broker), None)], lambda name: f"broker {name}", True, broker)
    return [c.to_dict() for result in results for c in result.configs]


def entities(described: Mapping[int, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The kind's answer (its `kind_state`, kplan.kinds.dynamic_config.kind): `<default>` and each broker with its
    dynamic values, the static values of its keys, the read-only keys and every key the brokers list."""
    default: dict[str, Any] = {"values": {}, "static": {}, "read_only": set(), "known": set()}
    out: dict[str, dict[str, Any]] = {DEFAULT_BROKER: default}
    for broker, listed in sorted(described.items()):
        mine: dict[str, Any] = {"values": {}, "static": {}, "read_only": set(), "known": set()}
        for c in listed:
            name = c["name"]
            mine["known"].add(name)
            if c.get("read_only"):
                mine["read_only"].add(name)
            for s in c.get("synonyms") or ():
                if s["name"] != name:
                    continue
                value = None if c.get("is_sensitive") else s["value"]
                if s["source"] == DYNAMIC_BROKER:
                    mine["values"][name] = value
                elif s["source"] == DYNAMIC_DEFAULT:
                    default["values"][name] = value
                elif s["source"] == STATIC and value is not None:
                    mine["static"].setdefault(name, {})[str(broker)] = value
                    default["static"].setdefault(name, {})[str(broker)] = value
        default["known"] |= mine["known"]
        default["read_only"] |= mine["read_only"]
        out[str(broker)] = mine
    return {n: {**d, "read_only": sorted(d["read_only"]), "known": sorted(d["known"])} for n, d in out.items()}


def read_broker_configs(cluster: ClusterSpec, secrets: SecretValues | None
                        ) -> tuple[dict[str, dict[str, Any]], Problem | None]:
    """Every broker's configs (one DescribeConfigs per broker), as the kind's answer; or why they cannot be read. A
    client is opened for this read and closed after it."""
    return read_with(cluster, secrets, lambda client: entities({b: describe_broker(client, b)
                                                                   for b in client.brokers()}))


def _alter(client: Client, entity: str, values: Mapping[str, str | None], validate_only: bool
           ) -> tuple[str, str] | None:
    """One IncrementalAlterConfigs for one entity; (error name, broker's message) when refused."""
    # the default: the resource with an empty name, altered at any broker; a broker's own configs, at that broker
    name, node = ("", None) if entity == DEFAULT_BROKER else (entity, int(entity))
    return configs.altered(client, BROKER, {name: values}, validate_only, node).get(name)


def validate(cluster: ClusterSpec, secrets: SecretValues, plan: "Plan") -> list["PlanDiagnostic"]:
    """The plan's broker-config writes sent validate-only, one request per entity: whatever the broker would refuse
    (a bad value, a read-only key) is one error line at plan time."""
    from kplan.kinds.dynamic_config.kind import BrokerConfigPlanned, entity_word
    from kplan.model.plan import error

    todo = planned_writes(plan, BrokerConfigPlanned)
    if not todo:
        return []
    out = []
    with open_client(cluster, secrets) as client:
        brokers = client.brokers()
        for change, entity, values in todo:
            if entity != DEFAULT_BROKER and int(entity) not in brokers:
                continue  # the plan says it
            refused = _alter(client, entity, values, validate_only=True)
            if refused is not None:
                name, message = refused
                out.append(error(f"the broker refuses the configs of {entity_word(entity)}: {message or name}",
                                 "broker-config-invalid", address=change.address, origin=change.origin))
    return out


# The kind's plan-time validation (kplan.cluster.kind_io): `validate`, looked up when it runs
BrokerConfigValidation = partial(ConfigValidation, lambda cluster, secrets, plan: validate(cluster, secrets, plan))


def alter_broker_configs(self: "DynamicConfigWrites", changes: Sequence[tuple[str, Mapping[str, str | None]]]
                         ) -> "BatchResults":
    """Per broker entity ("<default>": the cluster-wide dynamic default, or a broker id), config key -> value to set
    (None: delete the dynamic value): one IncrementalAlterConfigs request per entity, then read back until the
    brokers show it — the default on every broker (results by entity)."""
    from kplan.kinds.dynamic_config.kind import entity_word

    client = self.wire.client
    return alter_verified(
        self.kafka, changes, what="altering dynamic broker configs", word=entity_word,
        alter=lambda entity, values: _alter(client, entity, values, validate_only=False),
        shows=lambda entity, values: _shows(client, entity, values),
        unshown="the brokers do not show the dynamic configs {keys} of {entity} as written")


def _shows(client: Client, entity: str, values: Mapping[str, str | None]) -> bool:
    """Whether the brokers show `values` as the entity's dynamic values; every broker for the default (each lists
    it as a synonym)."""
    brokers = client.brokers() if entity == DEFAULT_BROKER else [int(entity)]
    return all(matches(entities({b: describe_broker(client, b)})[entity]["values"], values) for b in brokers)
