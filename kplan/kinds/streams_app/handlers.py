"""Running and undoing streams application steps, through the kind's io (`kplan.kinds.streams_app.io`)."""

from __future__ import annotations

from kplan.kinds.handler import DeletesTopics, StepContext, StepHandler, handles
from kplan.kinds.streams_app.io import StreamsAppWrites
from kplan.kinds.streams_app.steps import (
    CreateInternalTopics,
    CreateStreamsAppAcls,
    DeleteInternalTopics,
    DeleteStreamsAppAcls,
)
from kplan.model.desired import TopicSpec
from kplan.model.results import BatchResults, ErrorReason


@handles(DeleteStreamsAppAcls)
@handles(CreateStreamsAppAcls)
class StreamsAppAclsHandler(StepHandler[CreateStreamsAppAcls | DeleteStreamsAppAcls]):
    """Creates the bindings of a create step, deletes those of a delete step; the undo does the other."""

    def run(self, step: CreateStreamsAppAcls | DeleteStreamsAppAcls, ctx: StepContext) -> None:
        self._write(step, ctx, isinstance(step, CreateStreamsAppAcls))

    def undo(self, step: CreateStreamsAppAcls | DeleteStreamsAppAcls, ctx: StepContext) -> None:
        self._write(step, ctx, not isinstance(step, CreateStreamsAppAcls))

    @staticmethod
    def _write(step: CreateStreamsAppAcls | DeleteStreamsAppAcls, ctx: StepContext, create: bool) -> None:
        writes = ctx.io(StreamsAppWrites)
        (writes.create_acls if create else writes.delete_acls)([(a.principal, a.binding) for a in step.acls])


@handles(CreateInternalTopics)
class CreateInternalTopicsHandler(StepHandler[CreateInternalTopics]):
    def run(self, step: CreateInternalTopics, ctx: StepContext) -> None:
        specs = [TopicSpec(t.name, t.partitions, t.replication_factor, t.config) for t in step.topics]
        results, io = BatchResults(), ctx.io(StreamsAppWrites)
        try:
            io.create_topics(specs, results)
        finally:  # one that existed before (ALREADY) is not this run's to delete on undo
            found = set(results.with_reason(ErrorReason.ALREADY))
            ctx.outcome = {"created": [t.name for t in specs if t.name not in found]}
        io.wait_topics({t.name: (t.partitions, t.replication_factor, dict(t.config)) for t in specs})

    def undo(self, step: CreateInternalTopics, ctx: StepContext) -> None:
        ours, io = set((ctx.outcome or {}).get("created", [t.name for t in step.topics])), ctx.io(StreamsAppWrites)
        names = [t.name for t in step.topics if t.name in ours and t.name in io.topic_names()]
        if names:
            io.delete_topics(names)
            io.wait_topics_gone(names)


@handles(DeleteInternalTopics)
class DeleteInternalTopicsHandler(DeletesTopics[DeleteInternalTopics]):
    writes = StreamsAppWrites
