"""Topic steps: create, change configs, reassign replicas, increase partitions, replace, delete — and the pure
builder that makes them from a plan, each type's changes in as few steps as the controller's per-request limit
allows (kplan.rules.batching, kplan.kinds.topic.batches)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping

from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.kinds.planned import payloads
from kplan.kinds.step import FrozenDict, Immutable, Phase, Planned, StepBase, name_list
from kplan.kinds.topic.batches import config_records, create_records
from kplan.kinds.topic.kind import TopicImage, TopicPlanned
from kplan.kinds.topic.migration import Cutover
from kplan.kinds.topic.model import TopicSpec
from kplan.model.desired import Stack, freeze
from kplan.model.live import LiveState, LiveTopic
from kplan.model.plan import Action, NoteKind, Plan, ResourceChange, ResourceType
from kplan.rules.batching import packed, records_per_request


@dataclass(frozen=True)
class TopicArgs(Immutable):
    """A topic as a step creates it (or as it was): name, partitions, replication factor, its own overrides."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = FrozenDict()

    def spec(self) -> TopicSpec:
        return TopicSpec(self.name, int(self.partitions), int(self.replication_factor), freeze(self.config))


@dataclass(frozen=True)
class CreateTopics(StepBase):
    """Create topics in one request. Undo: delete the ones this run created (never one someone else made)."""

    kind: ClassVar[str] = "create-topics"
    phase: ClassVar[Phase] = Phase.CREATE_TOPICS
    before_keys: ClassVar[Mapping[str, str]] = {"absent": "absent"}

    topics: tuple[TopicArgs, ...]
    absent: tuple[str, ...] = ()  # before-image: the topics absent at plan time

    def describe(self) -> str:
        return f"create {len(self.topics)} topic(s): {name_list([t.name for t in self.topics])}"

    def undo_by_hand(self) -> str:
        names = ", ".join(t.name for t in self.topics)
        return f"delete by hand those of the topics {names} that still exist (this run created them)"


@dataclass(frozen=True)
class MigrateTopic(StepBase):
    """Copy every record of `source` into the new topic `target` (exactly once, resumable) and move each consumer
    group's committed offsets there by the copy's offset map (kplan.kinds.topic.io.migrate). The old topic and its
    groups' offsets on it are left as they are. Undo: the moved groups' offsets on the new topic deleted, and the
    copy's own group (the new topic itself is the create step's undo)."""

    kind: ClassVar[str] = "migrate-topic"
    phase: ClassVar[Phase] = Phase.MIGRATE_TOPICS

    source: str
    target: str
    partitions_from: int
    partitions: int
    groups: Mapping[str, tuple[tuple[int, ...], ...]] = FrozenDict()  # group -> (old partition, committed offset)s
    cutover: Cutover | None = None  # the copy follows the old topic's new records until then (None: to its end)

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"cutover": UNSET_OMITTED}

    def describe(self) -> str:
        moved = f", moving {len(self.groups)} consumer group(s)" if self.groups else ""
        follow = f", following its new records {self.cutover.words()}" if self.cutover is not None else ""
        return f"copy topic {self.source} into {self.target}{follow}{moved}"

    def undo_by_hand(self) -> str:
        moved = (f"delete the offsets of consumer group(s) {', '.join(sorted(self.groups))} on {self.target}, and "
                 if self.groups else "")
        return (f"{moved}delete the consumer group kplan-migrate-{self.target} (the copy's positions); {self.source} "
                "and its groups' offsets on it are untouched")


