"""kplan.rules.units: human units to Kafka's integers, and values to the strings Kafka stores."""

import pytest

from kplan.rules.units import (
    UnitError,
    normalize_config_value,
    normalize_topic_config_value,
    parse_duration_ms,
    parse_duration_seconds,
    parse_size_bytes,
)


@pytest.mark.parametrize("text,ms", [
    ("500ms", 500), ("30s", 30_000), ("15m", 900_000), ("12h", 43_200_000), ("7d", 604_800_000),
    ("2w", 1_209_600_000), ("1h30m", 5_400_000), ("1.5h", 5_400_000), ("250", 250), ("-1", -1), (" 3d ", 259_200_000),
])
def test_durations(text, ms):
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["7 days", "7D", "1y", "d", "0.5ms", "-1d", "7dd", ""])
def test_bad_durations(text):
    with pytest.raises(UnitError):
        parse_duration_ms(text)


@pytest.mark.parametrize("text,n", [
    ("512B", 512), ("64KiB", 65536), ("512MiB", 536_870_912), ("1GiB", 1_073_741_824), ("1TiB", 1024**4),
    ("1.5KiB", 1536), ("1gib", 1_073_741_824), ("4096", 4096), ("1 GiB", 1_073_741_824),
])
def test_sizes(text, n):
    assert parse_size_bytes(text) == n


@pytest.mark.parametrize("text", ["1GB", "1MB", "10k", "1G", "5KB"])
def test_decimal_size_units_are_ambiguous(text):
    with pytest.raises(UnitError, match="ambiguous size unit"):
        parse_size_bytes(text)


@pytest.mark.parametrize("text", ["1.5B", "1XB", "GiB", "lots"])
def test_bad_sizes(text):
    with pytest.raises(UnitError):
        parse_size_bytes(text)


def test_timeout_seconds():
    assert parse_duration_seconds(15) == 15.0
    assert parse_duration_seconds(2.5) == 2.5
    assert parse_duration_seconds("15s") == 15.0
    assert parse_duration_seconds("500ms") == 0.5
    assert parse_duration_seconds("2m") == 120.0
    assert parse_duration_seconds("3") == 3.0
    with pytest.raises(UnitError):
        parse_duration_seconds(True)
    with pytest.raises(UnitError):
        parse_duration_seconds("soon")


@pytest.mark.parametrize("key,value,expected", [
    ("retention.ms", "7d", "604800000"),
    ("retention.ms", 604800000, "604800000"),
    ("retention.ms", "604800000", "604800000"),
    ("retention.ms", "infinite", "-1"),
    ("retention.bytes", "unlimited", "-1"),
    ("retention.bytes", "1GiB", "1073741824"),
    ("segment.bytes", "512MiB", "536870912"),
    ("max.message.bytes", "10MiB", "10485760"),
    ("min.compaction.lag.ms", 0, "0"),
    ("cleanup.policy", ["compact", "delete"], "compact,delete"),
    ("cleanup.policy", "compact, delete", "compact,delete"),
    ("cleanup.policy", "compact", "compact"),
    ("preallocate", True, "true"),
    ("preallocate", "True", "true"),
    ("unclean.leader.election.enable", False, "false"),
    ("min.cleanable.dirty.ratio", 0.5, "0.5"),
    ("min.cleanable.dirty.ratio", "0.50", "0.5"),
    ("min.cleanable.dirty.ratio", 1, "1"),
    ("compression.type", "zstd", "zstd"),
    ("message.timestamp.type", "CreateTime", "CreateTime"),
    ("min.insync.replicas", 2, "2"),
    ("min.insync.replicas", "02", "2"),
])
def test_topic_values(key, value, expected):
    assert normalize_topic_config_value(key, value) == expected


def test_topic_value_unit_errors():
    with pytest.raises(ValueError, match="invalid duration"):
        normalize_topic_config_value("retention.ms", "7 days")
    with pytest.raises(ValueError, match="ambiguous"):
        normalize_topic_config_value("segment.bytes", "1GB")


def test_topic_value_leaves_garbage_for_the_checker():
    # Not a unit at all: returned as is, the catalogue check reports the type error.
    assert normalize_topic_config_value("retention.ms", "forever") == "forever"
    assert normalize_topic_config_value("compression.type", " snappy ") == "snappy"


def test_live_and_declared_values_compare_equal():
    assert (normalize_topic_config_value("retention.ms", "3d")
            == normalize_topic_config_value("retention.ms", "259200000"))
    assert normalize_topic_config_value("preallocate", "false") == normalize_topic_config_value("preallocate", False)


def test_connector_and_client_values():
    assert normalize_config_value("poll.interval.ms", "5s") == "5000"
    assert normalize_config_value("buffer.memory.bytes", "1MiB") == "1048576"
    assert normalize_config_value("tasks.max", 2) == "2"
    assert normalize_config_value("include.schema.changes", True) == "true"
    assert normalize_config_value("table.include.list", ["a.b", "c.d"]) == "a.b,c.d"
    assert normalize_config_value("database.password", "${file:/s:pw}") == "${file:/s:pw}"
    assert normalize_config_value("heartbeat.interval.ms", "10000") == "10000"
    assert normalize_config_value("some.ms", "not-a-unit") == "not-a-unit"
    assert normalize_config_value("ratio", 0.25) == "0.25"
