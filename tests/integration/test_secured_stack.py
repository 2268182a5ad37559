"""Proof that the local stack's secured side is real: the broker's SASL_SSL listener authenticates (SCRAM-SHA-512 and
PLAIN), is verified only with the generated CA, and enforces ACLs; the secured Connect worker sits behind HTTPS and
basic authentication and runs connectors whose clients reach Kafka over SASL_SSL."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import (
    AdminClient,
    NewTopic,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kplan_helpers import wait_for

from kplan.transport.kafka import dispose

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def _quiet() -> logging.Logger:
    """The refused logins below are expected: keep librdkafka's complaints about them out of the output."""
    log = logging.getLogger("kplan.tests.secured")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log


@pytest.fixture
def admin(secured):
    client = AdminClient(secured.kafka_config())
    yield client
    dispose(client)


def _first_error(config: dict, timeout: float = 20) -> KafkaError:
    """The first error a client with `config` reports while it tries to reach the broker."""
    errors: list[KafkaError] = []
    client = AdminClient({**config, "error_cb": errors.append, "logger": _quiet()})
    try:
        client.describe_cluster(request_timeout=timeout)
        deadline = time.monotonic() + timeout
        while not errors and time.monotonic() < deadline:
            client.poll(0.1)
        assert errors, f"no error within {timeout}s with {config.get('sasl.username')}"
        return errors[0]
    finally:
        dispose(client)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
def test_the_admin_lists_topics_over_sasl_ssl(secured, mechanism):
    client = AdminClient(secured.kafka_config(mechanism))
    try:
        md = client.list_topics(timeout=20)
        # the secured Connect worker's own storage topics: it reached Kafka through this listener too
        assert {"connect-secure-configs", "connect-secure-offsets", "connect-secure-status"} <= set(md.topics)
        assert [b.port for b in md.brokers.values()] == [int(secured.bootstrap_servers.rsplit(":", 1)[1])]
    finally:
        dispose(client)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "PLAIN"])
def test_a_wrong_password_is_an_authentication_error(secured, mechanism):
    err = _first_error(secured.kafka_config(mechanism, password="not-the-password"))
    assert err.code() == KafkaError._AUTHENTICATION, err


def test_without_the_ca_the_broker_certificate_is_not_trusted(secured):
    config = {k: v for k, v in secured.kafka_config().items() if k != "ssl.ca.location"}
    err = _first_error(config)
    # librdkafka reports a failed handshake as _SSL or as _TRANSPORT, depending on where it notices
    assert err.code() in (KafkaError._SSL, KafkaError._TRANSPORT), err
    assert "certificate verify failed" in err.str(), err


def test_a_user_without_acls_is_refused(secured, admin, unique):
    """The authorizer is on: a SCRAM user that is not a super user and has no ACL may log in, but neither create
    a topic nor produce to one, while the admin (a super user) may do both."""
    user, password = unique("noacl"), "no-acl-password"
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    admin.alter_user_scram_credentials(
        [UserScramCredentialUpsertion(user, info, password.encode())])[user].result(30)
    topic = unique("noacl-topic")
    nobody = AdminClient({**secured.kafka_config(user=user, password=password), "logger": _quiet()})
    producer = None
    try:
        # it can log in (a metadata request needs no ACL) once its credential has reached the listener
        wait_for(lambda: _lists_topics(nobody), timeout=30, what=f"{user} logs in")

        with pytest.raises(KafkaException) as refused:
            nobody.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
        assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
        wait_for(lambda: _lists_topics(admin, topic), timeout=30, what="the admin's topic")
        producer = Producer({**secured.kafka_config(user=user, password=password), "logger": _quiet(),
                             "message.timeout.ms": 15000})
        delivered: list[KafkaError | None] = []
        producer.produce(topic, b"refused", on_delivery=lambda err, msg: delivered.append(err))
        producer.flush(30)
        assert len(delivered) == 1 and delivered[0] is not None
        assert delivered[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, delivered[0]
    finally:
        dispose(producer)
        dispose(nobody)
        admin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)])[user].result(30)
        if topic in admin.list_topics(timeout=20).topics:
            admin.delete_topics([topic])[topic].result(30)


def _lists_topics(client: AdminClient, topic: str | None = None) -> bool:
    try:
        md = client.list_topics(topic, timeout=5)
    except KafkaException:
        return False
    return topic is None or (topic in md.topics and md.topics[topic].error is None)


def test_the_secured_worker_wants_credentials_over_verified_https(secured):
    url = f"{secured.connect_url}/connectors"
    assert requests.get(url, verify=secured.ca_file, timeout=10).status_code == 401
    wrong = requests.get(url, auth=(secured.connect_user, "not-the-password"), verify=secured.ca_file, timeout=10)
    assert wrong.status_code == 401
    ok = requests.get(url, auth=secured.connect_auth, verify=secured.ca_file, timeout=10)
    assert ok.status_code == 200, ok.text
    assert isinstance(ok.json(), list)
    with pytest.raises(requests.exceptions.SSLError):  # the system's CAs do not know the generated one
        requests.get(url, auth=secured.connect_auth, timeout=10)


def test_a_filestream_source_runs_on_the_secured_worker(secured, admin, unique, tmp_path):
    """Created through the authenticated REST API, the connector runs, and its task's producer (configured by the
    worker's producer.* SASL_SSL settings) delivers the file's lines, read back over SASL_SSL."""
    topic, connector = unique("secured-file"), unique("secured-file-src")
    lines = [f"secured-{i}" for i in range(3)]
    source = tmp_path / "input.txt"
    source.write_text("\n".join(lines) + "\n")
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    base = f"{secured.connect_url}/connectors/{connector}"

    def rest(method: str, url: str, **kwargs) -> requests.Response:
        # verify= on every call: a Session's own `verify` loses to REQUESTS_CA_BUNDLE when that is set
        return requests.request(method, url, auth=secured.connect_auth, verify=secured.ca_file, timeout=30, **kwargs)

    try:
        r = rest("PUT", f"{base}/config", json={"connector.class": FILE_SOURCE, "tasks.max": "1",
                                                 "file": str(source), "topic": topic})
        assert r.status_code == 201, r.text

        def running():
            s = rest("GET", f"{base}/status")
            body = s.json() if s.status_code == 200 else None
            ok = body and body["connector"]["state"] == "RUNNING" and body["tasks"] and all(
                t["state"] == "RUNNING" for t in body["tasks"])
            return body if ok else None

        wait_for(running, timeout=60, what="connector and task RUNNING")
        assert connector in rest("GET", f"{secured.connect_url}/connectors").json()

        consumer = Consumer({**secured.kafka_config(), "group.id": unique("secured-group"),
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        got: list[str] = []
        try:
            consumer.subscribe([topic])
            deadline = time.monotonic() + 60
            while len(got) < len(lines) and time.monotonic() < deadline:
                msg = consumer.poll(1.0)
                if msg is not None and not msg.error():
                    got.append(json.loads(msg.value()))
        finally:
            consumer.close()
        assert got == lines
    finally:
        rest("DELETE", base)
        wait_for(lambda: connector not in rest("GET", f"{secured.connect_url}/connectors").json(),
                 timeout=30, what="connector deleted")
        admin.delete_topics([topic])[topic].result(30)
