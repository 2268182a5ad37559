"""Reading kplan's record topics while a partition's leadership moves (after a reassignment on a multi-broker
cluster): "Leader high watermark is not caught up" is asked again, not an internal error."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kplan.errors import KplanError
from kplan.state.records import _watermarks


class Consumer:
    def __init__(self, failures: int):
        self.failures = failures
        self.calls = 0

    def get_watermark_offsets(self, partition, timeout):
        self.calls += 1
        if self.calls <= self.failures:
            raise KafkaException(KafkaError(KafkaError.OFFSET_NOT_AVAILABLE, "Leader high watermark is not caught up"))
        return 0, 7


def test_a_leader_catching_up_is_asked_again():
    c = Consumer(failures=2)
    assert _watermarks(c, TopicPartition("__kplan_ownership", 0), "__kplan_ownership", 5) == (0, 7)
    assert c.calls == 3


def test_a_leader_that_never_catches_up_is_one_error_line_at_the_deadline():
    with pytest.raises(KplanError, match="reading kplan's record __kplan_ownership: its partition leader did not "
                                         "answer within 0.3s"):
        _watermarks(Consumer(failures=1000), TopicPartition("__kplan_ownership", 0), "__kplan_ownership", 0.3)


def test_other_kafka_errors_are_not_retried():
    class Broken(Consumer):
        def get_watermark_offsets(self, partition, timeout):
            self.calls += 1
            raise KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))

    c = Broken(0)
    with pytest.raises(KafkaException):
        _watermarks(c, TopicPartition("t", 0), "t", 5)
    assert c.calls == 1


def test_a_request_that_times_out_is_one_error_line_not_an_internal_error():
    """librdkafka's local _TIMED_OUT (the request had what was left of the deadline; a broker too busy to answer,
    seen on the 3-broker cluster under a load average of 25) is one line naming the record, not a traceback."""
    class Busy(Consumer):
        def get_watermark_offsets(self, partition, timeout):
            self.calls += 1
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "Failed to get watermark offsets: Local: Timed out"))

    c = Busy(0)
    with pytest.raises(KplanError, match=r"reading kplan's record __kplan_journal: its partition leader did not answer "
                                         r"within 5s \(_TIMED_OUT: Failed to get watermark offsets"):
        _watermarks(c, TopicPartition("__kplan_journal", 0), "__kplan_journal", 5)
    assert c.calls == 1
