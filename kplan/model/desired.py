"""The desired-state model: what a stack declares after loading, variable substitution, environment overlays,
defaults and CDC expansion. Immutable; built by the stack loader, consumed by the planner.

Config values are Kafka's own strings (Kafka and Connect store strings), already normalized: human units turned
into integers, booleans lower-cased, lists joined with ','.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from types import MappingProxyType
from typing import Any, Mapping, Protocol, Sequence, TypeVar

from kplan.model.metadata import Meta
from kplan.model.policy import Policy
from kplan.model.source import Origin

_K = TypeVar("_K")
_V = TypeVar("_V")


def freeze(d: Mapping[_K, _V] | None) -> Mapping[_K, _V]:
    """A read-only, key-sorted copy of a mapping (sorted so that renderings and digests are stable): names, or
    partitions, offsets, retention ms."""
    src: Mapping[_K, _V] = d or {}
    return MappingProxyType({k: src[k] for k in sorted(src)})  # type: ignore[type-var]


class ConnectorState(str, Enum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"

    @classmethod
    def restored(cls, live: str | None) -> "ConnectorState":
        """The declared state to restore from a live one: FAILED/UNASSIGNED/unknown connectors were meant to run."""
        try:
            return cls((live or "running").lower())
        except ValueError:
            return cls.RUNNING

    @classmethod
    def steady(cls, live: str | None) -> bool:
        """A live state a connector stays in (running, paused, stopped; not FAILED: it may fail again)."""
        return (live or "").lower() in {s.value for s in cls}


class NewTopic(Protocol):
    """What creating a topic takes of a declared one: a topic's spec (kinds/topic/model.py), a Streams application's
    internal topic."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def replication_factor(self) -> int: ...
    @property
    def config(self) -> Mapping[str, str]: ...


DEFAULT_CONNECT = "default"  # the Connect cluster of `cluster.connect` in its single form (docs/stack-format.md)


def connector_key(connect: str, name: str) -> str:
    """How kplan names a connector in plans, status and the ownership record: its name on the Connect cluster named
    `default` (so stacks from before several Connect clusters keep their records), `<connect>/<name>` on another
    (a connector name never holds '/')."""
    return name if connect == DEFAULT_CONNECT else f"{connect}/{name}"


def connect_of(key: str) -> str:
    """The Connect cluster a connector key (`connector_key`) names."""
    connect, sep, _ = key.partition("/")
    return connect if sep else DEFAULT_CONNECT


def connect_and_name(connect: str, key: str) -> str:
    """The connector's own name on its Connect cluster, from its key (`connector_key`)."""
    prefix = f"{connect}/"
    return key[len(prefix):] if connect != DEFAULT_CONNECT and key.startswith(prefix) else key


@dataclass(frozen=True)
class ConnectAccess:
    """How kplan authenticates to and trusts the Kafka Connect REST API (`cluster.connect`). The password and the
    bearer token are `${secret:...}` references, resolved only at the edge (`cluster/clients.py`); header values may
    be references too. Paths are absolute (the loader resolves them against the stack file's directory)."""

    username: str | None = None
    password: str | None = None  # a ${secret:...} reference
    token: str | None = None  # a bearer token: a ${secret:...} reference
    headers: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    ca: str | None = None  # CA bundle (PEM) that signed the worker's certificate
    client_cert: str | None = None  # mTLS: the client certificate (PEM) ...
    client_key: str | None = None  # ... and its key (PEM; None when the certificate file holds it)
    verify: bool = True  # TLS verification (on unless the stack turns it off, with a warning)

    def references(self) -> list[str]:
        """Every value that may hold a secret reference."""
        return [v for v in (self.password, self.token, *self.headers.values()) if v]


@dataclass(frozen=True)
class ConnectTarget:
    """A named Connect cluster beside the default one (`cluster.connect` as a map of names): its URL and access."""

    url: str
    access: ConnectAccess = field(default_factory=ConnectAccess)


CCOMPAT = re.compile(r"/apis/ccompat/v\d+/?$")  # Apicurio's Confluent-compatible API, at the URL's end


