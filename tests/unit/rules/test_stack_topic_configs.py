"""kplan.rules.topic_configs: the Kafka 4.x topic config catalogue and its value checks."""

import pytest

from kplan.rules.topic_configs import REMOVED_TOPIC_CONFIGS, TOPIC_CONFIGS, check_topic_config, suggest

KAFKA_4_TOPIC_CONFIGS = [
    "cleanup.policy", "compression.type", "compression.gzip.level", "compression.lz4.level",
    "compression.zstd.level", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
    "follower.replication.throttled.replicas", "index.interval.bytes", "leader.replication.throttled.replicas",
    "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms", "max.message.bytes",
    "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "message.timestamp.type",
    "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate",
    "remote.storage.enable", "remote.log.copy.disable", "remote.log.delete.on.disable", "retention.bytes",
    "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
    "unclean.leader.election.enable",
]


def test_catalogue_covers_kafka_4():
    assert sorted(TOPIC_CONFIGS) == sorted(KAFKA_4_TOPIC_CONFIGS)
    assert set(REMOVED_TOPIC_CONFIGS) == {"message.format.version", "message.timestamp.difference.max.ms",
                                          "message.downconversion.enable"}


def errors(key, value):
    return [m for s, m in check_topic_config(key, value) if s == "error"]


def warnings(key, value):
    return [m for s, m in check_topic_config(key, value) if s == "warning"]


@pytest.mark.parametrize("key,value", [
    ("retention.ms", "604800000"), ("retention.ms", "-1"), ("retention.bytes", "-1"), ("segment.bytes", "1048576"),
    ("cleanup.policy", "compact,delete"), ("cleanup.policy", "delete"), ("compression.type", "producer"),
    ("compression.gzip.level", "-1"), ("compression.gzip.level", "9"), ("compression.zstd.level", "-5"),
    ("min.cleanable.dirty.ratio", "0.1"), ("preallocate", "true"), ("message.timestamp.type", "LogAppendTime"),
    ("local.retention.ms", "-2"), ("leader.replication.throttled.replicas", "*"),
    ("follower.replication.throttled.replicas", "0:101,1:102"), ("min.insync.replicas", "2"),
])
def test_valid_values(key, value):
    assert errors(key, value) == []


def test_unknown_key_with_did_you_mean():
    assert errors("retention.msec", "1") == ['unknown topic config "retention.msec" (did you mean "retention.ms"?)']
    assert errors("cleanup.polcy", "compact")[0].endswith('(did you mean "cleanup.policy"?)')
    assert errors("totally.unrelated", "1") == ['unknown topic config "totally.unrelated"']
    assert suggest("log.retention.ms") == "retention.ms"


def test_broker_wide_names_point_at_the_topic_config():
    (msg,) = errors("log.retention.ms", "1")
    assert msg == ('unknown topic config "log.retention.ms": '
                   'that is the broker-wide setting; the topic config is "retention.ms"')
    assert "max.message.bytes" in errors("message.max.bytes", "1")[0]


def test_removed_keys_are_errors():
    (msg,) = errors("message.format.version", "3.0")
    assert "removed in Kafka 4.0" in msg
    (msg,) = errors("message.timestamp.difference.max.ms", "1000")
    assert "message.timestamp.before.max.ms" in msg


def test_message_downconversion_enable_is_an_error_like_the_other_removed_keys():
    (msg,) = errors("message.downconversion.enable", "true")
    assert msg.startswith("message.downconversion.enable was removed in Kafka 4")
    assert warnings("message.downconversion.enable", "true") == []


@pytest.mark.parametrize("key,value,fragment", [
    ("retention.ms", "-2", "must be at least -1 (got -2)"),
    ("retention.ms", "forever", "must be a duration (e.g. 7d) or an integer"),
    ("segment.bytes", "1000", "must be at least 1048576 (got 1000)"),
    ("segment.bytes", "3000000000", "must be at most 2147483647"),
    ("max.message.bytes", "abc", "must be a size (e.g. 1GiB) or an integer"),
    ("min.insync.replicas", "0", "must be at least 1 (got 0)"),
    ("compression.type", "ZSTD",
     'must be one of uncompressed, zstd, lz4, snappy, gzip, producer (got \'ZSTD\') (did you mean "zstd"?)'),
    ("compression.type", "brotli", "must be one of"),
    ("compression.gzip.level", "0", "must be at least 1 or -1 (got 0)"),
    ("compression.lz4.level", "18", "must be at most 17 (got 18)"),
    ("cleanup.policy", "compact,delet", 'items must be among compact, delete (got \'delet\') (did you mean "delete"?)'),
    ("cleanup.policy", "compact,compact", "must not repeat an item"),
    ("cleanup.policy", "compact,,delete", "without empty items"),
    ("message.timestamp.type", "createtime", 'did you mean "CreateTime"'),
    ("preallocate", "yes", "must be true or false"),
    ("min.cleanable.dirty.ratio", "1.5", "must be between 0 and 1 (got 1.5)"),
    ("min.cleanable.dirty.ratio", "half", "must be a number"),
    ("leader.replication.throttled.replicas", "0-101", "partition:broker pairs"),
])
def test_invalid_values(key, value, fragment):
    (msg,) = errors(key, value)
    assert fragment in msg


def test_empty_cleanup_policy_warns():
    assert errors("cleanup.policy", "") == []
    assert "grows forever" in warnings("cleanup.policy", "")[0]
