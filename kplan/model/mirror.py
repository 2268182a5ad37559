"""What a mirror (`mirrors:`) needs and reads: the rights MirrorMaker 2 needs on each side (`needs`), what plan reads
of it (`MirrorRead`: checkpoints, end offsets, committed offsets), a group's failover drill, and the mirrors a stack
declares. Pure. The mirror itself (`MirrorSpec`: the topics it replicates and what names they get on the target) is
part of the stack's declared model, kplan.model.desired: its connectors carry it (`ConnectorSpec.mirror`) and it
carries its source cluster."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from kplan.model.desired import IDENTITY, PREFIXED, MirrorSpec, Stack

POLICY_CLASSES = {PREFIXED: "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
                  IDENTITY: "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"}


TP = tuple[str, int]  # (topic, partition)


@dataclass(frozen=True)
class Checkpoint:
    """The latest checkpoint the mirror's checkpoint connector wrote on the target for one partition of a group: the
    group's offset on the source it translated (`upstream`), where the group resumes on the replica (`offset`, the
    translation: at or before it, docs/replication-facts.md (c)), and when it was written (the record's time)."""

    group: str
    topic: str  # the replica's name on the target (MirrorMaker renames the checkpoint's partition)
    partition: int
    upstream: int
    offset: int
    at_ms: int


@dataclass(frozen=True)
class MirrorRead:
    """What plan read for a mirror (the connector kind's follow-up read). On the source: its topics, the end offsets of
    those the mirror replicates and the committed offsets of the consumer groups it translates; on the target: the
    replicas' end offsets and the latest checkpoints. `problem`: the source could not be read (the target's part may
    still be there: a failover is planned when the source is gone); `checkpoint_problem`: the checkpoints could not be
    read."""

    source_topics: tuple[str, ...] = ()  # every topic of the source (the mirror's patterns pick from them)
    source_ends: Mapping[TP, int] = field(default_factory=dict)  # replicated source partition -> its end offset
    target_ends: Mapping[TP, int] = field(default_factory=dict)  # replica partition -> its end offset
    # the translated groups' committed offsets on the source, over the replicated partitions: group -> tp -> offset
    committed: Mapping[str, Mapping[TP, int]] = field(default_factory=dict)
    checkpoints: tuple[Checkpoint, ...] = ()  # the latest per (group, replica partition)
    read_ms: int = 0  # when it was read: a checkpoint's age is counted from here
    problem: str | None = None
    checkpoint_problem: str | None = None
    missing: tuple[Need, ...] = ()  # the rights MirrorMaker needs that its principals lack (asked as them)
    principals: Mapping[str, str] = field(default_factory=dict)  # side -> the principal asked as (User:...)
    rights_problem: str | None = None  # the rights could not be asked
    # identity policy: the source topics the mirror's source connector has copied records from (its offsets, one per
    # source partition, on the target's Connect: MirrorMaker's own record, which outlives a pattern change); None:
    # they could not be read (`copied_problem` says why)
    copied: frozenset[str] | None = frozenset()
    copied_problem: str | None = None
    # `schemas: true`: the subjects the mirror gives the target's registry, worked out by the subject kind's
    # follow-up read of the source's registry (the subject kind's MirroredSchemas; None: not asked)
    schemas: Any = None

    @property
    def topics(self) -> dict[str, int]:
        """Replicated source topic -> its end offsets, summed over its partitions."""
        return _summed(self.source_ends)

    @property
    def replicas(self) -> dict[str, int]:
        """Replica topic on the target -> its end offsets, summed."""
        return _summed(self.target_ends)


def copied(reads: Mapping[str, Any], mirror: str) -> frozenset[str] | None:
    """What a mirror's read (`LiveState.mirror_sources`) says its source connector has copied (`MirrorRead.copied`;
    nothing for a mirror not read)."""
    read = reads.get(mirror)
    return read.copied if isinstance(read, MirrorRead) else frozenset()


def _summed(ends: Mapping[TP, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (topic, _), end in sorted(ends.items()):
        out[topic] = out.get(topic, 0) + end
    return out


@dataclass(frozen=True)
class DrillPartition:
    """One replica partition of a failover drill: where the group resumes there (None: no checkpoint), and the
    records it has left to read on the target from there and on the source from its committed offset (None: not
    known: the source was not read, or the group has no offset there)."""

    topic: str
    partition: int
    offset: int | None
    left_target: int | None
    left_source: int | None

    @property
    def extra(self) -> int | None:
        """Records it would read again (> 0) or never (< 0) on the target, against the source."""
        if self.left_target is None or self.left_source is None:
            return None
        return self.left_target - self.left_source


@dataclass(frozen=True)
class FailoverDrill:
    """Where a consumer group would resume were it moved to the target now, from the mirror's checkpoints, and what it
    would re-read or miss. Per partition the records left to read on the target from the translated offset are set
    against those left on the source from the group's committed offset: more is a re-read, fewer a miss (a record the
    replica does not have yet, or a translation past the group's position). Pure."""

    group: str
    partitions: tuple[DrillPartition, ...]
    checkpoint_age_ms: int | None  # of the oldest of the group's latest checkpoints (None: none)

    @property
    def positions(self) -> tuple[tuple[str, int, int], ...]:
        """(replica topic, partition, offset) where the group resumes on the target."""
        return tuple((p.topic, p.partition, p.offset) for p in self.partitions if p.offset is not None)

    @property
    def untranslated(self) -> tuple[str, ...]:
        return tuple(f"{p.topic}/{p.partition}" for p in self.partitions if p.offset is None)

    @property
    def known(self) -> bool:
        """Whether every translated partition's re-read or miss is known (the source was read)."""
        return all(p.extra is not None for p in self.partitions if p.offset is not None)

    @property
    def reread(self) -> int:
        return sum(max(0, p.extra or 0) for p in self.partitions)

    @property
    def missed(self) -> int:
        return sum(max(0, -(p.extra or 0)) for p in self.partitions)

    @property
    def left_target(self) -> int:
        return sum(p.left_target or 0 for p in self.partitions if p.offset is not None)

    @property
    def left_source(self) -> int:
        return sum(p.left_source or 0 for p in self.partitions if p.offset is not None)


@dataclass(frozen=True, order=True)
class Need:
    """One right MirrorMaker needs (docs/replication-facts.md (e)): `operation` on a resource of one side's cluster,
    for the principal of `<side>.cluster.*`; `create`: a topic MirrorMaker creates (not there yet: its CREATE is asked
    with a validate-only create); `fatal`: without it nothing is copied or translated (else a part degrades)."""

    side: str  # "source" | "target"
    resource: str  # "topic" | "group" | "cluster"
    name: str
    operation: str  # as Kafka names it: READ, DESCRIBE_CONFIGS, CREATE...
    breaks: str  # what fails without it
    fatal: bool = True
    create: bool = False

    def acl(self) -> str:
        return f"{self.operation} on {self.resource}{'' if self.resource == 'cluster' else ' ' + self.name}"


def needs(mirror: MirrorSpec, source_topics: Sequence[str], target_topics: Sequence[str], groups: Sequence[str]
          ) -> tuple[Need, ...]:
    """The rights the mirror's connectors need now: on the source, for the topics it replicates (`source_topics`:
    every topic of the source) and the groups it translates that the source has (`groups`); on the target
    (`target_topics`: every topic of the target), for their replicas and MirrorMaker's own topics there."""
    out: list[Need] = []
    replicated = sorted(t for t in source_topics if mirror.replicates(t))
    there = set(target_topics)
    translate = bool(mirror.groups)
    for t in replicated:
        out += [Need("source", "topic", t, "READ", "no records are copied"),
                Need("source", "topic", t, "DESCRIBE_CONFIGS", "no replica is created, no records are copied")]
    syncs = f"mm2-offset-syncs.{mirror.target_alias}.internal"
    if syncs in set(source_topics):
        out += [Need("source", "topic", syncs, "WRITE", "no offset syncs: no group offsets are translated",
                     fatal=translate),
                Need("source", "topic", syncs, "READ", "no group offsets are translated", fatal=translate)]
    else:
        out.append(Need("source", "topic", syncs, "CREATE", "no offset syncs: no group offsets are translated",
                        fatal=translate, create=True))
    for g in sorted(groups):
        out.append(Need("source", "group", g, "DESCRIBE", "the checkpoint connector runs with no task: no offsets "
                                                           "are translated"))
    if mirror.sync_topic_acls:
        out.append(Need("source", "cluster", "kafka-cluster", "DESCRIBE", "topic ACLs are not synced", fatal=False))
        out.append(Need("target", "cluster", "kafka-cluster", "ALTER", "topic ACLs are not synced", fatal=False))
    for t in replicated:
        replica = mirror.target_name(t)
        if replica not in there:
            out.append(Need("target", "topic", replica, "CREATE", "no replica is created, no records are copied",
                            create=True))
            continue
        if mirror.sync_topic_configs:
            out.append(Need("target", "topic", replica, "ALTER_CONFIGS", "later config changes are not synced",
                            fatal=False))
        if translate and mirror.sync_group_offsets:
            out.append(Need("target", "topic", replica, "READ", "translated offsets are not committed on the target"))
    if translate and mirror.checkpoints_topic() not in there:
        out.append(Need("target", "topic", mirror.checkpoints_topic(), "CREATE", "no checkpoints are written",
                        create=True))
    if mirror.heartbeats and "heartbeats" not in there:
        out.append(Need("target", "topic", "heartbeats", "CREATE", "no heartbeats topic", fatal=False, create=True))
    if translate and mirror.sync_group_offsets:
        out += [Need("target", "group", g, "READ", "translated offsets are not committed on the target")
                for g in sorted(groups)]
    return tuple(n for n in out if n.side not in mirror.own_logins)


def declared_mirrors(stack: Stack) -> list[tuple[MirrorSpec, Any]]:
    """Each mirror the stack declares, once, with the first of the resources that carry it (its connectors, by
    name: where its lines point), whichever section they are in."""
    out: dict[str, tuple[MirrorSpec, Any]] = {}
    for specs in stack.kinds.values():  # only the carriers sorted: a plan asks this of stacks of 100,000 topics
        carriers = [(s, m) for s in specs if isinstance(m := getattr(s, "mirror", None), MirrorSpec)]
        for spec, mirror in sorted(carriers, key=lambda c: str(getattr(c[0], "name", ""))):
            out.setdefault(mirror.name, (mirror, spec))
    return [out[n] for n in sorted(out)]


def drill(mirror: MirrorSpec, read: MirrorRead, group: str) -> FailoverDrill:
    """The failover drill of one group: each replica partition it has a checkpoint for, and each replicated partition
    it has committed on the source without one (it would start there by its auto.offset.reset)."""
    checkpoints = {(c.topic, c.partition): c for c in read.checkpoints if c.group == group}
    committed = read.committed.get(group, {})
    wanted = set(checkpoints) | {(mirror.target_name(t), p) for t, p in committed}
    parts = []
    for topic, partition in sorted(wanted):
        c = checkpoints.get((topic, partition))
        source = (mirror.source_name(topic), partition)
        end, at = read.source_ends.get(source), committed.get(source)
        left_source = end - at if end is not None and at is not None and read.problem is None else None
        target_end = read.target_ends.get((topic, partition))
        left_target = target_end - c.offset if c is not None and target_end is not None else None
        parts.append(DrillPartition(topic, partition, c.offset if c else None,
                                    None if left_target is None else max(0, left_target),
                                    None if left_source is None else max(0, left_source)))
    age = (read.read_ms - min(c.at_ms for c in checkpoints.values())) if checkpoints else None
    return FailoverDrill(group, tuple(parts), None if age is None else max(0, age))


def drill_groups(mirror: MirrorSpec, read: MirrorRead) -> tuple[str, ...]:
    """The groups a drill is shown for: those with a checkpoint on the target or committed offsets on the source."""
    return tuple(sorted({c.group for c in read.checkpoints} | {g for g, o in read.committed.items() if o}))