def registry_flavour(url: str) -> str:
    """Which schema registry a URL is: "apicurio" (its Confluent-compatible API, `.../apis/ccompat/vN`) or
    "confluent" (Confluent's, or another that speaks its API at the root)."""
    return "apicurio" if CCOMPAT.search(url) else "confluent"


@dataclass(frozen=True)
class ClusterSpec:
    """How to reach the cluster. `client_properties` are librdkafka properties (may hold secret references);
    `connect` says how to authenticate to and trust Kafka Connect at `connect_url`."""

    bootstrap_servers: str
    connect_url: str | None = None
    client_properties: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    timeout_s: float = 15.0
    connect: ConnectAccess = field(default_factory=ConnectAccess)
    reassignment_throttle: int | None = None  # bytes/s a partition reassignment may copy per broker; None: unthrottled
    # The schema registry (Confluent's REST API; Apicurio's `/apis/ccompat/v7`) and how to reach it: the same
    # client shape as Connect's (`cluster.schema_registry`); None when the stack names none.
    schema_registry_url: str | None = None
    schema_registry: ConnectAccess = field(default_factory=ConnectAccess)
    # What removing a registered schema from the stack (or destroy) does: "soft" (the registry's soft delete;
    # registering again brings it back) or "permanent" (soft, then hard delete); `schema_registry.delete`, whose row
    # (kplan.kinds.frame.REGISTRY_DELETE) gives a stack's default. This default is a spec's made without a stack (the
    # model sits below the kinds' rows).
    registry_delete: str = "soft"
    # More Connect clusters on this Kafka cluster, by name (`cluster.connect` as a map; docs/stack-format.md): every
    # one but DEFAULT_CONNECT, which is `connect_url`/`connect`. Empty for the single form.
    connects: Mapping[str, ConnectTarget] = field(default_factory=lambda: freeze({}))
    # AWS MSK IAM (`cluster.client.aws_msk_iam`: region, and profile, role_arn or session_name): kplan signs the
    # OAUTHBEARER tokens of every client it opens with AWS's signer library; None when not set.
    aws_msk_iam: Mapping[str, str] | None = None

    # The Kafka cluster id the stack is pinned to (`cluster.id`, docs/stack-format.md); None: not pinned. Every
    # read of the cluster refuses another id (kplan.cluster.pin). `pin_origin` says where the pin is written
    # ("stack.yaml:4: cluster.id"); not compared: a preview of the cluster settings and the loaded stack agree.
    pinned_id: str | None = None
    pin_origin: str = field(default="", compare=False)

    def connect_names(self) -> tuple[str, ...]:
        """The names of the Connect clusters the stack reaches (the default first, when there is one)."""
        return ((DEFAULT_CONNECT,) if self.connect_url else ()) + tuple(sorted(self.connects))

    def for_connect(self, name: str) -> "ClusterSpec":
        """The same cluster seen through one Connect cluster: `connect_url`/`connect` are that one's (a client of
        `connect_url` is then its client), and there are no others."""
        if name == DEFAULT_CONNECT:
            return replace(self, connects=freeze({}))
        target = self.connects[name]
        return replace(self, connect_url=target.url, connect=target.access, connects=freeze({}))


# -- a mirror (`mirrors:`, kplan.model.mirror): what its MirrorMaker 2 connectors carry ----------------------------

PREFIXED, IDENTITY = "prefixed", "identity"
SEPARATOR = "."  # replication.policy.separator's default
SUBJECT_SUFFIXES = ("-key", "-value")  # TopicNameStrategy's subjects of a topic


