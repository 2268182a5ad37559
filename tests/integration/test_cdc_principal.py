"""A cdc source's `principal:` on the real secured stack (SASL_SSL, StandardAuthorizer, no ACL means no access): the
Debezium connector runs on the secured Connect worker with its clients logged in as a SCRAM user made for the test,
whose only rights are the bindings kplan generated. PostgreSQL: change events arrive; a generated binding removed by
hand fails the task and the next plan puts it back. MariaDB: the schema-history producer writes, and after a restart
its consumer reads with the generated group; the signal topic is readable with the signal group; a topic outside
the set is refused. plan → apply → plan converges, destroy removes the bindings."""

from __future__ import annotations

import time

import by_hand
import pytest
import requests
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
    ScramMechanism,
    UserScramCredentialDeletion,
)
from kplan_helpers import can_log_in, consume_events, drop_pg_slot, kplan, wait_for, write_stack
from test_acls import _principal_filter, bindings, produce_error

import localstack

ADMIN_PW, CONNECT_PW, USER_PW, DB_PW, TLS_PW = ("KPLAN_TEST_CP_ADMIN_PW", "KPLAN_TEST_CP_CONNECT_PW",
                                                "KPLAN_TEST_CP_USER_PW", "KPLAN_TEST_CP_DB_PW",
                                                "KPLAN_TEST_CP_TLS_PW")
USER_PASSWORD = "acl-test-user-password"  # what test_acls.produce_error logs in with


@pytest.fixture
def cdc_user(secured, sadmin, unique):
    """A SCRAM user for the connector, deleted afterwards with every binding left for it."""
    name = unique("cdc-user")
    by_hand.upsert_scram(sadmin, {name: USER_PASSWORD})
    wait_for(lambda: can_log_in(secured, name, USER_PASSWORD), 30, f"the new SCRAM user {name} to log in")
    yield name
    for f in sadmin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)]).values():
        f.result(30)
    for f in sadmin.delete_acls([_principal_filter(f"User:{name}")]).values():
        f.result(30)


def rest(secured, method: str, path: str, **kw):
    return requests.request(method, f"{secured.connect_url}{path}", auth=secured.connect_auth,
                            verify=secured.ca_file, timeout=60, **kw)


@pytest.fixture
def names(secured, sadmin, unique):
    """(prefix, source) for one test; the connector, its topics, PostgreSQL's slot and publication go afterwards."""
    prefix = unique("cdcp").replace("-", "_")
    source = prefix.replace("_", "-") + "-src"
    yield prefix, source
    rest(secured, "DELETE", f"/connectors/{source}")
    wait_for(lambda: source not in rest(secured, "GET", "/connectors").json(), 60, "the connector deleted")
    topics = [t for t in sadmin.list_topics(timeout=20).topics if t.startswith((prefix, f"schema-changes.{source}"))]
    for f in (sadmin.delete_topics(topics).values() if topics else ()):
        try:
            f.result(30)
        except KafkaException:
            pass
    slot = source.replace("-", "_")
    drop_pg_slot(slot, f"{slot}_pub")


def env(secured) -> dict:
    return {ADMIN_PW: secured.admin_password, CONNECT_PW: secured.connect_password, USER_PW: USER_PASSWORD,
            DB_PW: localstack.PG_PASSWORD, TLS_PW: localstack.TLS_PASSWORD}


def jaas(user: str) -> str:
    return ('org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" '
            'password="${secret:env:%s}";' % (user, USER_PW))


def client_keys(prefix: str, user: str, secured) -> dict:
    """The SASL_SSL settings of one of Debezium's own clients (schema history, signals), under `prefix`."""
    return {f"{prefix}security.protocol": "SASL_SSL", f"{prefix}sasl.mechanism": "SCRAM-SHA-512",
            f"{prefix}sasl.jaas.config": jaas(user), f"{prefix}ssl.truststore.type": "PKCS12",
            f"{prefix}ssl.truststore.location": f"{secured.tls_dir}/truststore.p12",
            f"{prefix}ssl.truststore.password": "${secret:env:%s}" % TLS_PW}


def stack_doc(secured, name: str, source: dict, topics: tuple[str, ...] = ()) -> dict:
    return {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
        "connect": {"url": secured.connect_url, "ca": secured.ca_file,
                    "auth": {"basic": {"username": secured.connect_user,
                                       "password": "${secret:env:%s}" % CONNECT_PW}}},
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:%s}" % ADMIN_PW,
                   "ssl.ca.location": secured.ca_file}},
        "defaults": {"topic": {"partitions": 1, "replication_factor": 1}},
        "topics": [{"name": t} for t in topics], "cdc": [source]}


