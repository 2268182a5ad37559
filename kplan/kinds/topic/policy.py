"""The topic kind's part of a stack's policy (kplan.kinds.policy.PolicyPart): its name, partitions, replication,
min.insync.replicas, config and retention rules, and the owner totals over its section (partitions, topics,
retention bytes)."""

from __future__ import annotations

from typing import Iterator

from kplan.kinds.policy import (
    Finding,
    PolicyPart,
    forbidden_config,
    forbidden_prefixes,
    in_environment,
    int_or_none,
    name_pattern,
    not_on_the_stack,
    required_config,
)
from kplan.kinds.topic.model import TopicSpec
from kplan.model.policy import Rule, RuleType

KAFKA_DEFAULT_RETENTION_MS = 604_800_000  # log.retention.hours=168: what a topic without retention.ms keeps
KAFKA_DEFAULT_MIN_ISR = 1  # min.insync.replicas when neither the topic nor the broker sets it


def _partitions(rule: Rule, r: TopicSpec, env: str | None) -> Iterator[Finding]:
    if rule.min is not None and r.partitions < rule.min:
        yield ("partitions",), f"partitions is {r.partitions}, fewer than the minimum of {rule.min}", None
    if rule.max is not None and r.partitions > rule.max:
        yield ("partitions",), f"partitions is {r.partitions}, more than the maximum of {rule.max}", None


def _replication_factor(rule: Rule, r: TopicSpec, env: str | None) -> Iterator[Finding]:
    least = rule.minimum(env)
    if least is not None and r.replication_factor < least:
        yield (("replication_factor",), f"replication_factor is {r.replication_factor}, less than the minimum of "
                                        f"{least}{in_environment(env)}", None)


def _min_insync(rule: Rule, r: TopicSpec, env: str | None) -> Iterator[Finding]:
    least = rule.minimum(env)
    if least is None:
        return
    key = "min.insync.replicas"
    raw = r.config.get(key)
    value = int_or_none(raw) if raw is not None else KAFKA_DEFAULT_MIN_ISR
    if value is not None and value < least:
        what = f"{key} is {value}" if raw is not None else f"{key} is not set (Kafka's default is {value})"
        yield (("config", key), f"{what}, less than the minimum of {least}{in_environment(env)}",
               r.config_origins.get(key))


def _max_retention(rule: Rule, r: TopicSpec, env: str | None) -> Iterator[Finding]:
    assert rule.max is not None
    if r.protected_by is not None:
        return  # a CDC schema history must be kept whole (Debezium cannot recover from a partial one)
    if "delete" not in r.config.get("cleanup.policy", "delete").split(","):
        return  # compacted only: nothing is deleted by age
    key = "retention.ms"
    raw = r.config.get(key)
    value = int_or_none(raw) if raw is not None else KAFKA_DEFAULT_RETENTION_MS
    if value is None or 0 <= value <= rule.max:
        return
    what = f"{key} is {duration_text(value)}" if raw is not None else (
        f"{key} is not set (Kafka's default is {duration_text(value)})")
    yield ("config", key), f"{what}, more than the maximum of {duration_text(rule.max)}", r.config_origins.get(key)


_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def duration_text(ms: int) -> str:
    """`7d`, `36h`, `infinite` (-1), or milliseconds when no unit divides it (`1500ms`)."""
    if ms < 0:
        return "infinite"
    for unit, size in _UNITS:
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


POLICY = PolicyPart(
    {
        RuleType.TOPIC_NAME_PATTERN: name_pattern,
        RuleType.TOPIC_FORBIDDEN_PREFIXES: forbidden_prefixes,
        RuleType.TOPIC_PARTITIONS: _partitions,
        RuleType.TOPIC_REPLICATION_FACTOR: _replication_factor,
        RuleType.TOPIC_MIN_INSYNC_REPLICAS: _min_insync,
        RuleType.TOPIC_REQUIRED_CONFIG: required_config,
        RuleType.TOPIC_FORBIDDEN_CONFIG: forbidden_config,
        RuleType.TOPIC_MAX_RETENTION: _max_retention,
        RuleType.TOPIC_CONSUMED_DELETION: not_on_the_stack,  # a plan's, with its consumers (kplan.kinds.consumer_guard)
    },
    owner_totals=frozenset({RuleType.OWNER_MAX_PARTITIONS, RuleType.OWNER_MAX_TOPICS,
                            RuleType.OWNER_MAX_RETENTION_BYTES}),
)
