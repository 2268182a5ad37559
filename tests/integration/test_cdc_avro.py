"""A PostgreSQL CDC source with `format: avro`, applied by kplan on the real stack: kplan generates Apicurio's Avro
converter settings for the stack's registry, Debezium registers the per-table subjects itself, and kplan's next
plan leaves them alone (the stack does not own them) — or, once the stack declares one with the schema Debezium
registered, adopts it without registering anything, and destroy then leaves the others alone."""

from __future__ import annotations

import json

import pytest
import requests
from kplan_helpers import base_stack, cleanup_pg_source, kplan, wait_for, write_stack

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


@pytest.fixture
def source(stack, admin, unique):
    prefix = unique("cdcavro").replace("-", "_")
    name = f"{prefix}-pg".replace("_", "-")
    yield prefix, name
    cleanup_pg_source(admin, stack.connect_url, prefix, name)
    for s in requests.get(f"{stack.schema_registry_url}/subjects", timeout=10).json():
        if s.startswith(prefix):
            requests.delete(f"{stack.schema_registry_url}/subjects/{s}", timeout=10)
            requests.delete(f"{stack.schema_registry_url}/subjects/{s}", params={"permanent": "true"}, timeout=10)


def _stack(stack, prefix, name, subjects=None):
    doc = base_stack(prefix, stack)
    doc["cluster"]["schema_registry"] = {"url": stack.schema_registry_url}
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1}}
    doc["cdc"] = [{
        "name": name, "engine": "postgres", "topic_prefix": prefix, "schema": "public", "format": "avro",
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "tables": ["users"]}]
    if subjects:
        doc["subjects"] = subjects
    return doc


def test_debezium_registers_the_table_subjects_and_kplan_leaves_them_alone_or_adopts_them(stack, source, tmp_path):
    prefix, name = source
    registry = stack.schema_registry_url
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, name))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    assert "io.apicurio.registry.utils.converter.AvroConverter" in r.out, r.out
    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    config = requests.get(f"{stack.connect_url}/connectors/{name}/config", timeout=10).json()
    assert config["value.converter.apicurio.registry.url"] == stack.registry_v3_url

    topic = f"{prefix}.public.users"
    want = {f"{topic}-key", f"{topic}-value"}
    wait_for(lambda: want <= set(requests.get(f"{registry}/subjects", timeout=10).json()), 120,
             "Debezium's per-table subjects")
    value = requests.get(f"{registry}/subjects/{topic}-value/versions/latest", timeout=10).json()
    assert value["schemaType"] == "AVRO" and "Envelope" in value["schema"]

    # not declared, not owned: the plan does not touch (or even mention) them
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out and "subject." not in r.out, r.text

    # declared with the schema Debezium registered (written differently) and its references (Apicurio's converter
    # registers the envelope's nested records as subjects of their own): adopted, nothing registered
    pretty = json.dumps(json.loads(value["schema"]), indent=2)
    assert value["references"], value  # the envelope's Source, Value and block records
    declared = {"name": f"{topic}-value", "schema": pretty, "references": value["references"]}
    path = write_stack(tmp_path / "s.yaml", _stack(stack, prefix, name, [declared]))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text
    assert "1 existing resource matches the stack but is not yet recorded as owned by it" in r.out, r.out
    assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0
    versions = requests.get(f"{registry}/subjects/{topic}-value/versions", timeout=10).json()
    assert versions == [value["version"]]
    r = kplan("plan", str(path), env=PG_ENV)
    assert "No changes." in r.out and "not yet recorded" not in r.out, r.text

    # destroy: the adopted subject goes with the stack; the key subject (never declared) stays
    r = kplan("destroy", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    live = set(requests.get(f"{registry}/subjects", timeout=10).json())
    assert f"{topic}-value" not in live and f"{topic}-key" in live
