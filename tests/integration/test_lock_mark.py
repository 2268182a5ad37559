"""A run told TOPIC_ALREADY_EXISTS by its own CreateTopics, sent again after the first created the lock topic (a lost
answer: a controller failover, a dropped connection), takes its lock; another run still finds it held. On the real
broker: the lock topic is created beforehand exactly as the run's first request would have made it (stop 81's CI saw
the 3-broker cluster answer a lock's create "exists" with nobody else there: "locked by another run (holder
unknown)")."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource

from kplan.state.lock import MARK, LockHeld, StackLock, creation_mark, lock_topic
from kplan.state.prlock import PR_LOCK_PREFIX, PullRequestLock
from kplan.state.records import create_topic, wait_visible


def _lock(cls, stack, name: str):
    conf = {"bootstrap.servers": stack.bootstrap_servers}
    return cls(AdminClient(conf), Producer(conf), conf, name, 1, 5.0)


def _created_first(lock, run_id: str) -> None:
    """The lock topic as the run's first CreateTopics made it (its config and mark), before the run asks."""
    assert create_topic(lock.admin, lock.topic, 1, 5.0, {**lock.topic_config, MARK: creation_mark(run_id)})
    wait_visible(lock.admin, lock.topic, 5.0, "the lock")


def _mark(lock) -> str:
    resource = ConfigResource(ConfigResource.Type.TOPIC, lock.topic)
    (future,) = lock.admin.describe_configs([resource], request_timeout=10).values()
    return future.result(15)[MARK].value


def _drop(lock) -> None:
    try:
        lock.admin.delete_topics([lock.topic], request_timeout=10)[lock.topic].result(15)
    except Exception:  # noqa: BLE001 - gone already
        pass


def test_a_lock_bears_the_mark_of_the_run_that_created_it(stack, prefix):
    lock = _lock(StackLock, stack, prefix)
    try:
        lock.acquire("run-a")
        assert _mark(lock) == creation_mark("run-a")  # the broker took the config and keeps it
        assert lock.holder().run_id == "run-a"
    finally:
        lock.release()


def test_a_run_answered_exists_by_its_own_create_holds_the_lock(stack, prefix):
    lock = _lock(StackLock, stack, prefix)
    assert lock.topic == lock_topic(prefix)
    _created_first(lock, "run-a")
    try:
        lock.acquire("run-a")  # without the mark's check: LockHeld "holder unknown" at the deadline (the next test)
        assert lock.held and lock.holder().run_id == "run-a"
    finally:
        lock.release()


def test_an_empty_lock_another_run_created_is_still_held(stack, prefix):
    lock = _lock(StackLock, stack, prefix)
    _created_first(lock, "run-a")
    try:
        with pytest.raises(LockHeld, match=r"is locked by another run \(holder unknown\)") as e:
            lock.acquire("run-b")
        assert e.value.holder is None and not lock.held
        assert lock.admin.list_topics(lock.topic, timeout=10).topics[lock.topic].error is None  # left to its taker
    finally:
        _drop(lock)


def test_a_pull_request_answered_exists_by_its_own_create_claims_its_lock(stack, prefix):
    lock = _lock(PullRequestLock, stack, prefix)
    assert lock.topic == PR_LOCK_PREFIX + prefix
    run_id = f"pull-request:o/{prefix}#1"
    _created_first(lock, run_id)
    try:
        assert lock.claim(run_id) == run_id
        assert lock.state().holder == run_id
    finally:
        lock.release()
