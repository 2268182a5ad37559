"""Error classes and the retry loop (backoff with jitter, a deadline, re-read after an ambiguous failure)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from kplan.errors import KplanError
from kplan.transport.retry import (
    ErrorClass,
    RetriableError,
    RetryPolicy,
    classify_connect,
    classify_kafka,
    kafka_error_name,
    retry,
)


def _kafka(code) -> KafkaException:
    return KafkaException(KafkaError(code))


@pytest.mark.parametrize("code,expected", [
    (KafkaError.TOPIC_ALREADY_EXISTS, ErrorClass.EXPECTED),
    (KafkaError.NOT_CONTROLLER, ErrorClass.RETRIABLE),
    (KafkaError.REQUEST_TIMED_OUT, ErrorClass.RETRIABLE),
    (KafkaError._TIMED_OUT, ErrorClass.RETRIABLE),
    (KafkaError.LEADER_NOT_AVAILABLE, ErrorClass.RETRIABLE),
    (KafkaError.UNKNOWN_TOPIC_OR_PART, ErrorClass.RETRIABLE),
    (KafkaError.COORDINATOR_LOAD_IN_PROGRESS, ErrorClass.RETRIABLE),  # by Kafka's table of retriable errors
    (KafkaError.NOT_COORDINATOR, ErrorClass.RETRIABLE),
    (KafkaError.REPLICA_NOT_AVAILABLE, ErrorClass.RETRIABLE),
    (KafkaError.KAFKA_STORAGE_ERROR, ErrorClass.RETRIABLE),
    (KafkaError.ELECTION_NOT_NEEDED, ErrorClass.FATAL),  # retriable for Kafka, an answer for kplan (the caller's)
    (KafkaError.INVALID_CONFIG, ErrorClass.FATAL),
    (KafkaError.POLICY_VIOLATION, ErrorClass.FATAL),
    (KafkaError.TOPIC_AUTHORIZATION_FAILED, ErrorClass.FATAL),
    (KafkaError.INVALID_REPLICATION_FACTOR, ErrorClass.FATAL),
])
def test_kafka_errors_are_classified_by_code(code, expected):
    assert classify_kafka(_kafka(code)) == expected


def test_kafka_error_name():
    assert kafka_error_name(_kafka(KafkaError.NOT_CONTROLLER)) == "NOT_CONTROLLER"
    assert kafka_error_name(ValueError("x")) == ""


@pytest.mark.parametrize("status,message,expected", [
    (409, "Connector x already exists", ErrorClass.EXPECTED),
    (409, "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent "
          "config change)", ErrorClass.RETRIABLE),
    (409, "Request cannot be completed because a rebalance is expected", ErrorClass.RETRIABLE),
    (500, "Request timed out", ErrorClass.RETRIABLE),
    (503, "", ErrorClass.RETRIABLE),
    (0, "connection refused", ErrorClass.RETRIABLE),
    (400, "Connector configuration is invalid", ErrorClass.FATAL),
    (404, "Unknown connector", ErrorClass.FATAL),
])
def test_connect_answers_are_classified(status, message, expected):
    assert classify_connect(status, message) == expected


def test_retry_backs_off_with_jitter_until_it_succeeds():
    sleeps, calls = [], []

    def attempt():
        calls.append(1)
        if len(calls) < 4:
            raise RetriableError("busy")
        return "ok"

    policy = RetryPolicy(deadline_s=60, initial_s=0.2, max_s=5, factor=2)
    assert retry(attempt, policy, "x", sleep=sleeps.append) == "ok"
    assert len(sleeps) == 3
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4 and 0.4 <= sleeps[2] <= 0.8


def test_retry_gives_up_at_the_deadline_with_one_clear_error():
    def attempt():
        raise RetriableError("still rebalancing")

    with pytest.raises(KplanError, match="doing it: still failing after 0.5s of retries: still rebalancing"):
        retry(attempt, RetryPolicy(deadline_s=0.5, initial_s=0.2), "doing it", sleep=lambda s: None)


def test_retry_gives_up_with_the_callers_error_type():
    class Mine(KplanError):
        pass

    def attempt():
        raise RetriableError("COORDINATOR_NOT_AVAILABLE")

    with pytest.raises(Mine, match="x: still failing after 0.2s of retries: COORDINATOR_NOT_AVAILABLE"):
        retry(attempt, RetryPolicy(deadline_s=0.2, initial_s=0.2), "x", sleep=lambda s: None, gave_up=Mine)


def test_an_ambiguous_failure_is_re_read_before_retrying():
    calls = []

    def attempt():
        calls.append(1)
        raise RetriableError("timed out", ambiguous=True)

    # the re-read shows the write landed: no second attempt
    assert retry(attempt, RetryPolicy(deadline_s=10), "x", before_retry=lambda: True, sleep=lambda s: None) is None
    assert len(calls) == 1


def test_fatal_errors_are_not_retried():
    calls = []

    def attempt():
        calls.append(1)
        raise KplanError("refused")

    with pytest.raises(KplanError, match="refused"):
        retry(attempt, RetryPolicy(), "x", sleep=lambda s: None)
    assert len(calls) == 1
