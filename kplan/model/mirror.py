"""A mirror (`mirrors:`): the topics of a source cluster that MirrorMaker 2 replicates to the target cluster, and
what names they get there. Its connectors carry it (`ConnectorSpec.mirror`), so that plan can say the flow in
words and count the target's replicas and MirrorMaker's own topics as the mirror's (never orphans). Pure.

MirrorMaker 2's patterns are Java regular expressions matched against the whole topic name; those kplan writes are
the common subset Python's `re.fullmatch` reads the same way (kplan.stackfile.mirrors checks them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ClusterSpec

PREFIXED, IDENTITY = "prefixed", "identity"
POLICY_CLASSES = {PREFIXED: "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
                  IDENTITY: "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"}
SEPARATOR = "."  # replication.policy.separator's default


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
    # How kplan reads the source (its topics, at plan; kplan.cluster.mirror_read): the cluster of `clusters:` it
    # names, or the inline bootstrap servers. None: not read.
    source: "ClusterSpec | None" = field(default=None, compare=False, repr=False)

    def factors(self) -> tuple[int, int]:
        """(the replicas' replication factor, that of MirrorMaker's own topics on the target)."""
        rf = self.replication_factor
        return (2, 3) if rf is None else (rf, rf)

    @cached_property
    def _included(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.topics)

    @cached_property
    def _excluded(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.topics_exclude)

    def replicates(self, source_topic: str) -> bool:
        """Whether a topic of the source cluster is replicated (never the mirror's own internal topics)."""
        if source_topic.startswith(("mm2-", "__")) or source_topic.endswith(".internal"):
            return False
        return (any(p.fullmatch(source_topic) for p in self._included)
                and not any(p.fullmatch(source_topic) for p in self._excluded))

    def follows(self, group: str) -> bool:
        """Whether a consumer group's offsets are translated by this mirror (its `groups` patterns)."""
        return any(re.fullmatch(p, group) for p in self.groups)

    def target_name(self, source_topic: str) -> str:
        """Its replica's name on the target: `<source alias>.<topic>` (prefixed) or the same name (identity)."""
        return source_topic if self.policy == IDENTITY else f"{self.source_alias}{SEPARATOR}{source_topic}"

    def internal_topics(self) -> tuple[str, ...]:
        """The topics MirrorMaker keeps on the target for this mirror (heartbeats, checkpoints)."""
        return ("heartbeats", f"{self.source_alias}.checkpoints.internal", f"{self.source_alias}.heartbeats")

    def owns_on_target(self, topic: str) -> bool:
        """A topic of the target cluster that this mirror made: a replica, or one of MirrorMaker's own."""
        if topic in self.internal_topics() or topic.startswith("mm2-"):
            return True
        if self.policy == PREFIXED:
            prefix = f"{self.source_alias}{SEPARATOR}"
            return topic.startswith(prefix) and self.replicates(topic[len(prefix):])
        return self.replicates(topic)

    def describe(self) -> str:
        """The flow in words, for the plan."""
        what = ", ".join(self.topics) + (f" (except {', '.join(self.topics_exclude)})" if self.topics_exclude else "")
        names = (f"as {self.source_alias}.<topic>" if self.policy == PREFIXED else "under the same names (identity)")
        groups = (f"; the committed offsets of consumer groups {', '.join(self.groups)} are translated to the target "
                  f"every {self.checkpoint_interval_s} s" if self.groups and self.sync_group_offsets else
                  f"; checkpoints of consumer groups {', '.join(self.groups)} every {self.checkpoint_interval_s} s"
                  if self.groups else "")
        return (f"mirror {self.name!r} replicates the topics of {self.source_alias} matching {what} to "
                f"{self.target_alias} {names}{groups}")


@dataclass(frozen=True)
class MirrorRead:
    """What plan read of a mirror's source (kplan.cluster.mirror_read): its topics; those the mirror replicates, each
    with its end offsets summed over its partitions, and the same of their replicas on the target; or why it could
    not be read."""

    source_topics: tuple[str, ...] = ()  # every topic of the source (the mirror's patterns pick from them)
    topics: Mapping[str, int] = field(default_factory=dict)  # replicated source topic -> its end offsets, summed
    replicas: Mapping[str, int] = field(default_factory=dict)  # target topic -> its end offsets, summed
    # The mirror's consumer groups found on the source, each: (records left to read on the source, records left to
    # read on the target from its translated offsets, or None when it has none there), over the replicated topics.
    groups: Mapping[str, tuple[int, int | None]] = field(default_factory=dict)
    problem: str | None = None
