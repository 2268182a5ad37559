"""The configs of many topics over one connection: `DescribeConfigs` in chunks, pipelined, decoded as they arrive."""

from __future__ import annotations

from collections import deque
from typing import Callable

from kplan.transport.wire import codec
from kplan.transport.wire.codec import TopicConfigs, WireError
from kplan.transport.wire.connection import Connection, Settings

CHUNK = 250  # topics per request: as librdkafka's path (kplan.cluster.clients.DESCRIBE_CHUNK)
IN_FLIGHT = 4  # requests sent ahead of the answer being decoded: the broker works while this process decodes
MAX_UNREAD_BYTES = 48 * 1024


def topic_configs(settings: Settings, names: list[str], share: Callable[[dict], dict]) -> dict[str, TopicConfigs]:
    """name -> (overrides, effective, sensitive keys) for the named topics that exist; a topic deleted meanwhile
    is left out, any other refusal (authorization, ...) is a WireError: the caller reads through librdkafka,
    which names it."""
    connection = Connection(settings)
    try:
        low, high = connection.versions.get(codec.DESCRIBE_CONFIGS, (0, -1))
        if not low <= codec.DESCRIBE_CONFIGS_VERSION <= high:
            raise WireError("DescribeConfigs v4 is not served")
        out: dict[str, TopicConfigs] = {}

        def take(correlation: int) -> None:
            for name, answer in codec.describe_configs(connection.receive(), correlation, share).items():
                if isinstance(answer, tuple):
                    out[name] = answer
                elif answer != codec.UNKNOWN_TOPIC_OR_PARTITION:
                    raise WireError(f"DescribeConfigs error {answer}")

        sent: deque[tuple[int, int]] = deque()  # (correlation, size) of the requests not answered yet
        for i in range(0, len(names), CHUNK):
            correlation = connection.next_correlation()
            frame = codec.describe_configs_request(correlation, settings.client_id, names[i:i + CHUNK])
            # the broker reads a connection's next request only once it has sent the last answer: never send more
            # than its socket buffer surely holds while this process is not reading yet
            while sent and (len(sent) >= IN_FLIGHT or sum(size for _, size in sent) + len(frame) > MAX_UNREAD_BYTES):
                take(sent.popleft()[0])
            connection.send(frame)
            sent.append((correlation, len(frame)))
        while sent:
            take(sent.popleft()[0])
        return out
    finally:
        connection.close()
