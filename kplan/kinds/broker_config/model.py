"""The broker-config kind's declared model, and the closed list of settings that can cut a cluster off.

A stack declares dynamic broker configs per entity: `<default>`, the cluster-wide dynamic default (Kafka's
BROKER resource with an empty name, `kafka-configs.sh --entity-default`), or one broker by id (a per-broker
override). Kafka's precedence: per-broker dynamic > cluster-wide dynamic > static server.properties > default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from kplan.model.desired import freeze
from kplan.model.source import Origin

DEFAULT_BROKER = "<default>"  # the cluster-wide dynamic default, as a stack and a plan name it

# Settings a wrong value of which can cut brokers off from clients, from each other or from their data, or lock
# every client (kplan included) out: refused unless the entry names the key in `allow_dangerous`. The closed list,
# with the reason for each family:
DANGEROUS_KEYS: Mapping[str, str] = freeze({
    # where brokers listen and what they tell clients: a wrong value and no client (nor broker) can connect
    "listeners": "where the broker listens",
    "advertised.listeners": "the addresses clients and brokers are told to use",
    "listener.security.protocol.map": "which security protocol each listener speaks",
    "inter.broker.listener.name": "the listener brokers replicate over",
    "security.inter.broker.protocol": "the protocol brokers replicate over",
    "control.plane.listener.name": "the controller's listener",
    "controller.listener.names": "the controllers' listeners",
    # who may do what: a wrong value locks every principal (kplan's too) out, or lets everyone in
    "authorizer.class.name": "the authorizer",
    "super.users": "who bypasses every ACL",
    "allow.everyone.if.no.acl.found": "what a resource without ACLs allows",
    "principal.builder.class": "how a connection's principal is named",
    "sasl.enabled.mechanisms": "the SASL mechanisms clients may log in with",
    "sasl.mechanism.inter.broker.protocol": "the SASL mechanism brokers log in with",
    # where the data lives: a wrong value and the broker loses sight of its partitions
    "log.dirs": "the broker's data directories",
    "log.dir": "the broker's data directory",
    # how much a broker accepts at all: a tiny value cuts every connection off
    "max.connections": "connections the broker accepts",
    "max.connections.per.ip": "connections the broker accepts per address",
    "num.network.threads": "the threads that serve every connection",
})
# Key families: any per-listener setting (listener.name.<l>.*) and any TLS or SASL setting (keystores, truststores,
# JAAS, client authentication) decides whether connections are accepted at all.
DANGEROUS_PREFIXES: Mapping[str, str] = freeze({
    "listener.name.": "a listener's own settings (TLS, SASL, limits)",
    "ssl.": "TLS: keystores, truststores, client authentication",
    "sasl.": "SASL logins",
})


def danger_of(key: str) -> str | None:
    """Why a key can cut the cluster off (None: it cannot, as far as kplan knows)."""
    if key in DANGEROUS_KEYS:
        return DANGEROUS_KEYS[key]
    return next((why for prefix, why in DANGEROUS_PREFIXES.items() if key.startswith(prefix)), None)


def secret_key(key: str) -> bool:
    """A password-type broker config: Kafka never shows its value, so a change could not be compared nor undone."""
    return key.endswith(".password") or key.endswith("jaas.config") or key.endswith(".secret")


def entity_sort(name: str) -> tuple[int, int, str]:
    """`<default>` first, then brokers by id."""
    return (0, 0, "") if name == DEFAULT_BROKER else (1, int(name) if name.isdigit() else 0, name)


@dataclass(frozen=True)
class BrokerConfigSpec:
    """The dynamic configs a stack declares for one entity (`<default>` or a broker id): key -> value as Kafka
    takes it (a string); `authoritative`: dynamic keys of the entity it does not declare are deleted;
    `allow_dangerous`: the keys of DANGEROUS_KEYS/PREFIXES it may set or delete."""

    broker: str
    configs: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    authoritative: bool = False
    allow_dangerous: frozenset[str] = frozenset()
    origin: Origin | None = None
    key_origins: Mapping[str, Origin] = field(default_factory=lambda: freeze({}))

    @property
    def name(self) -> str:
        return self.broker