@dataclass(frozen=True)
class MirrorSpec:
    """One mirror as its connectors carry it."""

    name: str
    source_alias: str
    target_alias: str
    topics: tuple[str, ...]  # regexes (MirrorMaker's `topics`)
    topics_exclude: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # regexes of the consumer groups whose offsets are translated
    policy: str = PREFIXED
    checkpoint_interval_s: int = 60
    sync_group_offsets: bool = True
    replication_factor: int | None = None  # None: MirrorMaker's defaults (2 for replicas, 3 for its own topics)
    sync_topic_configs: bool = True
    sync_topic_acls: bool = False
    heartbeats: bool = True
    # the sides ("source", "target") whose login the mirror's `config` gives MirrorMaker (`<side>.cluster.sasl.*`,
    # `ssl.*`, `security.protocol`): not the cluster's settings kplan reads with, so kplan cannot check its rights
    own_logins: frozenset[str] = frozenset()
    # How kplan reads the source (its topics, at plan: the connector kind's follow-up read): the cluster of `clusters:`
    # it names, or the inline bootstrap servers. None: not read.
    source: "ClusterSpec | None" = field(default=None, compare=False, repr=False)
    # `schemas: true`: the replicated topics' subjects (TopicNameStrategy) are registered on the target's schema
    # registry under the replicas' names, with the source's schema and level (the subject kind's `mirrored` module)
    schemas: bool = False

    def factors(self) -> tuple[int, int]:
        """(the replicas' replication factor, that of MirrorMaker's own topics on the target)."""
        rf = self.replication_factor
        return (2, 3) if rf is None else (rf, rf)

    @cached_property
    def _patterns(self) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
        """`topics` and `topics_exclude`, compiled."""
        return tuple(map(re.compile, self.topics)), tuple(map(re.compile, self.topics_exclude))

    def replicates(self, source_topic: str) -> bool:
        """Whether a topic of the source cluster is replicated (never the mirror's own internal topics)."""
        if source_topic.startswith(("mm2-", "__")) or source_topic.endswith(".internal"):
            return False
        included, excluded = self._patterns
        return (any(p.fullmatch(source_topic) for p in included)
                and not any(p.fullmatch(source_topic) for p in excluded))

    def follows(self, group: str) -> bool:
        """Whether a consumer group's offsets are translated by this mirror (its `groups` patterns)."""
        return any(re.fullmatch(p, group) for p in self.groups)

    def source_name(self, target_topic: str) -> str:
        """The source topic a replica copies (`target_name`'s inverse)."""
        prefix = f"{self.source_alias}{SEPARATOR}"
        if self.policy == PREFIXED and target_topic.startswith(prefix):
            return target_topic[len(prefix):]
        return target_topic

    def checkpoints_topic(self) -> str:
        """Where the checkpoint connector writes its translations on the target (`<source alias>.checkpoints.internal`,
        under either policy)."""
        return f"{self.source_alias}.checkpoints.internal"

    def literal_groups(self) -> tuple[str, ...]:
        """The groups its patterns name exactly (`billing`, `orders\\.app`): a principal that may not describe a
        group does not see it listed, so these are asked about by name."""
        return tuple(sorted(p.replace("\\.", ".") for p in self.groups if re.fullmatch(r"(?:[\w-]|\\\.)+", p)))

    def target_name(self, source_topic: str) -> str:
        """Its replica's name on the target: `<source alias>.<topic>` (prefixed) or the same name (identity)."""
        return source_topic if self.policy == IDENTITY else f"{self.source_alias}{SEPARATOR}{source_topic}"

    def subject_names(self, source_topics: Sequence[str]) -> dict[str, str]:
        """Source subject -> its name on the target, for the topics the mirror replicates (TopicNameStrategy:
        `<topic>-key` and `<topic>-value` become `<replica>-key` and `<replica>-value`)."""
        return {f"{t}{suffix}": f"{self.target_name(t)}{suffix}" for t in sorted(source_topics) if self.replicates(t)
                for suffix in SUBJECT_SUFFIXES}

    def may_own_subject(self, target_subject: str, copied: "frozenset[str] | None" = frozenset()) -> bool:
        """A target subject this mirror gives or gave: a `-key` / `-value` of a replica it made (`made`), whether or
        not its patterns still match the topic (the replica stays, so does its schema)."""
        return any(target_subject.endswith(s) and self.made(target_subject[:-len(s)], copied)
                   for s in SUBJECT_SUFFIXES)

    def internal_topics(self) -> tuple[str, ...]:
        """The topics MirrorMaker keeps on the target for this mirror (heartbeats, checkpoints)."""
        return ("heartbeats", f"{self.source_alias}.checkpoints.internal", f"{self.source_alias}.heartbeats")

    def is_replica(self, topic: str) -> bool:
        """A topic of the target that is the replica of a source topic its patterns match now."""
        source = self.source_name(topic)
        return (self.target_name(source) == topic and self.replicates(source) and topic not in self.internal_topics()
                and not topic.startswith("mm2-"))

    def made(self, topic: str, copied: "frozenset[str] | None" = frozenset()) -> bool:
        """A topic of the target that is a replica this mirror made, whether or not its patterns still match its
        source topic. Under the prefixed policy its name says so: `<source alias>.<topic>` is what MirrorMaker's
        DefaultReplicationPolicy names a replica of that alias, and reads as one (it never copies it back). Under
        identity a replica's name is its source topic's, so it is one its patterns match or one its source connector
        has copied records into (`copied`: the source topics MirrorMaker's own offsets name; None: they could not be
        read, and every topic may be one)."""
        if self.policy == PREFIXED:
            return topic.startswith(f"{self.source_alias}{SEPARATOR}")
        return copied is None or topic in copied or self.replicates(topic)

    def owns_on_target(self, topic: str, copied: "frozenset[str] | None" = frozenset()) -> bool:
        """A topic of the target cluster that this mirror made: a replica (`made`), or one of MirrorMaker's own."""
        return topic in self.internal_topics() or topic.startswith("mm2-") or self.made(topic, copied)

    def describe(self) -> str:
        """The flow in words, for the plan."""
        what = ", ".join(self.topics) + (f" (except {', '.join(self.topics_exclude)})" if self.topics_exclude else "")
        names = (f"as {self.source_alias}.<topic>" if self.policy == PREFIXED else "under the same names (identity)")
        groups = (f"; the committed offsets of consumer groups {', '.join(self.groups)} are translated to the target "
                  f"every {self.checkpoint_interval_s} s" if self.groups and self.sync_group_offsets else
                  f"; checkpoints of consumer groups {', '.join(self.groups)} every {self.checkpoint_interval_s} s"
                  if self.groups else "")
        schemas = (f"; their subjects (<topic>-key, <topic>-value) are registered on {self.target_alias}'s schema "
                   "registry under the replicas' names" if self.schemas else "")
        return (f"mirror {self.name!r} replicates the topics of {self.source_alias} matching {what} to "
                f"{self.target_alias} {names}{groups}{schemas}")


