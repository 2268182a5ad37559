"""Topic names: which are legal, which are reserved (Kafka's, Connect's, kplan's own), which collide."""

from __future__ import annotations

import re

MAX_TOPIC_NAME = 249
_LEGAL = re.compile(r"^[a-zA-Z0-9._-]+$")

# Connect's default storage topic names (the worker does not report its own through REST).
CONNECT_STORAGE_TOPICS = frozenset({"connect-configs", "connect-offsets", "connect-status"})


# Topics of platform components a stack should not declare (besides the reserved ones): the Schema Registry's
# store, Confluent's internals, and Connect storage topics under a non-default name (`connect-secure-configs`).
_PLATFORM_TOPIC = re.compile(r"^(_schemas|_confluent.*|.*connect.*-(configs|offsets|status|config|offset))$")


def is_platform_topic(name: str) -> bool:
    """A reserved topic (`is_reserved_topic`) or another platform component's: never imported, never an orphan."""
    return is_reserved_topic(name) or _PLATFORM_TOPIC.match(name) is not None


def is_reserved_topic(name: str) -> bool:
    """Topics kplan never creates, changes or deletes: Kafka's internal `__*` (incl. kplan's own `__kplan*`)
    and Connect's storage topics."""
    return name.startswith("__") or name in CONNECT_STORAGE_TOPICS


def topic_name_problem(name: str) -> str | None:
    """Why `name` is not a legal Kafka topic name kplan may manage, or None."""
    if not name:
        return "a topic name must not be empty"
    if name in (".", ".."):
        return f'"{name}" is not a legal topic name'
    if len(name) > MAX_TOPIC_NAME:
        return f"topic name is {len(name)} characters long; Kafka allows at most {MAX_TOPIC_NAME}"
    if not _LEGAL.match(name):
        bad = sorted({ch for ch in name if not _LEGAL.match(ch)})
        shown = ", ".join(repr(ch) for ch in bad)
        return f'topic name "{name}" contains {shown}: only letters, digits, \'.\', \'_\' and \'-\' are allowed'
    if name.startswith("__"):
        return f'topic name "{name}" starts with "__", which is reserved for Kafka\'s internal topics'
    if name in CONNECT_STORAGE_TOPICS:
        return f'"{name}" is a Kafka Connect storage topic; kplan does not manage it'
    return None


def collision_key(name: str) -> str:
    """Kafka treats '.' and '_' alike in metric names: `a.b` and `a_b` cannot both exist."""
    return name.replace(".", "_")