def task_state(secured, source: str) -> tuple[str, str]:
    r = rest(secured, "GET", f"/connectors/{source}/status")
    tasks = r.json().get("tasks") if r.status_code == 200 else None
    return (tasks[0]["state"], tasks[0].get("trace", "")) if tasks else ("NONE", "")


def no_secret(run, secured) -> None:
    for secret in (secured.admin_password, secured.connect_password, USER_PASSWORD, localstack.PG_PASSWORD):
        assert secret not in run.text, run.text


def test_postgres_connector_runs_on_its_generated_acls_alone(secured, sadmin, cdc_user, names, tmp_path):
    prefix, source = names
    principal, orders = f"User:{cdc_user}", f"{prefix}.public.orders"
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, prefix, {
        "name": source, "engine": "postgres", "topic_prefix": prefix, "principal": principal,
        "connection": {"host": localstack.HOST, "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:%s}" % DB_PW, "database": localstack.PG_DATABASE},
        "tables": ["orders"], "snapshot_mode": "no_data",
        # the connector's producer logs in as the principal (the worker allows client overrides)
        "connector": {"config": {"producer.override.sasl.jaas.config": jaas(cdc_user)}}}, (f"{prefix}-elsewhere",)))
    r = kplan("plan", str(path), env=env(secured))
    assert r.code == 0, r.text
    assert f'+ acl "{principal}"' in r.out and f'topic["{orders}"]["WRITE"]' in r.out, r.out
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    no_secret(r, secured)
    # exactly what the connector needs: no CREATE, no group, no cluster right
    assert bindings(sadmin, principal) == {("TOPIC", orders, "LITERAL", "WRITE"),
                                           ("TOPIC", orders, "LITERAL", "DESCRIBE")}
    wait_for(lambda: task_state(secured, source)[0] == "RUNNING", 60, "the task RUNNING")
    r = kplan("plan", str(path), "--detailed-exitcode", env=env(secured))
    assert r.code == 0 and "No changes." in r.out, r.text

    # change events arrive, written by the connector's producer as the principal
    quantity = 8000 + int(time.time()) % 1000
    localstack.psql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity})")
    events = consume_events(localstack.BOOTSTRAP, orders, 1,
                            where=lambda e: e["op"] == "c" and e["after"]["quantity"] == quantity)
    assert events, "the inserted row's change event did not arrive"
    # the principal may write nothing else
    assert produce_error(secured, cdc_user, f"{prefix}-elsewhere") == "TOPIC_AUTHORIZATION_FAILED"

    # without its generated WRITE the task fails; the next plan puts the binding back
    # out of the broker's authorizer when this returns: the row inserted next is refused (a fixed 1.5 s was here)
    by_hand.delete_acls(sadmin, [_binding(principal, orders, AclOperation.WRITE)])
    localstack.psql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity + 1})")
    state, trace = wait_for(lambda: (s := task_state(secured, source))[0] == "FAILED" and s, 90, "the task FAILED")
    assert "TopicAuthorizationException" in trace, trace[:2000]
    r = kplan("plan", str(path), env=env(secured))
    assert r.code == 0 and f'+ topic["{orders}"]["WRITE"]' in r.out, r.text
    r = kplan("apply", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert ("TOPIC", orders, "LITERAL", "WRITE") in bindings(sadmin, principal)

    r = kplan("destroy", str(path), "--auto-approve", env=env(secured))
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == set()


def _binding(principal: str, topic: str, op) -> AclBindingFilter:
    return AclBindingFilter(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*", op,
                      AclPermissionType.ALLOW)


def consume_error(secured, user: str, topic: str, group: str) -> str | None:
    """The error of reading `topic`'s first partition as `user` in `group` (a committed offset, so the group is
    used), or None when the read and the commit succeeded."""
    c = Consumer({**secured.kafka_config(user=user, password=USER_PASSWORD), "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            msg = c.poll(1.0)
            if msg is not None and msg.error():
                return msg.error().name()
            if msg is not None:
                c.commit(message=msg, asynchronous=False)
                return None
        c.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
        return None
    except KafkaException as e:
        return e.args[0].name()
    finally:
        c.close()


def test_mariadb_schema_history_and_signal_topics_with_the_groups_debezium_uses(secured, sadmin, cdc_user, names,
                                                                                tmp_path):
    prefix, source = names
    principal, history, signal = f"User:{cdc_user}", f"schema-changes.{source}", f"{prefix}.signal"
    config = {"producer.override.sasl.jaas.config": jaas(cdc_user),
              **client_keys("schema.history.internal.producer.", cdc_user, secured),
              **client_keys("schema.history.internal.consumer.", cdc_user, secured),
              **client_keys("signal.consumer.", cdc_user, secured)}
    e = {**env(secured), DB_PW: localstack.MY_PASSWORD}
    path = write_stack(tmp_path / "s.yaml", stack_doc(secured, prefix, {
        "name": source, "engine": "mariadb", "topic_prefix": prefix, "principal": principal,
        "connection": {"host": localstack.HOST, "port": localstack.MY_PORT, "user": localstack.MY_USER,
                       "password": "${secret:env:%s}" % DB_PW, "database": localstack.MY_DATABASE},
        "tables": ["orders"], "snapshot_mode": "no_data", "snapshot_new_tables": True,
        "signal": {"data_collection": f"{localstack.MY_DATABASE}.debezium_signal"},
        "connector": {"config": config}}))
    r = kplan("apply", str(path), "--auto-approve", env=e)
    assert r.code == 0, r.text
    no_secret(r, secured)
    table, signal_table = f"{prefix}.demo.orders", f"{prefix}.demo.debezium_signal"
    assert bindings(sadmin, principal) == {
        ("TOPIC", table, "LITERAL", "WRITE"), ("TOPIC", table, "LITERAL", "DESCRIBE"),
        ("TOPIC", signal_table, "LITERAL", "WRITE"), ("TOPIC", signal_table, "LITERAL", "DESCRIBE"),
        ("TOPIC", history, "LITERAL", "WRITE"), ("TOPIC", history, "LITERAL", "READ"),
        ("TOPIC", history, "LITERAL", "DESCRIBE"), ("GROUP", f"{prefix}-schemahistory", "LITERAL", "READ"),
        ("TOPIC", signal, "LITERAL", "READ"), ("TOPIC", signal, "LITERAL", "DESCRIBE"),
        ("GROUP", "kafka-signal", "LITERAL", "READ")}
    r = kplan("plan", str(path), "--detailed-exitcode", env=e)
    assert r.code == 0 and "No changes." in r.out, r.text

    # the history producer wrote the schema as the principal, the connector's producer a change event
    wait_for(lambda: task_state(secured, source)[0] == "RUNNING", 90, "the task RUNNING")
    wait_for(lambda: _end(history) > 0, 60, "schema history records")
    quantity = 9000 + int(time.time()) % 1000
    localstack.mysql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity})")
    assert consume_events(localstack.BOOTSTRAP, table, 1, where=lambda ev: ev["after"]["quantity"] == quantity)
    # stopped (which commits the event's offset) and resumed, the task recovers the schema from the history topic:
    # its consumer subscribes with the history group; the task then captures again
    assert rest(secured, "PUT", f"/connectors/{source}/stop").status_code in (200, 202, 204)
    wait_for(lambda: rest(secured, "GET", f"/connectors/{source}/status").json()["connector"]["state"] == "STOPPED"
             and task_state(secured, source)[0] == "NONE", 60, "the connector STOPPED without tasks")
    assert rest(secured, "PUT", f"/connectors/{source}/resume").status_code in (200, 202, 204)
    localstack.mysql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity + 1})")
    state, trace = wait_for(lambda: _captured_or_failed(secured, source, table, quantity + 1), 120,
                            "the row inserted after the restart captured, or the task FAILED")
    assert state == "captured", trace[:3000]

    # the same rights, tried directly: the groups Debezium uses work, another group and another topic do not
    assert consume_error(secured, cdc_user, history, f"{prefix}-schemahistory") is None
    assert consume_error(secured, cdc_user, signal, "kafka-signal") is None
    assert consume_error(secured, cdc_user, history, f"{prefix}-other") == "GROUP_AUTHORIZATION_FAILED"
    assert produce_error(secured, cdc_user, signal) == "TOPIC_AUTHORIZATION_FAILED"

    r = kplan("destroy", str(path), "--auto-approve", env=e)
    assert r.code == 0, r.text
    assert bindings(sadmin, principal) == set()


def _captured_or_failed(secured, source: str, topic: str, quantity: int) -> tuple[str, str] | None:
    state, trace = task_state(secured, source)
    if state == "FAILED":
        return state, trace
    if consume_events(localstack.BOOTSTRAP, topic, 1, timeout=3, where=lambda ev: ev["after"]["quantity"] == quantity):
        return "captured", ""
    return None


def _end(topic: str) -> int:
    """The end offset of `topic`'s first partition (read on the plain listener, a super user)."""
    c = Consumer({"bootstrap.servers": localstack.BOOTSTRAP, "group.id": "kplan-test-watermarks"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    finally:
        c.close()
