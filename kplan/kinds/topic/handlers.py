"""Running and undoing topic steps. The one-way tiered-storage step is never undone; a run of it cut short before
the brokers took it is told apart by reading the topics' overrides back."""

from __future__ import annotations

import sys
from typing import Mapping

from kplan.errors import KplanError
from kplan.kinds.handler import CreatesTopics, DeletesTopics, StepContext, StepHandler, handles, shown
from kplan.kinds.topic.io.migrate import MigrationWrites
from kplan.kinds.topic.io.writes import TopicWrites
from kplan.kinds.topic.model import TopicSpec
from kplan.kinds.topic.steps import (
    AlterTopicConfigs,
    ChangeTieredStorage,
    ConfigChange,
    CreateTopics,
    DeleteTopics,
    ElectLeaders,
    IncreasePartitions,
    MigrateTopic,
    ReassignReplicas,
    ReplaceTopics,
)
from kplan.words import plural

# A create batch of at least this many partitions is pipelined: the next batch is sent before it is verified. A
# broker lists such a batch seconds to minutes after the controller's answer (bench/README.md, Create at 10,000
# topics); a smaller one within a second or so, where overlapping saves nothing and each batch stays done before the
# next starts.
PIPELINE_MIN_PARTITIONS = 1_000


@handles(CreateTopics)
class CreateTopicsHandler(CreatesTopics[CreateTopics]):
    """Pipelined (kplan.apply.executor): consecutive big create batches are sent back to back (`send`, each one's
    outcome journaled as it is answered) and verified together after the last (`verify`), so that the controller
    commits them all while the brokers start applying the first."""

    writes = TopicWrites
    confirms = True

    def pipelines(self, step: CreateTopics) -> bool:
        return sum(int(t.partitions) for t in step.topics) >= PIPELINE_MIN_PARTITIONS

    def specs(self, step: CreateTopics) -> list[TopicSpec]:
        return [t.spec() for t in step.topics]


@handles(MigrateTopic)
class MigrateTopicHandler(StepHandler[MigrateTopic]):
    """The copy (resumed where a killed one committed), checked complete on the cluster, then each group's offsets
    moved and read back (kplan.kinds.topic.io.migrate). A group with live members refuses the run before any step:
    Kafka moves only an empty group's offsets, and a consumer still reading the old topic would commit behind the
    copy."""

    def preflight(self, step: MigrateTopic, ctx: StepContext) -> None:
        live = ctx.io(MigrationWrites).live_members(sorted(step.groups))
        if live:
            who = ", ".join(f"{g} ({plural(n, 'member')})" for g, n in sorted(live.items()))
            raise KplanError(f"the migration of {step.source} into {step.target} moves consumer groups that have live "
                             f"members: {who}; stop their consumers, then apply again (docs/migrations.md)")

    def run(self, step: MigrateTopic, ctx: StepContext) -> None:
        self.preflight(step, ctx)
        io = ctx.io(MigrationWrites)
        groups = {g: {int(p): int(o) for p, o in c} for g, c in step.groups.items()}
        ends = io.copy(step.source, step.target, step.partitions_from, groups, cutover=step.cutover)
        io.check_copied(step.source, step.target, step.partitions_from, ends)
        if groups:
            io.move_groups(step.target, io.targets(step.source, step.target, step.partitions_from, step.partitions,
                                                   groups))
        io.mark_done(step.source, step.target, step.partitions_from)
        late = io.late_records(step.source, step.partitions_from, ends)
        if late:  # said, not refused: the copy did what was declared; these records were written after it stopped
            sys.stderr.write(f"Warning: {step.source} gained {plural(late, 'offset')} after the copy stopped "
                             f"(records written after the cutover{'' if step.cutover else ', or during the copy'}): "
                             f"{step.target} does not hold them; move {step.source}'s producers to {step.target} "
                             "(docs/migrations.md)\n")

    def undo(self, step: MigrateTopic, ctx: StepContext) -> None:
        io = ctx.io(MigrationWrites)
        io.unmove_groups(step.target, step.partitions, list(step.groups))
        io.forget_copy(step.target)


@handles(AlterTopicConfigs)
class AlterTopicConfigsHandler(StepHandler[AlterTopicConfigs]):
    def run(self, step: AlterTopicConfigs, ctx: StepContext) -> None:
        _alter(ctx, step.topics)

    def undo(self, step: AlterTopicConfigs, ctx: StepContext) -> None:
        _alter(ctx, {t: ConfigChange({k: v for k, v in keys.items() if v is not None},
                                     tuple(k for k, v in keys.items() if v is None))
                     for t, keys in step.overrides_before.items()})


