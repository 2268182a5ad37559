"""The streams_app kind's I/O: its writes, a Streams app's ACL bindings and internal topics, written as every kind
that grants rights or creates topics writes them. (It reads nothing of its own: its slice is made from the ACL
read's answer and the topics', kplan.kinds.streams_app.live.)"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from kplan.model.desired import TopicSpec
from kplan.model.results import BatchResults
from kplan.transport.acls import AclWrites


class StreamsAppWrites(AclWrites):
    """A Streams app's bindings (kplan.transport.acls) and its internal topics."""

    def create_topics(self, specs: list[TopicSpec], results: BatchResults | None = None) -> BatchResults:
        return self.kafka.create_topics(specs, results)

    def wait_topics(self, expected: Mapping[str, Any], timeout_s: float | None = None) -> None:
        self.kafka.wait_topics(expected, timeout_s)

    def delete_topics(self, names: list[str], results: BatchResults | None = None) -> BatchResults:
        return self.kafka.delete_topics(names, results)

    def wait_topics_gone(self, names: Iterable[str], timeout_s: float | None = None) -> None:
        self.kafka.wait_topics_gone(names, timeout_s)

    def topic_names(self) -> set[str]:
        return self.kafka.topic_names()