class _Addressed:
    """An entry naming a resource by the plan's address (`<type>.<name>`; names may contain dots, types never do:
    `kplan.model.plan.split_address`)."""

    address: str

    @property
    def type_word(self) -> str:
        return self.address.partition(".")[0]

    @property
    def name(self) -> str:
        return self.address.partition(".")[2]


@dataclass(frozen=True)
class Reference(_Addressed):
    """A resource the stack needs but does not own (`references:`, docs/stack-format.md, References): another
    team's topic it reads, a connector it depends on. The plan reads it and fails when it is missing or differs from
    `expect`; kplan never changes or deletes it. `address` is the plan's ("topic.payments.events")."""

    address: str
    expect: Mapping[str, Any] = field(default_factory=lambda: freeze({}))
    origin: Origin | None = None


@dataclass(frozen=True)
class Forget(_Addressed):
    """A resource the stack stops owning without deleting it (`forget:`, docs/stack-format.md, Handing a resource
    over): kplan drops it from the stack's ownership record and leaves it, and its data, on the cluster — for another
    stack to adopt, or for nobody. `address` is the plan's ("topic.orders", "connector.orders-sink")."""

    address: str
    origin: Origin | None = None


@dataclass(frozen=True)
class Claim:
    """A name prefix the stack claims (`claims:`, docs/orphans.md): what exists under it on the cluster that no kplan
    stack owns and this stack does not declare is an orphan, listed by status and the plan; `prune` makes the plan
    delete those orphans. `kinds`: the stack sections it covers (by default every section a claim may cover,
    `kplan.kinds.claimable_sections`; for ACLs, the bindings whose resource name is under the prefix)."""

    prefix: str
    prune: bool = False
    kinds: frozenset[str] = frozenset()
    origin: Origin | None = None

    def covers(self, section: str, name: str) -> bool:
        return section in self.kinds and name.startswith(self.prefix)


