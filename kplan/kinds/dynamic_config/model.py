"""The dynamic-config kinds' declared and live types — an entity and its keys, valued as the kind holds them — and
what each kind knows of its entities. Pure and light: loading a stack imports it, and the cluster's reads.

- A broker config's entity is `<default>`, the cluster-wide dynamic default (Kafka's BROKER resource with an empty
  name, `kafka-configs.sh --entity-default`), or one broker by id (a per-broker override). Kafka's precedence:
  per-broker dynamic > cluster-wide dynamic > static server.properties > default. Below: the closed list of settings
  that can cut a cluster off.
- A group config's entity is a consumer, share or streams group (Kafka's GROUP config resource, KIP-848:
  `consumer.session.timeout.ms`, `share.record.lock.duration.ms`...), each key overriding the broker-wide
  `group.<key>` default for that one group. The keys and their ranges are the brokers': kplan judges neither, the
  brokers do at plan time (a validate-only request).
- A client quota's entity is a user, a client id, or both (`QuotaEntity`); its keys are doubles (the quota shape's,
  `section.QUOTAS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Hashable, Iterable, Mapping, TypeVar

from kplan.model.desired import freeze
from kplan.model.source import Origin

E = TypeVar("E", bound=Hashable)  # the entity: a name (a broker id, `<default>`, a group) or a kind's own
V = TypeVar("V")  # a key's value


def entity_name(entity: Any) -> str:
    """The resource's name of an entity: a name is its own, a kind's own entity says its `name`."""
    return entity if isinstance(entity, str) else str(entity.name)


# The finalized feature a group config key takes effect under, by the key's prefix: its group type's protocol
# (KIP-848's consumer groups, KIP-932's share groups, KIP-1071's streams groups). Kafka stores the key with the feature
# off (checked on Kafka 4.3.1, group.version 0: set and shown), but no group of that type can exist until it is on.
GROUP_KEY_FEATURES = (("consumer.", "group.version", "KIP-848 consumer groups"),
                      ("share.", "share.version", "share groups"),
                      ("streams.", "streams.version", "streams groups"))


def features_needed(keys: Iterable[str]) -> dict[str, tuple[str, list[str]]]:
    """feature -> (the groups it turns on, the keys among `keys` that need it)."""
    out: dict[str, tuple[str, list[str]]] = {}
    for key in sorted(keys):
        for prefix, feature, groups in GROUP_KEY_FEATURES:
            if key.startswith(prefix):
                out.setdefault(feature, (groups, []))[1].append(key)
    return out

@dataclass(frozen=True)
class KeysSpec(Generic[E, V]):
    """The keys a stack declares for one entity (key -> value); `authoritative`: the entity's keys it does not
    declare are deleted; `allow_dangerous`: the keys that can cut the cluster off it may set or delete (broker
    configs); where the entry and each of its keys are declared."""

    entity: E
    values: Mapping[str, V] = field(default_factory=lambda: freeze({}))
    authoritative: bool = False
    allow_dangerous: frozenset[str] = frozenset()
    origin: Origin | None = None
    key_origins: Mapping[str, Origin] = field(default_factory=lambda: freeze({}))

    @property
    def name(self) -> str:
        return entity_name(self.entity)


@dataclass(frozen=True)
class LiveKeys(Generic[E, V]):
    """One entity's keys on the cluster, those the stack's ownership record says kplan set (`owned`), and what the
    brokers say of the keys where the kind reads it (broker configs): a key's static server.properties value by
    broker, the read-only keys, every key they list (None: not checked)."""

    entity: E
    values: Mapping[str, V] = field(default_factory=lambda: freeze({}))
    owned: frozenset[str] = frozenset()
    static: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: freeze({}))
    read_only: frozenset[str] = frozenset()
    known: frozenset[str] | None = None

    @property
    def name(self) -> str:
        return entity_name(self.entity)


# -- broker configs ------------------------------------------------------------------------------------------------

DEFAULT_BROKER = "<default>"  # the cluster-wide dynamic default, as a stack and a plan name it
SENSITIVE = "(sensitive)"  # a value Kafka does not show
LiveBrokerConfig = LiveKeys[str, str | None]  # None: a sensitive value

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


# -- group configs -------------------------------------------------------------------------------------------------

LiveGroupConfig = LiveKeys[str, str]


# -- client quotas -------------------------------------------------------------------------------------------------

DEFAULT_ENTITY = "<default>"  # a stack's (and plan's) name for Kafka's default user or client id


@dataclass(frozen=True, order=True)
class QuotaEntity:
    """Whom a client quota applies to: a user, a client id, or both (`<default>`: Kafka's default entity)."""

    user: str | None = None
    client_id: str | None = None

    @property
    def name(self) -> str:
        """`user=orders-service`, `client-id=web`, `user=orders-service,client-id=web`: the resource's name."""
        parts = [f"user={self.user}"] if self.user is not None else []
        if self.client_id is not None:
            parts.append(f"client-id={self.client_id}")
        return ",".join(parts)


LiveQuota = LiveKeys[QuotaEntity, float]  # bytes per second for the byte rates, a percentage of one I/O thread
