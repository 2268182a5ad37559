"""The local stack's schema registry (Apicurio) and Debezium writing Avro through it with Apicurio's converter.

The CDC test creates its connector with Connect's REST API directly (not through kplan): what it checks is the stack
(the converter is on Connect's plugin path, it reaches the registry, its subjects are the ones Confluent's naming
would give and the Confluent-compatible API shows them), which kplan's subject kind is built on.
"""

from __future__ import annotations

import time

import pytest
import requests
from kplan_helpers import cleanup_pg_source, wait_for

import localstack

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def test_registry_answers_with_backward_as_its_global_level(stack):
    assert stack.schema_registry_url == localstack.REGISTRY_URL
    assert f":{localstack.REGISTRY_PORT}/" in stack.schema_registry_url
    r = requests.get(f"{stack.schema_registry_url}/config", timeout=10)
    assert r.status_code == 200
    assert r.json()["compatibilityLevel"] == "BACKWARD"
    assert requests.get(f"{stack.schema_registry_url}/subjects", timeout=10).status_code == 200


def test_the_global_level_is_enforced(stack, unique):
    subject = f"{unique('reg')}-value"
    url = f"{stack.schema_registry_url}/subjects/{subject}"
    v1 = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
    bad = '{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}'
    try:
        assert requests.post(f"{url}/versions", json={"schema": v1}, headers=CT, timeout=10).status_code == 200
        refused = requests.post(f"{url}/versions", json={"schema": bad}, headers=CT, timeout=10)
        assert refused.status_code == 409, refused.text
    finally:
        requests.delete(url, timeout=10)
        requests.delete(url, params={"permanent": "true"}, timeout=10)


@pytest.fixture
def avro_source(stack, admin, unique):
    prefix = unique("avro")
    source = unique("avrosrc")
    yield prefix, source
    cleanup_pg_source(admin, stack.connect_url, prefix, source)
    for suffix in ("key", "value"):
        subject = f"{stack.schema_registry_url}/subjects/{prefix}.public.orders-{suffix}"
        requests.delete(subject, timeout=10)
        requests.delete(subject, params={"permanent": "true"}, timeout=10)


def _converter(stack, side: str) -> dict[str, str]:
    """Apicurio's Avro converter against the stack's registry: its own v3 API, schemas registered by the converter
    (auto-register), reads of the latest version (find-latest); subjects named `<topic>-key` / `<topic>-value`
    (its default TopicIdStrategy) in the default group, the one the ccompat API shows."""
    return {f"{side}.converter": "io.apicurio.registry.utils.converter.AvroConverter",
            f"{side}.converter.apicurio.registry.url": stack.registry_v3_url,
            f"{side}.converter.apicurio.registry.auto-register": "true",
            f"{side}.converter.apicurio.registry.find-latest": "true"}


def test_debezium_with_the_avro_converter_registers_the_table_subjects(stack, avro_source):
    prefix, source = avro_source
    slot = source.replace("-", "_")
    pg = localstack.pg_endpoint()
    config = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": pg["host"], "database.port": str(pg["port"]), "database.user": pg["user"],
        "database.password": pg["password"], "database.dbname": pg["database"],
        "topic.prefix": prefix, "table.include.list": "public.orders", "plugin.name": "pgoutput",
        "slot.name": slot, "publication.name": f"{slot}_pub", "publication.autocreate.mode": "filtered",
        "topic.creation.default.replication.factor": "1", "topic.creation.default.partitions": "1",
        **_converter(stack, "key"), **_converter(stack, "value"),
    }
    r = requests.put(f"{stack.connect_url}/connectors/{source}/config", json=config, timeout=60)
    assert r.status_code in (200, 201), r.text
    topic = f"{prefix}.public.orders"
    want = {f"{topic}-key", f"{topic}-value"}
    deadline = time.monotonic() + 120
    subjects: set[str] = set()
    while time.monotonic() < deadline:
        subjects = set(requests.get(f"{stack.schema_registry_url}/subjects", timeout=10).json())
        if want <= subjects:
            break
        status = requests.get(f"{stack.connect_url}/connectors/{source}/status", timeout=10).json()
        failed = [t.get("trace", "")[:1500] for t in status.get("tasks", []) if t.get("state") == "FAILED"]
        assert not failed, failed[0]
        time.sleep(1)
    assert want <= subjects, f"subjects: {sorted(subjects)}"
    latest = requests.get(f"{stack.schema_registry_url}/subjects/{topic}-value/versions/latest", timeout=10).json()
    assert latest["schemaType"] == "AVRO"
    assert "Envelope" in latest["schema"]  # Debezium's change-event envelope, as Avro
    # the snapshot's records are on the topic: Avro written by the converter, read back through the registry
    # (the converter registers a schema when it converts the first record; the producer sends it right after)
    wait_for(lambda: admin_end_offset(stack, topic) > 0, 60, f"records on {topic}")


def admin_end_offset(stack, topic: str) -> int:
    """The topic's end offset; -1 while the consumer does not know its partition yet (the connector creates the
    topic with its first record, and the consumer's metadata follows a moment later)."""
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    c = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": "kplan-registry-test"})
    try:
        return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
    except KafkaException as e:
        if e.args[0].code() != KafkaError._UNKNOWN_PARTITION:
            raise
        return -1
    finally:
        c.close()


def test_status_and_env_name_the_registry(stack, capsys):
    from localstack.__main__ import main

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert any(line.startswith("registry") and "healthy" in line for line in out.splitlines()), out
    assert f"schema registry:   {stack.schema_registry_url}" in out and "global compatibility BACKWARD" in out
    assert main(["env"]) == 0
    assert f"export KPLAN_SCHEMA_REGISTRY_URL={stack.schema_registry_url}" in capsys.readouterr().out


def test_connect_has_the_apicurio_converters(stack):
    plugins = requests.get(f"{stack.connect_url}/connector-plugins", params={"connectorsOnly": "false"}, timeout=10)
    classes = {p["class"] for p in plugins.json()}
    assert {"io.apicurio.registry.utils.converter.AvroConverter",
            "io.apicurio.registry.utils.converter.ExtJsonConverter"} <= classes
