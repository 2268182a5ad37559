"""The configs of many topics over one connection: `DescribeConfigs` in chunks, pipelined, decoded as they arrive."""

from __future__ import annotations

import threading
from collections import deque
from typing import Callable

from kplan.transport.wire import codec
from kplan.transport.wire.codec import TopicConfigs, WireError
from kplan.transport.wire.connection import Connection, Settings

CHUNK = 250  # topics per request: as librdkafka's path (the describe's DESCRIBE_CHUNK)
IN_FLIGHT = 4  # requests sent ahead of the answer being decoded: the broker works while this process decodes
MAX_UNREAD_BYTES = 48 * 1024
# Connections for one read of many topics. Measured at 1,000 topics on the local 4.3.1 broker (2 cores, decoding
# shared sections): 1 connection 93 ms median, 2 connections 70 ms, 4 connections 69 ms.
CONNECTIONS = 2


def topic_configs(settings: Settings, names: list[str], share: Callable[[dict], dict],
                  keys: tuple[str, ...] | None = None) -> dict[str, TopicConfigs]:
    """name -> (overrides, effective, sensitive keys) for the named topics that exist, of every config or only of
    `keys` (a verification reads back what it set: at 1,000 topics ~40 ms against ~85); a topic deleted meanwhile
    is left out, any other refusal (authorization, ...) is a WireError: the caller reads through librdkafka,
    which names it. More than `CHUNK * 2` names are split over `CONNECTIONS` connections: a broker answers one
    connection's requests one after the other, so a second one has it describe two chunks at once."""
    groups = min(CONNECTIONS, max(1, len(names) // (CHUNK * 2)))
    if groups == 1:
        return _over_one(settings, names, share, keys)
    size = -(-len(names) // groups)
    parts = [names[i:i + size] for i in range(0, len(names), size)]
    results: list = [None] * len(parts)

    def run(i: int) -> None:
        try:
            results[i] = _over_one(settings, parts[i], share, keys)
        except BaseException as e:  # noqa: BLE001 - raised by the caller's thread below
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,), name="kplan-wire", daemon=True) for i in range(1, len(parts))]
    for t in threads:
        t.start()
    run(0)
    for t in threads:
        t.join()
    out: dict[str, TopicConfigs] = {}
    for result in results:
        if isinstance(result, BaseException):
            raise result
        out.update(result)
    return out


def _over_one(settings: Settings, names: list[str], share: Callable[[dict], dict],
              keys: tuple[str, ...] | None = None) -> dict[str, TopicConfigs]:
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
            frame = codec.describe_configs_request(correlation, settings.client_id, names[i:i + CHUNK], keys)
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
