"""kplan.transport.permissions: an authorization failure becomes a line naming the principal, the ACL operation and
the resource; anything else is not its business."""

from confluent_kafka import KafkaError, KafkaException

from kplan.transport.permissions import denied, principal


def _exc(code):
    return KafkaException(KafkaError(code))


def test_a_denied_request_names_the_operation_the_resource_and_the_principal():
    line = denied(_exc(KafkaError.TOPIC_AUTHORIZATION_FAILED), "change the configs of", "topic t", "User:ci")
    assert line.startswith("kplan's principal User:ci may not change the configs of topic t "
                           "(TOPIC_AUTHORIZATION_FAILED): it needs the ALTER_CONFIGS permission on topic t")
    cluster = denied(_exc(KafkaError.CLUSTER_AUTHORIZATION_FAILED), "create", "topic t")
    assert "kplan's principal may not create topic t" in cluster and "permission on the cluster" in cluster


def test_other_errors_are_left_to_the_caller():
    assert denied(_exc(KafkaError.TOPIC_ALREADY_EXISTS), "create", "topic t") is None
    assert denied(ValueError("x"), "create", "topic t") is None


def test_the_principal_is_the_sasl_user_unless_it_is_a_reference():
    assert principal({"sasl.username": "ci"}) == "User:ci"
    assert principal({"sasl.username": "${secret:env:U}"}) is None
    assert principal({}) is None
