"""The live-state model: what the cluster has, as planning reads it (a reader's `read(stack_name, topic_names,
sections)`; a kind's follow-up read asks through a small Protocol of its own, in its `live.py`).

The real reader (confluent-kafka admin + Connect REST, batched) lives in `kplan.cluster.reader`; unit and golden tests
use `StaticReader` over hand-written state. Planning never writes: writers are a separate interface (apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from kplan.model.consumers import LiveConsumers
from kplan.model.desired import DEFAULT_CONNECT, connect_and_name, freeze
from kplan.model.metadata import Meta
from kplan.model.plan import ResourceType


class Problem(str, Enum):
    """Why a kind's live resources could not be read or may not be changed (`KindState.problem`). Each kind words
    them for its own resources (its PROBLEMS); the value is the code a live-state file and `kplan import`'s notes
    use."""

    NOT_AUTHORIZED = "not-authorized"  # kplan's principal may not read them
    NOT_AUTHORIZED_ALTER = "not-authorized-alter"  # ... may read but not change them
    SECURITY_DISABLED = "security-disabled"  # ACLs: the cluster has no authorizer
    NO_REGISTRY = "no-registry"  # registered schemas: the stack names no schema registry
    UNREACHABLE = "unreachable"  # the registry could not be read (the reader's line in the detail)
    UNSUPPORTED = "unsupported"  # the cluster has no such resources (group configs before Kafka 4.1)


def problem_line(problem: Problem, detail: str | None = None) -> str:
    """A problem as one line where no kind words it: the reader's own line when it gave one, else the code."""
    return detail or problem.value


@dataclass(frozen=True)
class LiveTopic:
    name: str
    partitions: int
    replication_factor: int
    # The topic's own overrides: config entries whose source is DYNAMIC_TOPIC_CONFIG.
    overrides: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    # Every effective value (overrides + inherited broker/static/default values), for "declared == effective".
    effective: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    # Config keys whose live values are sensitive (Kafka reports is_sensitive); never printed.
    sensitive_keys: frozenset[str] = frozenset()
    # The replica broker ids of each partition, by partition id (leader-preferred first); () when not read.
    assignment: tuple[tuple[int, ...], ...] = ()


def live_topic(name: str, metadata: tuple[Any, ...], configs: tuple[Any, ...]) -> LiveTopic:
    """One topic's live state from its metadata (partitions, replication factor[, replicas by partition]: the
    reader's `topic_metadata`) and configs (overrides, effective, sensitive keys: its `describe_topic_configs`)."""
    parts, rf, *assignment = metadata
    overrides, effective, sensitive = configs
    return LiveTopic(name, parts, rf, overrides, effective, sensitive, assignment[0] if assignment else ())


@dataclass(frozen=True)
class LiveTask:
    id: int
    state: str  # RUNNING | PAUSED | FAILED | UNASSIGNED | STOPPED ...
    worker_id: str = ""
    trace: str = ""


@dataclass(frozen=True)
class LiveConnector:
    name: str
    # The stored config as Connect returns it (strings; includes "name"; provider placeholders unresolved).
    config: Mapping[str, str]
    # Connector state from the status endpoint, upper-case as Connect reports it; None when status was missing.
    state: str | None = None
    tasks: tuple[LiveTask, ...] = ()
    type: str | None = None  # source | sink
    trace: str = ""
    # Keys the ownership record says hold secrets (declared sensitive, or set from a ${secret:...} reference):
    # masked even after the connector is removed from the stack.
    sensitive_keys: frozenset[str] = frozenset()
    # The Connect cluster it was read from; `name` is its key (kplan.model.desired.connector_key)
    connect: str = DEFAULT_CONNECT
    # The version of its plugin it runs, as its status reports it (Kafka Connect 4.1+, KIP-891); None when unreported.
    version: str | None = None

    @property
    def connect_name(self) -> str:
        """Its name on its Connect cluster."""
        return connect_and_name(self.connect, self.name)


