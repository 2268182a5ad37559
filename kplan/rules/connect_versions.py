"""Kafka Connect workers' versions as `GET /` reports them, read as (major, minor) of Apache Kafka: what the plan's
checks of what a worker can do compare (`Kind.version_checks`, kplan.kinds.connect_features;
the connector kind's plugin version pins)."""

from __future__ import annotations

import re


def parse_version(text: str | None) -> tuple[int, int] | None:
    """(major, minor) of "3.9.2", "3.6.0-ccs" or "7.6.1-ce"; None when unreadable. Confluent Platform's own
    numbering (7.x, 8.x) is not Apache Kafka's: CP 7.6 ships Kafka 3.6, so a major of 5 or more reads as CP."""
    m = re.match(r"(\d+)\.(\d+)", text or "")
    if m is None:
        return None
    major, minor = int(m.group(1)), int(m.group(2))
    if major >= 5:  # Confluent Platform x.y carries Apache Kafka (x-4).y (7.6 -> 3.6, 8.0 -> 4.0)
        return (major - 4, minor)
    return (major, minor)
