"""Running and undoing streams application steps, through the kind's io (`kplan.kinds.streams_app.io`)."""

from __future__ import annotations

from typing import Sequence

from kplan.kinds.handler import CreatesTopics, DeletesTopics, WritesBindings, handles
from kplan.kinds.streams_app.io import StreamsAppWrites
from kplan.kinds.streams_app.steps import (
    CreateInternalTopics,
    CreateStreamsAppAcls,
    DeleteInternalTopics,
    DeleteStreamsAppAcls,
)
from kplan.model.desired import NewTopic


@handles(DeleteStreamsAppAcls)
@handles(CreateStreamsAppAcls)
class StreamsAppAclsHandler(WritesBindings[CreateStreamsAppAcls | DeleteStreamsAppAcls]):
    writes = StreamsAppWrites


@handles(CreateInternalTopics)
class CreateInternalTopicsHandler(CreatesTopics[CreateInternalTopics]):
    writes = StreamsAppWrites

    def specs(self, step: CreateInternalTopics) -> Sequence[NewTopic]:
        return step.topics


@handles(DeleteInternalTopics)
class DeleteInternalTopicsHandler(DeletesTopics[DeleteInternalTopics]):
    writes = StreamsAppWrites
