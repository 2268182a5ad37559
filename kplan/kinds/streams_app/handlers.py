"""Running and undoing streams application steps, through the kind's io (`kplan.kinds.streams_app.io`)."""

from __future__ import annotations

from kplan.kinds.handler import DeletesTopics, StepContext, StepHandler, WritesBindings, handles
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
class StreamsAppAclsHandler(WritesBindings[CreateStreamsAppAcls | DeleteStreamsAppAcls]):
    writes = StreamsAppWrites


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
