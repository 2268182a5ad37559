"""A mirror's read of its source's groups (kplan.kinds.connector.io.mirrors): a group the principal may list (DESCRIBE
on the cluster) but not describe has its offsets refused; that is a right it lacks, asked with the others, not a source
that could not be read (issue 56 item 2)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException

from kplan.kinds.connector.io.mirrors import _source_groups
from kplan.model.desired import MirrorSpec


class _Done:
    def __init__(self, value=None, error: Exception | None = None) -> None:
        self.value, self.error = value, error

    def result(self, timeout=None):
        if self.error is not None:
            raise self.error
        return self.value


class _Admin:
    def __init__(self, error: int) -> None:
        self.error = error

    def list_consumer_groups(self, request_timeout=None):
        return _Done(SimpleNamespace(valid=[SimpleNamespace(group_id="billing"), SimpleNamespace(group_id="other")]))

    def list_consumer_group_offsets(self, requests, request_timeout=None):
        (request,) = requests
        return {request.group_id: _Done(error=KafkaException(KafkaError(self.error)))}


def test_a_group_whose_offsets_are_refused_is_listed_and_left_to_the_rights_check():
    mirror = MirrorSpec("m", "main", "dr", ("orders",), groups=("billing",))
    offsets, listed = _source_groups(mirror, _Admin(KafkaError.GROUP_AUTHORIZATION_FAILED), {("orders", 0): 5}, 5)
    assert offsets == {} and listed == ["billing"]


def test_any_other_failure_is_still_the_source_not_read():
    mirror = MirrorSpec("m", "main", "dr", ("orders",), groups=("billing",))
    with pytest.raises(KafkaException):
        _source_groups(mirror, _Admin(KafkaError._TIMED_OUT), {("orders", 0): 5}, 5)