@dataclass(frozen=True)
class ConfigChange(Immutable):
    """One topic's config change: keys to set (with values) and keys whose override to delete."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"sets": JsonKey("set"), "deletes": JsonKey("delete")}

    sets: Mapping[str, str] = FrozenDict()
    deletes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _ConfigChanges(StepBase):
    """Topics' config changes in one request, with each changed key's override before."""

    before_keys: ClassVar[Mapping[str, str]] = {"overrides_before": "overrides"}

    topics: Mapping[str, ConfigChange]
    # before-image: topic -> key -> its override before (None: no override); a one-way change's tells that a step
    # cut short changed nothing
    overrides_before: Mapping[str, Mapping[str, str | None]] = FrozenDict()


@dataclass(frozen=True)
class AlterTopicConfigs(_ConfigChanges):
    """Change the configs of topics in one request. Undo: set back / delete the overrides to the before-image."""

    kind: ClassVar[str] = "alter-topic-configs"
    phase: ClassVar[Phase] = Phase.ALTER_TOPIC_CONFIGS

    def describe(self) -> str:
        return f"change the configs of {len(self.topics)} topic(s): {name_list(list(self.topics))}"


@dataclass(frozen=True)
class ReassignReplicas(StepBase):
    """Change replication factors by partition reassignment (one request): each topic's partitions move to the
    replica lists the plan shows. Undo: reassign them back to the lists they had."""

    kind: ClassVar[str] = "reassign-replicas"
    phase: ClassVar[Phase] = Phase.REASSIGN_REPLICAS
    before_keys: ClassVar[Mapping[str, str]] = {"targets_before": "targets"}

    targets: Mapping[str, tuple[tuple[int, ...], ...]]  # topic -> replica list per partition
    targets_before: Mapping[str, tuple[tuple[int, ...], ...]] = FrozenDict()
    throttle: int | None = None  # bytes/s per broker while the replicas are copied (cluster.reassignment_throttle)

    def describe(self) -> str:
        limit = f" (throttled to {self.throttle} bytes/s)" if self.throttle else ""
        return f"reassign the replicas of {name_list(list(self.targets))}{limit}"


@dataclass(frozen=True)
class ElectLeaders(StepBase):
    """Make each listed partition's preferred (first) replica its leader (one ElectLeaders request, PREFERRED).
    Nothing to undo: which replica leads changes no data, and the rollback of a rebalance puts the replica lists
    (and so the preferred leaders) back."""

    kind: ClassVar[str] = "elect-leaders"
    phase: ClassVar[Phase] = Phase.ELECT_LEADERS

    partitions: Mapping[str, tuple[int, ...]]  # topic -> partition ids

    def describe(self) -> str:
        n = sum(len(p) for p in self.partitions.values())
        return f"elect the preferred leaders of {n} partition(s) of {name_list(list(self.partitions))}"


@dataclass(frozen=True)
class IncreasePartitions(StepBase):
    """Add partitions (one request). IRREVERSIBLE: keys move to other partitions."""

    kind: ClassVar[str] = "increase-partitions"
    phase: ClassVar[Phase] = Phase.INCREASE_PARTITIONS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"partitions_before": "partitions"}

    partitions: Mapping[str, int]  # topic -> the new count
    partitions_before: Mapping[str, int] = FrozenDict()

    def describe(self) -> str:
        return f"increase partitions of {name_list(list(self.partitions))}"


@dataclass(frozen=True)
class ReplaceTopics(StepBase):
    """Delete and re-create topics (a partition decrease or RF change with allow_replace). IRREVERSIBLE: data loss."""

    kind: ClassVar[str] = "replace-topics"
    phase: ClassVar[Phase] = Phase.REPLACE_TOPICS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"topics_before": "topics"}

    topics: tuple[TopicArgs, ...]
    topics_before: Mapping[str, TopicArgs] = FrozenDict()

    def describe(self) -> str:
        return f"replace {len(self.topics)} topic(s): {name_list([t.name for t in self.topics])}"


@dataclass(frozen=True)
class DeleteTopics(StepBase):
    """Delete topics (one request). IRREVERSIBLE: data loss."""

    kind: ClassVar[str] = "delete-topics"
    phase: ClassVar[Phase] = Phase.DELETE_TOPICS
    irreversible: ClassVar[bool] = True
    before_keys: ClassVar[Mapping[str, str]] = {"topics_before": "topics"}

    names: tuple[str, ...]
    topics_before: Mapping[str, TopicArgs] = FrozenDict()

    def describe(self) -> str:
        return f"delete {len(self.names)} topic(s): {name_list(list(self.names))}"


# The one-way part of a topic's config change: turning tiered storage on or off (kplan.kinds.topic.tiered says
# why it cannot be undone). Its own step in an irreversible phase, after every reversible step has succeeded, so a
# rollback never has to turn it back; the rest of the topic's config change stays in `AlterTopicConfigs`.
@dataclass(frozen=True)
class ChangeTieredStorage(_ConfigChanges):
    """Turn tiered storage on or off for topics (one request). IRREVERSIBLE: off deletes the remote segments, and
    on can only be turned off so."""

    kind: ClassVar[str] = "change-tiered-storage"
    phase: ClassVar[Phase] = Phase.CHANGE_TIERED_STORAGE
    irreversible: ClassVar[bool] = True

    def describe(self) -> str:
        return f"turn tiered storage on or off for {len(self.topics)} topic(s): {name_list(list(self.topics))}"

    def undo_by_hand(self) -> str:
        return ("tiered storage cannot be set back without deleting remote segments: leave it as it is, or turn it "
                "off with remote.log.delete.on.disable=true once its remote data is not needed")


def build_topic_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """The plan's topic changes as batches: per topic step type, as few steps as keep each request within the
    controller's limit (`records_per_request`), in the plan's order, so that the journal undoes (or a resume
    finishes) batch by batch. What to do comes from each change's `TopicPlanned`; the stack and the live state are
    read only for the values the plan masks (a Kafka-sensitive override: the plan never holds a secret)."""
    declared: dict[str, TopicSpec] = {t.name: t for t in stack.of("topics")}
    # per step type: topic -> its part of a step, and topic -> that part's before-image
    items: dict[type[StepBase], dict[str, Any]] = defaultdict(dict)
    befores: dict[type[StepBase], dict[str, Any]] = defaultdict(dict)
    throttles: dict[str, int | None] = {}  # a rebalance's own throttle, else the stack's (cluster setting)
    for change, p in payloads(plan, TopicPlanned):

        def declared_value(key: str) -> str:  # a masked value: the stack's (p.sensitive only)
            return declared[change.name].config[key]

        def live_value(key: str) -> str | None:  # a masked value before: the live state's (p.sensitive only)
            topic: LiveTopic = live.of(ResourceType.TOPIC).resources[change.name]
            return topic.overrides.get(key)

        def add(step: type[StepBase], item: Any, before: Any = None) -> None:
            items[step][change.name], befores[step][change.name] = item, before

        if p.migration is not None:  # created now, or left unfinished by a killed run
            m = p.migration
            add(MigrateTopic, MigrateTopic(m.source, change.name, m.partitions_from, declared[change.name].partitions,
                                           freeze({g.group: tuple(sorted(g.committed.items())) for g in m.groups}),
                                           m.cutover))
        if change.action == Action.CREATE:
            add(CreateTopics, _args(change.name, p.create, p.sensitive, declared_value))
        elif change.action == Action.UPDATE:
            if p.partitions is not None:
                add(IncreasePartitions, p.partitions, int(p.partitions_before or 0))
            if p.replicas:
                add(ReassignReplicas, p.replicas, p.replicas_before)
                throttles[change.name] = p.throttle or stack.cluster.reassignment_throttle
            if p.elect:
                add(ElectLeaders, p.elect)
            if p.set_config or p.unset_config:
                sets = {k: declared_value(k) if k in p.sensitive else v for k, v in p.set_config.items()}
                before = {k: live_value(k) if k in p.sensitive else v for k, v in p.config_before.items()}
                for part, step in zip(_one_way_part(change, sets, p.unset_config),
                                      (AlterTopicConfigs, ChangeTieredStorage)):
                    if part is not None:
                        add(step, part, {k: v for k, v in before.items() if k in part.sets or k in part.deletes})
        elif change.action == Action.REPLACE:
            add(ReplaceTopics, _args(change.name, p.create, p.sensitive, declared_value),
                _args(change.name, p.previous, p.sensitive, live_value))
        elif change.action == Action.DELETE:
            add(DeleteTopics, change.name, _args(change.name, p.previous, p.sensitive, live_value))

    limit = records_per_request()
    steps: list[StepBase] = []

    def batched(step: type[StepBase], records: Callable[[Any, Any], int],
                make: Callable[[dict[str, Any], dict[str, Any]], StepBase], names: list[str] | None = None) -> None:
        """One `make(items, before-images)` per batch of the topics of a step type (`names`: of those only);
        `records(item, before-image)`: the records one topic's part makes."""
        mine, before = items[step], befores[step]
        for batch in packed(list(mine) if names is None else names, lambda n: records(mine[n], before[n]), limit):
            steps.append(make({n: mine[n] for n in batch}, {n: before[n] for n in batch}))

    batched(CreateTopics, lambda t, _: create_records(t.partitions, t.config),
            lambda topics, _: CreateTopics(tuple(topics.values()), tuple(topics)))
    steps += list(items[MigrateTopic].values())  # one step each: a copy is journaled on its own
    batched(AlterTopicConfigs, lambda c, _: _records(c), AlterTopicConfigs)
    # the throttle is the rebalance's (the plan's --throttle), else the stack's cluster setting: one step per rate
    for rate in sorted({throttles[n] for n in items[ReassignReplicas]}, key=lambda r: r or 0):
        batched(ReassignReplicas, lambda targets, _: len(targets),
                lambda targets, before: ReassignReplicas(targets, before, rate),
                [n for n in items[ReassignReplicas] if throttles[n] == rate])
    batched(ElectLeaders, lambda ids, _: len(ids), lambda partitions, _: ElectLeaders(partitions))
    batched(IncreasePartitions, lambda count, before: count - before, IncreasePartitions)
    batched(ChangeTieredStorage, lambda c, _: _records(c), ChangeTieredStorage)
    # a replacement's delete makes one record per topic, fewer than its create
    batched(ReplaceTopics, lambda t, _: create_records(t.partitions, t.config),
            lambda topics, before: ReplaceTopics(tuple(topics.values()), before))
    batched(DeleteTopics, lambda name, _: 1, lambda names, before: DeleteTopics(tuple(names), before))
    return [Planned(s) for s in steps]


