"""The streams_app kind's I/O: its writes, a Streams app's ACL bindings and internal topics, written as every kind
that grants rights or creates topics writes them. (It reads nothing of its own: its slice is made from the ACL
read's answer and the topics', kplan.kinds.streams_app.live.)"""

from __future__ import annotations

from kplan.kinds.topic.io.writes import TopicWrites
from kplan.transport.acls import AclWrites


class StreamsAppWrites(TopicWrites, AclWrites):
    """A Streams app's bindings (kplan.transport.acls) and its internal topics, written as the topic kind writes
    topics (its io: .importlinter's edge)."""