@handles(ReassignReplicas)
class ReassignReplicasHandler(StepHandler[ReassignReplicas]):
    """With a throttle, the brokers' replication rate is limited while the replicas are copied and the limit is
    taken away once they are (kept while a reassignment is still under way after a failure: it goes on)."""

    def run(self, step: ReassignReplicas, ctx: StepContext) -> None:
        _move(step, step.targets, ctx)

    def undo(self, step: ReassignReplicas, ctx: StepContext) -> None:
        # a move still under way (cut short) is cancelled first: the controller reverts it, then the lists before
        # are asked for exactly (a reorder, or a copy back once the move had finished)
        ctx.io(TopicWrites).cancel_reassignments(list(step.targets_before))
        _move(step, step.targets_before, ctx)


def _move(step: ReassignReplicas, targets: Mapping[str, tuple[tuple[int, ...], ...]], ctx: StepContext) -> None:
    """The partitions of `targets` moved there, throttled on the brokers the reassignment involves: every one holding
    a replica of its partitions before or after (the throttle is set on them only)."""
    topics, throttle = ctx.io(TopicWrites), step.throttle
    brokers = sorted({b for a in (*step.targets.values(), *step.targets_before.values()) for r in a for b in r})
    if throttle:
        topics.replication_throttle(list(targets), throttle, brokers)
    topics.reassign_replicas(targets)
    topics.wait_replicas(targets)
    if throttle:
        topics.replication_throttle(list(targets), None, brokers)


def _alter(ctx: StepContext, topics: Mapping[str, ConfigChange], irreversible: bool = False) -> None:
    """Set and delete the topics' overrides (`irreversible`: a request journaled first, `StepContext.request`), then
    wait until the cluster shows them."""
    writes, changes = ctx.io(TopicWrites), {n: (dict(c.sets), list(c.deletes)) for n, c in topics.items()}
    if irreversible:
        ctx.request(lambda: writes.alter_topic_configs(changes))
    else:
        writes.alter_topic_configs(changes)
    writes.wait_topics({n: (None, None, {**c.sets, **{k: None for k in c.deletes}}) for n, c in topics.items()})


@handles(ElectLeaders)
class ElectLeadersHandler(StepHandler[ElectLeaders]):
    def run(self, step: ElectLeaders, ctx: StepContext) -> None:
        ctx.io(TopicWrites).elect_preferred_leaders(step.partitions)

    def undo(self, step: ElectLeaders, ctx: StepContext) -> None:
        pass  # leadership changes no data; a rebalance's undo puts the preferred replicas back


@handles(IncreasePartitions)
class IncreasePartitionsHandler(StepHandler[IncreasePartitions]):
    def run(self, step: IncreasePartitions, ctx: StepContext) -> None:
        ctx.request(lambda: ctx.io(TopicWrites).create_partitions(dict(step.partitions)))
        ctx.io(TopicWrites).wait_topics({n: (p, None, {}) for n, p in step.partitions.items()})

    def left_no_trace(self, step: IncreasePartitions, ctx: StepContext) -> bool:
        return all(ctx.io(TopicWrites).topic_partitions(n) == p for n, p in step.partitions_before.items())


@handles(ReplaceTopics)
class ReplaceTopicsHandler(StepHandler[ReplaceTopics]):
    def run(self, step: ReplaceTopics, ctx: StepContext) -> None:
        specs, topics = [t.spec() for t in step.topics], ctx.io(TopicWrites)
        ctx.requested()
        topics.delete_topics([t.name for t in specs])
        topics.wait_topics_gone([t.name for t in specs])
        topics.create_topics(specs)
        topics.wait_topics(shown(specs))

    # left_no_trace: never (a replacement may have deleted and re-created): it is reported


@handles(DeleteTopics)
class DeleteTopicsHandler(DeletesTopics[DeleteTopics]):
    writes = TopicWrites


@handles(ChangeTieredStorage)
class ChangeTieredStorageHandler(StepHandler[ChangeTieredStorage]):
    def run(self, step: ChangeTieredStorage, ctx: StepContext) -> None:
        _alter(ctx, step.topics, irreversible=True)

    def left_no_trace(self, step: ChangeTieredStorage, ctx: StepContext) -> bool:
        try:
            ctx.io(TopicWrites).wait_topics({n: (None, None, dict(keys)) for n, keys in step.overrides_before.items()},
                                         timeout_s=5)
        except KplanError:
            return False
        return True
