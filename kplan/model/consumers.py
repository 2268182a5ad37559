"""Who reads the topics a plan disrupts: the consumer groups whose members are assigned them or that have committed
offsets on them, as the cluster shows them (`LiveConsumers`, read after planning and only for the topics that need
it: `kplan.kinds.consumer_guard`), and as the plan carries them on a topic's change (`ConsumerContext`; its JSON is
generated, kplan.plan.codec). Immutable; docs/consumers.md says what each part means."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, runtime_checkable

from kplan.model.desired import freeze

# Group states without live members (Kafka's words, as `kafka-consumer-groups.sh` prints them). Any other state
# with members is live: Stable, PreparingRebalance, CompletingRebalance, and a consumer-protocol (KIP-848) group's
# Assigning or Reconciling, which librdkafka reports as Unknown.
IDLE_STATES = frozenset({"Empty", "Dead"})


class _Members:
    """A group's state and member count, as the cluster (`LiveGroup`) or the plan (`GroupOnTopic`) has them."""

    state: str
    members: int

    @property
    def active(self) -> bool:
        """Whether it has live members."""
        return self.members > 0 and self.state not in IDLE_STATES


@dataclass(frozen=True)
class LiveGroup(_Members):
    """One consumer group: its state, its member count, its committed offsets on the topics asked about (topic ->
    partition -> offset; partitions without a committed offset are left out), the partitions of those topics its
    members are assigned (topic -> partitions; a consumer-protocol member's target assignment included), and its
    protocol (`classic`, `consumer`: KIP-848; `share`: a share group, KIP-932, whose `committed` are its start
    offsets; None when the broker did not say). `lags`: the lag the brokers give per partition (a share group's:
    records after its start offset that are not acknowledged yet, KIP-1226), used instead of end - committed."""

    group_id: str
    state: str
    members: int
    committed: Mapping[str, Mapping[int, int]] = field(default_factory=lambda: freeze({}))
    assigned: Mapping[str, tuple[int, ...]] = field(default_factory=lambda: freeze({}))
    protocol: str | None = None
    lags: Mapping[str, Mapping[int, int]] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class TopicPositions:
    """One topic's positions, by partition: its log end offsets; for a retention cut, the first offset the new
    retention keeps (`kept_from`: retention ms -> partition -> offset; a partition whose records are all older has
    its end offset there); the timestamps of the records at groups' committed offsets (`timestamps`: offset ->
    epoch ms, by partition), where they could be read."""

    end: Mapping[int, int] = field(default_factory=lambda: freeze({}))
    kept_from: Mapping[int, Mapping[int, int]] = field(default_factory=lambda: freeze({}))
    timestamps: Mapping[int, Mapping[int, int]] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class LiveConsumers:
    """The consumer side of the topics a plan disrupts: the groups with committed offsets on them, the topics'
    positions, and when it was read (epoch ms: record ages are measured from it)."""

    groups: Mapping[str, LiveGroup] = field(default_factory=lambda: freeze({}))
    topics: Mapping[str, TopicPositions] = field(default_factory=lambda: freeze({}))
    read_at_ms: int = 0


@runtime_checkable
class ConsumerReads(Protocol):
    """The consumer groups' follow-up read (kplan.cluster.consumers through the cluster's reader); a live-state
    file's reader implements none: its document says what it says (`consumer_groups`)."""

    def read_consumers(self, topics: Mapping[str, int], retention_cuts: Mapping[str, int]) -> LiveConsumers:
        """The groups assigned or with committed offsets on `topics` (name -> partition count) and the topics'
        positions; for
        each topic in `retention_cuts` (name -> new retention.ms), where that retention begins."""
        ...


@dataclass(frozen=True)
class GroupOnTopic(_Members):
    """One group as the plan shows it on one topic. `lag`: messages not consumed yet (log end offset − committed,
    summed over the partitions it committed; None: it has no committed offset on the topic); `oldest_age_ms`: how
    old the oldest of them is (None: none left, or the broker could not tell); `beyond_retention`: on a retention
    cut, how many of them are older than the new retention (None: not a retention.ms cut); `assigned`: the topic's
    partitions its members are assigned; `protocol`: classic or consumer (KIP-848), None when unknown; `leaves`:
    set when the group belongs to a connector or Kafka Streams application this plan deletes or stops before the
    topic step, saying which (the guard does not count it)."""

    group: str
    state: str
    members: int
    lag: int | None
    oldest_age_ms: int | None = None
    beyond_retention: int | None = None
    assigned: tuple[int, ...] = ()
    protocol: str | None = None
    leaves: str | None = None


@dataclass(frozen=True)
class ConsumerContext:
    """The consumer groups reading a topic the plan disrupts, and why it was looked at (`because`: delete,
    replace, partitions, retention.ms, retention.bytes, cleanup.policy); `retention_ms`: the new retention.ms of a
    retention cut."""

    because: tuple[str, ...]
    groups: tuple[GroupOnTopic, ...] = ()
    retention_ms: int | None = None


# The consumer guard's diagnostic codes (a run reads ALLOWED_CODE back from a saved plan: what was reviewed)
ACTIVE_CODE = "consumers-active"
ALLOWED_CODE = "consumers-active-allowed"
COMMITTED_CODE = "consumers-committed"
BEHIND_CODE = "consumers-behind-retention"


@dataclass(frozen=True)
class Disruption:
    """Why a topic's readers are looked up: `because` (delete, replace, partitions, retention.ms, retention.bytes,
    cleanup.policy), its live partition count, and a retention.ms cut's new value."""

    because: tuple[str, ...]
    partitions: int
    retention_ms: int | None = None
