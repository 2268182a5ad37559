"""Kafka Connect's facts the connector kinds' planning and Connect's writes both read: a failed instance's Java trace
in words, and the consumer group a sink's tasks join. Pure."""

from __future__ import annotations

import re
from typing import Callable, Mapping

# a frame (`\tat pkg.Class.method(File.java:1)`), a cut (`\t... 14 more`) or a suppressed exception: what ends the
# message lines of the exception above it (which may go on indented: Jackson's ` at [Source: ...; line: 1]`)
_NOT_MESSAGE = re.compile(r"\t+(at |\.\.\. \d+ more|Suppressed: )|\s+at \S+\(")


def _exceptions(trace: str) -> list[list[str]]:
    """A Java trace's chain of exceptions, the top one first and its root cause (the last `Caused by:`) last: each
    its lines up to its first frame (the exception and its message, which may go on for lines)."""
    chain: list[list[str]] = []
    framed = False
    for line in trace.splitlines():
        if not line.strip():
            continue
        if not chain or line.startswith("Caused by: "):
            chain.append([line.rstrip()])
            framed = False
        elif not framed and not _NOT_MESSAGE.match(line):
            chain[-1].append(line.rstrip())
        else:
            framed = True
    return chain


def trace_lines(trace: str, most: int) -> tuple[tuple[str, ...], int]:
    """(what to show of a trace, at most `most` lines: its root cause first — the last `Caused by:` — then the top
    exception, or the first lines when nothing caused it; how many lines were left out)."""
    lines = [line.rstrip() for line in trace.splitlines() if line.strip()]
    chain = _exceptions(trace)
    shown = (chain[-1] + chain[0])[:most] if len(chain) > 1 else lines[:most]
    return tuple(shown), len(lines) - len(shown)


def failure_line(trace: str, scrub: Callable[[str], str] = str) -> str:
    """A trace in one line, with known secret values removed: its root cause (the last `Caused by:`) first, then the
    top exception it caused — `JsonParseException: Unrecognized token ... (root cause of ConnectException: Tolerance
    exceeded in error handler)` —, or the top exception alone."""
    chain = [" ".join(line.strip() for line in e) for e in _exceptions(scrub(trace or ""))]
    if not chain:
        return "no trace"
    if len(chain) == 1:
        return chain[0]
    return f"{chain[-1].removeprefix('Caused by: ')} (root cause of {chain[0]})"


def sink_group_of(config: Mapping[str, str], connect_name: str) -> str | None:
    """The consumer group a sink connector's tasks join, as Connect names it (Worker.baseConsumerConfigs):
    `connect-<its name on its Connect cluster>`, unless the connector's `consumer.override.group.id` says otherwise
    (KIP-458; a worker-wide `consumer.group.id` is not visible to kplan); None for a source (a sink names its
    topics: `topics` or `topics.regex`)."""
    if "topics" not in config and "topics.regex" not in config:
        return None
    return config.get("consumer.override.group.id") or f"connect-{connect_name}"
