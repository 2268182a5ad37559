"""Value comparison rules the planner applies: normalization and set-valued configs."""

from __future__ import annotations

from functools import lru_cache

from kplan.rules.units import normalize_topic_config_value

# Configs Kafka reads as a set: order and duplicates do not matter.
SET_VALUED_TOPIC_CONFIGS = frozenset(
    {"cleanup.policy", "leader.replication.throttled.replicas", "follower.replication.throttled.replicas"}
)


def normalize_topic_value(key: str, value: str | None) -> str | None:
    """The declared/live value in one canonical form; a value the normalizer rejects is compared as-is.
    Memoized: at 10,000 topics the plan and the apply's verification compare the same few pairs again and again."""
    if value is None:
        return None
    try:
        return _normalized(key, value)
    except TypeError:  # an unhashable value (a list from YAML): not memoized
        return _normalized.__wrapped__(key, value)


@lru_cache(maxsize=65536, typed=True)  # typed: True, 1 and 1.0 are different values here
def _normalized(key: str, value) -> str:
    try:
        norm = normalize_topic_config_value(key, value)
    except Exception:  # noqa: BLE001 - a live value kplan cannot parse is still comparable as a string
        norm = str(value).strip()
    if key in SET_VALUED_TOPIC_CONFIGS:
        items = sorted({item.strip() for item in norm.split(",") if item.strip()})
        return ",".join(items)
    return norm


def topic_values_equal(key: str, a: str | None, b: str | None) -> bool:
    return normalize_topic_value(key, a) == normalize_topic_value(key, b)
