"""ACL bindings to and from confluent-kafka's types: the stack's `cluster` resource is confluent-kafka's BROKER
resource type (Kafka's CLUSTER), both ways; the other types keep their names."""

from __future__ import annotations

import pytest
from confluent_kafka.admin import AclBinding as KafkaBinding
from confluent_kafka.admin import AclOperation, AclPermissionType, ResourcePatternType, ResourceType

from kplan.model.bindings import AclBinding
from kplan.transport.acls import from_kafka, to_filter, to_kafka

CLUSTER = AclBinding("cluster", "literal", "kafka-cluster", "DESCRIBE_CONFIGS")


def test_the_cluster_resource_is_confluent_kafkas_broker_type_both_ways():
    k = to_kafka("User:a", CLUSTER)
    assert (k.restype, k.name, k.resource_pattern_type) == (ResourceType.BROKER, "kafka-cluster",
                                                            ResourcePatternType.LITERAL)
    assert to_filter("User:a", CLUSTER).restype == ResourceType.BROKER
    assert from_kafka(k) == ("User:a", CLUSTER)


@pytest.mark.parametrize("resource,restype", [("topic", ResourceType.TOPIC), ("group", ResourceType.GROUP),
                                              ("transactional_id", ResourceType.TRANSACTIONAL_ID)])
def test_the_other_resource_types_keep_their_names(resource, restype):
    b = AclBinding(resource, "prefixed", "orders.", "WRITE", "DENY", "10.0.0.1")
    assert to_kafka("User:a", b).restype == restype
    live = KafkaBinding(restype, "orders.", ResourcePatternType.PREFIXED, "User:a", "10.0.0.1", AclOperation.WRITE,
                        AclPermissionType.DENY)
    assert from_kafka(live) == ("User:a", b)
