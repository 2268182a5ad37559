"""kplan.transport.acls.cluster_operations: the broker names a principal's operations on the cluster only to one
that may DESCRIBE it (Kafka 4.3 answers None otherwise): none named is none allowed where the cluster has an
authorizer, everything where it has none (describe_acls answers SECURITY_DISABLED)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AclOperation

from kplan.transport.acls import cluster_operations


class _Done:
    def __init__(self, value=None, error: Exception | None = None) -> None:
        self.value, self.error = value, error

    def result(self, timeout=None):
        if self.error is not None:
            raise self.error
        return self.value


class _Admin:
    def __init__(self, ops, acls_error: int | None = None) -> None:
        self.ops, self.acls_error = ops, acls_error

    def describe_cluster(self, include_authorized_operations=False, request_timeout=None):
        assert include_authorized_operations
        return _Done(SimpleNamespace(authorized_operations=self.ops))

    def describe_acls(self, acl_filter, request_timeout=None):
        return _Done([], KafkaException(KafkaError(self.acls_error)) if self.acls_error is not None else None)


def test_named_operations_are_the_principals():
    assert cluster_operations(_Admin([AclOperation.DESCRIBE, AclOperation.ALTER]), 5) == {"DESCRIBE", "ALTER"}


def test_none_named_is_none_allowed_with_an_authorizer_and_every_one_without():
    assert cluster_operations(_Admin(None), 5) == frozenset()
    assert cluster_operations(_Admin(None, KafkaError.CLUSTER_AUTHORIZATION_FAILED), 5) == frozenset()
    assert cluster_operations(_Admin(None, KafkaError.SECURITY_DISABLED), 5) == {"ALL"}
    with pytest.raises(KafkaException):
        cluster_operations(_Admin(None, KafkaError._TIMED_OUT), 5)