def _records(change: ConfigChange) -> int:
    return config_records([*change.sets, *change.deletes])


def _one_way_part(change: ResourceChange, sets: Mapping[str, str], deletes: tuple[str, ...]
                  ) -> tuple[ConfigChange | None, ConfigChange | None]:
    """A topic's config change cut in two: (the reversible rest, the part that turns tiered storage on or off, which
    the plan marked: it runs in its own irreversible step); None for an empty part."""
    from kplan.kinds.topic.tiered import ONE_WAY_KEYS

    marked = any(a.note in (NoteKind.TIERED_ON, NoteKind.TIERED_OFF) for a in change.attributes)
    keys = ONE_WAY_KEYS if marked else frozenset()
    rest = ConfigChange({k: v for k, v in sets.items() if k not in keys}, tuple(k for k in deletes if k not in keys))
    one_way = ConfigChange({k: v for k, v in sets.items() if k in keys}, tuple(k for k in deletes if k in keys))
    return (rest if rest.sets or rest.deletes else None), (one_way if one_way.sets or one_way.deletes else None)


def _args(name: str, image: TopicImage | None, sensitive: tuple[str, ...], value: Callable[[str], str | None]
          ) -> TopicArgs:
    """A step's topic from the plan's image; a masked (sensitive) value from `value(key)`."""
    assert image is not None  # the kind fills the image of every create, replace and delete
    config = {k: value(k) if k in sensitive else v for k, v in image.config.items()}
    # None when the live state has no value for a sensitive override (Kafka never returns one, or it is gone since
    # the plan): left out, never sent as a null config value
    return TopicArgs(name, image.partitions, image.replication_factor,
                     {k: v for k, v in config.items() if v is not None})