@dataclass(frozen=True)
class SecretCommand:
    """A command whose stdout is a secret (`secret_commands:`, used as `${secret:cmd:NAME}`): run at most once per
    run, only by kplan.stackfile.references. `argv`: the program and its arguments, or with `shell` one string
    for /bin/sh -c. `origin`: where it is declared ("stack.yaml:12")."""

    name: str
    argv: tuple[str, ...]
    timeout_s: float = 10.0
    shell: bool = False
    origin: str = field(default="", compare=False)


@dataclass(frozen=True)
class Stack:
    """A fully expanded stack for one environment."""

    name: str
    environment: str | None
    cluster: ClusterSpec
    # Every kind's declared resources, by its stack section (`Kind.section`), each sorted by name; `of` reads
    # them. The Stack names no kind.
    kinds: Mapping[str, tuple[Any, ...]] = field(default_factory=lambda: freeze({}))
    # Stack-wide switch (the environment's, else the stack's): undeclared live topic overrides are removed from
    # topics that do not set their own authoritative_config.
    authoritative_config: bool = False
    files: tuple[str, ...] = ()
    # sha256 over the loaded files' bytes and the environment name: saved plans record it.
    inputs_digest: str = ""
    # Formatted warning diagnostics from loading (e.g. "stack.yaml:3:5: warning: ..."), for commands to show.
    warnings: tuple[str, ...] = ()
    # The policy rules the stack must follow (its own and its policy files'; kplan.policy.check), None without.
    policy: Policy | None = None
    # Several clusters (`clusters:`, docs/clusters.md): the stack as loaded holds every resource and one ordinary
    # single-cluster Stack per cluster in `members` (declaration order), each with its `cluster_name`; plan, apply,
    # destroy, status and recover run the one-cluster machinery per member (kplan.session.run).
    cluster_name: str | None = None
    members: tuple["Stack", ...] = ()
    # The name prefixes the stack claims (`claims:`; in a several-cluster stack each member has its cluster's).
    claims: tuple[Claim, ...] = ()
    # The resources it stops owning and leaves on the cluster (`forget:`; likewise per member).
    forget: tuple[Forget, ...] = ()
    # The resources it needs but does not own (`references:`; likewise per member).
    references: tuple[Reference, ...] = ()
    # Owners, descriptions and labels (kplan.model.metadata), by (stack section, resource name): one for every
    # resource an entry declares (empty when it has none). `meta` reads them.
    metadata: Mapping[tuple[str, str], Meta] = field(default_factory=lambda: MappingProxyType({}))

    def meta(self, section: str, name: str) -> Meta:
        """A declared resource's owner, description and labels (empty when it has none)."""
        return self.metadata.get((section, name)) or Meta()
    # The commands `${secret:cmd:NAME}` references run (`secret_commands:`, the environment's over the stack's).
    secret_commands: Mapping[str, SecretCommand] = field(default_factory=lambda: freeze({}))

    def of(self, section: str) -> tuple[Any, ...]:
        """One kind's declared resources (none when the stack declares none)."""
        return self.kinds.get(section, ())

    @property
    def multi_cluster(self) -> bool:
        return bool(self.members)


def origin_data(origin: Origin | None) -> dict[str, str]:
    """The origin's JSON (`Origin.to_json`) as a reader of the stack wants it: `at: file:line`, then what generated
    the resource (the CDC source, its role and table) if a CDC source did."""
    if origin is None:
        return {}
    d = origin.to_json()
    out: dict[str, str] = {"at": f"{d['file']}:{d['line']}"}
    if d["cdc_source"]:
        out.update({k: d[k] for k in ("cdc_source", "role", "table") if d[k]})
    return out
