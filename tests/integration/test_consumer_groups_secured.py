"""Consumer-group requests against the secured listener (SASL_SSL, an authorizer): a principal without the group
ACLs gets one line naming the group and the ACLs to grant — in the plan (DESCRIBE) and from the writer apply uses
(READ to move the offsets, DELETE to delete the group) — and nothing is changed."""

from __future__ import annotations

import by_hand
import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer
from kplan_helpers import kplan, scram_principal, wait_for, write_stack

from kplan.errors import WriteError

pytestmark = pytest.mark.compat  # the version matrix runs these on every Kafka version (make matrix)

KAFKA_PW = "KPLAN_TEST_KAFKA_PASSWORD"


@pytest.fixture
def limited(secured, unique):
    """A SCRAM user allowed only DESCRIBE and DESCRIBE_CONFIGS on one topic (no group ACL), a group with committed
    offsets on that topic, and the super user's admin client: (user, password, topic, group, admin)."""
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        AdminClient,
        NewTopic,
        ResourcePatternType,
        ResourceType,
    )

    from kplan.transport.kafka import dispose

    user, password = unique("grp-nobody"), "grp-powerless-pw-1"
    topic, group = f"{user}.in", f"{user}-app"
    admin = AdminClient(secured.kafka_config())
    # each returns once the broker shows it: the tests log in as the user and expect exactly these rights
    with scram_principal(secured, admin, user, password):
        by_hand.create_topics(admin, [NewTopic(topic, 1, 1)])
        by_hand.create_acls(admin, [AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, f"User:{user}",
                                               "*", op, AclPermissionType.ALLOW)
                                    for op in (AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS)])
        producer = Producer(secured.kafka_config())
        for i in range(3):
            producer.produce(topic, value=f"record-{i}".encode())
        producer.flush(30)
        consumer = Consumer({**secured.kafka_config(), "group.id": group, "auto.offset.reset": "earliest",
                             "enable.auto.commit": False})
        consumer.subscribe([topic])
        seen = 0
        while seen < 3:
            msg = consumer.poll(2)
            seen += msg is not None and not msg.error()
        consumer.commit(asynchronous=False)
        consumer.close()
        yield user, password, topic, group, admin
        for f in admin.delete_consumer_groups([group]).values():
            f.result(30)
        for f in admin.delete_topics([topic]).values():
            f.result(30)
    dispose(admin)


def _committed(admin, group: str) -> dict:
    answer = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(timeout=30)
    return {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions or ()}


def _client(secured, user: str) -> dict:
    return {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user,
            "sasl.password": "${secret:env:%s}" % KAFKA_PW, "ssl.ca.location": secured.ca_file}


def test_the_plan_names_the_group_acl_kplan_lacks(secured, limited, tmp_path):
    user, password, topic, group, admin = limited
    doc = {"stack": user, "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "10s",
                                      "client": _client(secured, user)},
           "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}],
           "consumer_groups": [{"name": group, "offsets": {"request": "r1", "reset": "earliest"}}]}
    path = write_stack(tmp_path / "s.yaml", doc)
    expected = (f"kplan's principal User:{user} may not describe consumer group {group} "
                "(GROUP_AUTHORIZATION_FAILED): it needs DESCRIBE on the group and DESCRIBE on its topics")

    def planned():  # the topic's bindings reach the broker's authorizer within a moment
        run = kplan("plan", str(path), env={KAFKA_PW: password})
        return run if expected in run.text else None

    r = wait_for(planned, 20, "the plan to name the group's DESCRIBE")
    assert r.code == 1 and "Traceback" not in r.text and password not in r.text, r.text
    assert [x for x in r.text.splitlines() if "may not" in x] == [x for x in r.text.splitlines() if expected in x]


def test_the_writer_names_read_and_delete_on_the_group(secured, limited):
    from types import SimpleNamespace

    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    from kplan.kinds.group_request.io import ConsumerGroupWrites
    from kplan.model.desired import ClusterSpec
    from kplan.secrets import SecretValues
    from kplan.transport.admin import AdminSession

    user, password, topic, group, admin = limited
    by_hand.create_acls(admin, [AclBinding(ResourceType.GROUP, group, ResourcePatternType.LITERAL, f"User:{user}",
                                           "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)])
    cluster = ClusterSpec(secured.bootstrap_servers, client_properties=_client(secured, user), timeout_s=10)
    session = AdminSession(cluster, SecretValues({"${secret:env:%s}" % KAFKA_PW: password}))
    writer = ConsumerGroupWrites(SimpleNamespace(kafka=session, wire=None))
    try:
        wait_for(lambda: writer.group_offsets(group) == ((topic, 0, 3),), 20, "DESCRIBE on the group to take effect")
        with pytest.raises(WriteError) as moved:
            writer.alter_group_offsets(group, [(topic, 0, 0)])
        assert (f"kplan's principal User:{user} may not move the offsets of consumer group {group} "
                "(GROUP_AUTHORIZATION_FAILED): it needs READ on the group and READ on the topics it moves"
                in str(moved.value)), str(moved.value)
        with pytest.raises(WriteError) as deleted:
            writer.delete_consumer_group(group)
        assert (f"kplan's principal User:{user} may not delete consumer group {group} (GROUP_AUTHORIZATION_FAILED): "
                "it needs DELETE on the group" in str(deleted.value)), str(deleted.value)
        assert _committed(admin, group) == {(topic, 0): 3}
    finally:
        session.close()


def test_a_principal_that_may_not_list_every_group_gets_no_all_clear_for_a_deletion(stack, secured, limited, tmp_path):
    """The consumer guard (docs/consumers.md) as a principal without DESCRIBE on the cluster: Kafka lists it only the
    groups it may describe, none here, though a group has committed offsets on the topic the plan deletes. The plan
    must not say that no group reads it: the groups could not all be read, and the guard did not run."""
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
    from kplan_helpers import forget_stack

    user, password, topic, group, admin = limited
    by_hand.create_acls(admin, [AclBinding(ResourceType.TOPIC, name, ResourcePatternType.PREFIXED, f"User:{user}", "*",
                                           AclOperation.ALL, AclPermissionType.ALLOW) for name in (user, "__kplan")])
    doc = {"stack": user, "cluster": {"bootstrap_servers": secured.bootstrap_servers, "timeout": "10s",
                                      "client": _client(secured, user)},
           "topics": [{"name": topic, "partitions": 1, "replication_factor": 1}]}
    env = {KAFKA_PW: password}
    try:
        r = kplan("apply", str(write_stack(tmp_path / "s.yaml", doc)), "--auto-approve", "--no-color", env=env)
        assert r.code == 0, r.text
        r = kplan("plan", str(write_stack(tmp_path / "gone.yaml", {**doc, "topics": []})), "--no-color", env=env)
        assert f'- topic "{topic}"' in r.out, r.text
        assert "no consumer group reads it" not in r.out, r.out
        assert (f"kplan's principal User:{user} may not DESCRIBE the cluster: Kafka lists it only the consumer groups "
                "it may describe") in r.out, r.out
        assert "the consumer guard did not run" in r.out, r.out
    finally:
        forget_stack(admin, stack.bootstrap_servers, user)
