"""The shape of named topics (`Metadata` for those names only): how apply sees that what it created or deleted is
there or gone, without librdkafka's `describe_topics` (~55-70 ms of Python objects at 1,000 topics)."""

from __future__ import annotations

from kplan.transport.wire import codec
from kplan.transport.wire.codec import TopicShape, WireError
from kplan.transport.wire.connection import Connection, Settings

CHUNK = 2000  # names per request: the request stays well under the broker's socket.request.max.bytes


def topic_shapes(settings: Settings, names: list[str]) -> dict[str, TopicShape]:
    """name -> (error code, partitions, replication factor, every partition led) for each of `names` the broker
    answered about (unknown topics come with their error code). Raises WireError when the broker serves neither
    Metadata v11 nor v12, or on anything unexpected."""
    connection = Connection(settings)
    try:
        low, high = connection.versions.get(codec.METADATA, (0, -1))
        version = min(high, max(codec.METADATA_VERSIONS))
        if version < low or version not in codec.METADATA_VERSIONS:
            raise WireError("Metadata v11-v12 is not served")
        out: dict[str, TopicShape] = {}
        for i in range(0, len(names), CHUNK):
            correlation = connection.next_correlation()
            connection.send(codec.metadata_request(correlation, settings.client_id, names[i:i + CHUNK], version))
            out.update(codec.metadata(connection.receive(), correlation))
        return out
    finally:
        connection.close()
