"""The catalogue of Kafka 4.x topic-level configs: types, ranges, enumerations, no-op and removed keys.

kplan checks a stack's topic configs against it before anything touches a cluster: an unknown key (with a
"did you mean"), a value of the wrong type or outside its range, a key removed in Kafka 4.0. Taken from
Kafka's LogConfig/TopicConfig (4.0 to 4.3). Values are checked in their normalized form (`kplan.rules.units`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kplan.words import closest, did_you_mean, meant

INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1


@dataclass(frozen=True)
class TopicConfigKey:
    name: str
    type: str  # "int" | "long" | "double" | "boolean" | "string" | "list"
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # allowed values (for a list: allowed items)
    extra_allowed: tuple[int, ...] = ()  # values allowed outside [minimum, maximum] (e.g. gzip level -1)
    noop: str = ""  # non-empty: the key is accepted but has no effect (message)
    infinite: bool = False  # -1 means "no limit": `infinite`/`unlimited` normalize to -1

    @property
    def unit(self) -> str | None:
        """Human units accepted for the key: durations for `*.ms`, sizes for `*.bytes`."""
        if self.name.endswith(".ms"):
            return "duration"
        if self.name.endswith(".bytes"):
            return "size"
        return None


def _k(name, type_, minimum=None, maximum=None, choices=(), **kw) -> TopicConfigKey:
    return TopicConfigKey(name, type_, minimum, maximum, tuple(choices), **kw)


_COMPRESSION_TYPES = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")

TOPIC_CONFIGS: dict[str, TopicConfigKey] = {
    k.name: k
    for k in (
        _k("cleanup.policy", "list", choices=("compact", "delete")),
        _k("compression.type", "string", choices=_COMPRESSION_TYPES),
        _k("compression.gzip.level", "int", 1, 9, extra_allowed=(-1,)),
        _k("compression.lz4.level", "int", 1, 17),
        _k("compression.zstd.level", "int", -131072, 22),
        _k("delete.retention.ms", "long", 0),
        _k("file.delete.delay.ms", "long", 0),
        _k("flush.messages", "long", 1),
        _k("flush.ms", "long", 0),
        _k("follower.replication.throttled.replicas", "list"),
        _k("index.interval.bytes", "int", 0),
        _k("leader.replication.throttled.replicas", "list"),
        _k("local.retention.bytes", "long", -2, infinite=True),
        _k("local.retention.ms", "long", -2, infinite=True),
        _k("max.compaction.lag.ms", "long", 1),
        _k("max.message.bytes", "int", 0),
        _k("message.timestamp.after.max.ms", "long", 0),
        _k("message.timestamp.before.max.ms", "long", 0),
        _k("message.timestamp.type", "string", choices=("CreateTime", "LogAppendTime")),
        _k("min.cleanable.dirty.ratio", "double", 0, 1),
        _k("min.compaction.lag.ms", "long", 0),
        _k("min.insync.replicas", "int", 1),
        _k("preallocate", "boolean"),
        _k("remote.log.copy.disable", "boolean"),
        _k("remote.log.delete.on.disable", "boolean"),
        _k("remote.storage.enable", "boolean"),
        _k("retention.bytes", "long", infinite=True),
        _k("retention.ms", "long", -1, infinite=True),
        _k("segment.bytes", "int", 1024 * 1024),
        _k("segment.index.bytes", "int", 4),
        _k("segment.jitter.ms", "long", 0),
        _k("segment.ms", "long", 1),
        _k("unclean.leader.election.enable", "boolean"),
    )
}

# Keys Kafka 4 removed: the broker rejects them (INVALID_CONFIG; tests/integration/test_stack_format.py checks the
# whole catalogue against the real broker). key -> the rest of the message: when, and what to do instead.
REMOVED_TOPIC_CONFIGS: dict[str, str] = {
    "message.format.version": "was removed in Kafka 4.0: the message format is always v2 since Kafka 4.0; "
                              "delete the key",
    "message.timestamp.difference.max.ms": "was removed in Kafka 4.0: use message.timestamp.before.max.ms and "
                                           "message.timestamp.after.max.ms",
    "message.downconversion.enable": "was removed in Kafka 4: down-conversion is gone and the broker refuses the "
                                     "key (INVALID_CONFIG); delete it",
}

# Broker-wide names people write for a topic (Kafka's "server default property" synonyms).
BROKER_SYNONYMS: dict[str, str] = {
    "log.cleanup.policy": "cleanup.policy", "log.retention.ms": "retention.ms",
    "log.retention.minutes": "retention.ms", "log.retention.hours": "retention.ms",
    "log.retention.bytes": "retention.bytes", "log.segment.bytes": "segment.bytes",
    "log.roll.ms": "segment.ms", "log.roll.hours": "segment.ms", "log.roll.jitter.ms": "segment.jitter.ms",
    "log.index.size.max.bytes": "segment.index.bytes", "log.index.interval.bytes": "index.interval.bytes",
    "log.flush.interval.messages": "flush.messages", "log.flush.interval.ms": "flush.ms",
    "log.segment.delete.delay.ms": "file.delete.delay.ms", "log.cleaner.delete.retention.ms": "delete.retention.ms",
    "log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
    "log.cleaner.max.compaction.lag.ms": "max.compaction.lag.ms",
    "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio", "message.max.bytes": "max.message.bytes",
    "log.preallocate": "preallocate", "log.message.timestamp.type": "message.timestamp.type",
    "log.message.timestamp.before.max.ms": "message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms": "message.timestamp.after.max.ms",
    "log.local.retention.ms": "local.retention.ms", "log.local.retention.bytes": "local.retention.bytes",
}

_INT_RE = re.compile(r"^-?\d+$")
_REPLICA_RE = re.compile(r"^\d+:\d+$")


def suggest(key: str, candidates=None) -> str | None:
    """The closest known key to a misspelt one (`retention.msec` -> `retention.ms`), or None."""
    if candidates is None and key in BROKER_SYNONYMS:
        return BROKER_SYNONYMS[key]
    names = list(candidates if candidates is not None else TOPIC_CONFIGS)
    match = closest(key, names, cutoff=0.75)
    if match:
        return match
    # A key that starts or ends like a known one (e.g. `retention.ms.value`, `topic.retention.ms`).
    for name in sorted(names, key=len, reverse=True):
        if key.startswith(name + ".") or key.endswith("." + name):
            return name
    return None


def unknown_key_message(key: str) -> str:
    hint = suggest(key)
    if key in BROKER_SYNONYMS:
        return f'unknown topic config "{key}": that is the broker-wide setting; the topic config is "{hint}"'
    return f'unknown topic config "{key}"' + meant(hint)


def check_topic_config(key: str, value: str) -> list[tuple[str, str]]:
    """Problems with one topic config entry (value already normalized): [(severity, message)], empty if fine.

    Severity is "error" or "warning". Unknown and removed keys are errors; a no-op key (none today) a warning.
    """
    if key in REMOVED_TOPIC_CONFIGS:
        return [("error", f"{key} {REMOVED_TOPIC_CONFIGS[key]}")]
    spec = TOPIC_CONFIGS.get(key)
    if spec is None:
        return [("error", unknown_key_message(key))]
    problems: list[tuple[str, str]] = []
    if spec.noop:
        problems.append(("warning", spec.noop))
    msg = _check_value(spec, value)
    if msg:
        problems.append(("error", msg))
    elif key == "cleanup.policy" and value == "":
        problems.append(("warning", "an empty cleanup.policy neither deletes nor compacts: the log grows forever"))
    return problems


def _check_value(spec: TopicConfigKey, value: str) -> str | None:
    t = spec.type
    if t in ("int", "long"):
        if not _INT_RE.match(value):
            kind = ("a duration (e.g. 7d) or " if spec.unit == "duration"
                    else "a size (e.g. 1GiB) or " if spec.unit == "size" else "")
            return f"must be {kind}an integer (got {value!r})"
        n = int(value)
        upper = INT_MAX if t == "int" else LONG_MAX
        if n in spec.extra_allowed:
            return None
        if spec.minimum is not None and n < spec.minimum:
            also = f" or {spec.extra_allowed[0]}" if spec.extra_allowed else ""
            return f"must be at least {int(spec.minimum)}{also} (got {n})"
        if spec.maximum is not None and n > spec.maximum:
            return f"must be at most {int(spec.maximum)} (got {n})"
        if n > upper:
            return f"must be at most {upper} (got {n})"
    elif t == "double":
        try:
            x = float(value)
        except ValueError:
            return f"must be a number (got {value!r})"
        if x != x or (spec.minimum is not None and x < spec.minimum) or (spec.maximum is not None and x > spec.maximum):
            return f"must be between {spec.minimum:g} and {spec.maximum:g} (got {value})"
    elif t == "boolean":
        if value not in ("true", "false"):
            return f"must be true or false (got {value!r})"
    elif t == "string":
        if spec.choices and value not in spec.choices:
            hint = did_you_mean(value, spec.choices)
            return f"must be one of {', '.join(spec.choices)} (got {value!r}){hint}"
    else:  # list
        items = value.split(",") if value else []
        if any(not i for i in items):
            return f"must be a comma-separated list without empty items (got {value!r})"
        if spec.choices:
            bad = [i for i in items if i not in spec.choices]
            if bad:
                hint = did_you_mean(bad[0], spec.choices)
                return f"items must be among {', '.join(spec.choices)} (got {bad[0]!r}){hint}"
            if len(set(items)) != len(items):
                return f"must not repeat an item (got {value!r})"
        if spec.name.endswith("throttled.replicas") and value not in ("", "*"):
            bad = [i for i in items if not _REPLICA_RE.match(i)]
            if bad:
                return f"must be '*' or a list of partition:broker pairs like 0:101,1:102 (got {bad[0]!r})"
    return None