@dataclass(frozen=True)
class KindState:
    """One resource kind's slice of the live state: its live resources by name, the names this stack's ownership
    record owns (and protects), why the kind could not be read (`problem`; None when read; `problem_detail`: the
    reader's own line for it, UNREACHABLE), what the record keeps per name beside ownership (`records`: a
    registered schema's digest, a connector's last offsets token), and what the read learnt of the kind's own system
    beside its resources (`facts`, of the kind's own type: for the connectors, the Connect clusters' plugins and
    versions and those that could not be read; None when the kind has none or was not read)."""

    resources: Mapping[str, Any] = field(default_factory=lambda: freeze({}))
    owned: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    problem: Problem | None = None
    problem_detail: str | None = None
    records: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    facts: Any = None


_NOTHING = KindState()


@dataclass(frozen=True)
class LiveState:
    cluster_id: str
    broker_count: int
    # Every topic name on the cluster (the topics' slice may hold only those the plan can touch), for
    # collision checks ('.' vs '_') and "exists but not ours" messages. None when not read.
    all_topic_names: frozenset[str] | None = None
    # An apply of this stack that did not finish (killed mid-way), described for the user; None when none.
    unfinished_run: str | None = None
    # The stack's apply lock is held: a run is under way, or one died before it marked itself (then it changed
    # nothing, and `kplan recover` releases the lock).
    locked: bool = False
    # Resources other stacks own: address ("topic.x", "connector.y") -> owning stack. A resource has one owner.
    foreign_owners: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    # The brokers by id and their racks (None: no broker.rack), for placing replicas; empty when not read.
    broker_racks: Mapping[int, str | None] = field(default_factory=lambda: MappingProxyType({}))
    # The schema registry's global compatibility level (read with the registered schemas); None when not read.
    registry_level: str | None = None
    # Every kind's slice, by its resource type (`of`): its live resources, the names this stack's ownership record
    # owns and protects (protection outlives the declaration); each kind's `live.py` defines its resources' type.
    kinds: Mapping[ResourceType, KindState] = field(default_factory=lambda: freeze({}))
    # The consumer groups reading the topics the plan disrupts (kplan.kinds.consumer_guard); None when not read.
    consumers: LiveConsumers | None = None
    # The owners, descriptions and labels this stack's record keeps, by address (kplan.model.metadata).
    metadata: Mapping[str, Meta] = field(default_factory=lambda: freeze({}))
    # What plan read of each declared mirror's source cluster, by mirror name (kplan.model.mirror.MirrorRead, the
    # connector kind's follow-up read); empty when not read.
    mirror_sources: Mapping[str, Any] = field(default_factory=lambda: freeze({}))
    # Who leads each partition of the topics an election looked at (`kplan plan --elect-leaders`/`--rebalance`, a
    # saved plan's or a resumed run's; kplan.session.plan.with_rebalance_read): topic -> the leader of each partition
    # (-1: none). None when not read.
    leaders: Mapping[str, tuple[int, ...]] | None = None

    def of(self, kind: ResourceType) -> KindState:
        """One kind's slice of the live state (empty when it was not read)."""
        return self.kinds.get(kind, _NOTHING)

    def topic_names(self) -> frozenset[str]:
        """Every topic name on the cluster (`all_topic_names`; a live-state document without it gives the names its
        topics' part describes, kplan.kinds.livejson): what a kind whose resources own or need topics looks in."""
        return self.all_topic_names or frozenset()

    def with_kind(self, kind: ResourceType, **changes: Any) -> "LiveState":
        """The same live state with one kind's slice changed (`KindState` fields)."""
        return replace(self, kinds=freeze({**self.kinds, kind: replace(self.of(kind), **changes)}))


@dataclass
class StaticReader:
    """A reader over a fixed LiveState (unit and golden tests)."""

    state: LiveState

    def read(self, stack_name: str, topic_names: Iterable[str] | None = None,
             sections: frozenset[str] = frozenset()) -> LiveState:
        return self.state

    # A live-state file keeps what it says: it implements none of the kinds' follow-up read Protocols, so the
    # follow-up reads ask it nothing.


def problem_of(code: Any) -> Problem | None:
    """A problem code as a live-state document says it (ValueError for another word: a malformed live state);
    None for null or ""."""
    return Problem(code) if code else None
