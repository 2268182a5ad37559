"""CDC end to end on real systems: PostgreSQL (logical decoding) -> Debezium on Kafka Connect -> per-table topics,
through kplan plan/apply. Table additions, incremental snapshots of new tables, table removal, the seeds'
failure rule."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka.admin import AdminClient
from kplan_helpers import (
    apply_despite_plan_errors,
    base_stack,
    cleanup,
    consume_events,
    kplan,
    snapshot,
    topic_ends,
    wait_for,
    write_stack,
)

import localstack

PG_ENV = {"KPLAN_TEST_PG_PASSWORD": localstack.PG_PASSWORD}


@pytest.fixture
def admin(stack):
    return AdminClient({"bootstrap.servers": stack.bootstrap_servers})


@pytest.fixture
def cdc(stack, admin, unique):
    """A unique topic prefix / source name; drops the source's replication slot and publication afterwards."""
    prefix = unique("cdc").replace("-", "_")
    source = f"{prefix}-pg".replace("_", "-")
    yield prefix, source
    cleanup(admin, stack.connect_url, prefix)
    cleanup(admin, stack.connect_url, source)
    slot = source.replace("-", "_")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the slot stays active until the connector's task has stopped
        active = localstack.psql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{slot}'").strip()
        if active != "t":
            break
        time.sleep(0.5)
    localstack.psql(f"SELECT pg_drop_replication_slot('{slot}') FROM pg_replication_slots WHERE slot_name = '{slot}'")
    localstack.psql(f"DROP PUBLICATION IF EXISTS {slot}_pub")


def _stack(stack, prefix, source, tables, **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1,
                                 "config": {"retention.ms": "7d", "compression.type": "snappy",
                                            "cleanup.policy": "delete"}}}
    doc["cdc"] = [{
        "name": source, "engine": "postgres", "topic_prefix": prefix, "schema": "public",
        "connection": {"host": "127.0.0.1", "port": localstack.PG_PORT, "user": localstack.PG_USER,
                       "password": "${secret:env:KPLAN_TEST_PG_PASSWORD}", "database": localstack.PG_DATABASE},
        "snapshot_mode": "initial",
        "tables": tables,
        **extra,
    }]
    return doc


def _count(table):
    return int(localstack.psql(f"SELECT count(*) FROM {table}").strip())


def test_cdc_source_end_to_end_then_table_additions_with_incremental_snapshot(stack, admin, cdc, tmp_path):
    prefix, source = cdc
    high_volume = {"name": "orders", "topic": {"partitions": 3, "config": {"compression.type": "zstd",
                                                                            "retention.ms": "3d"}}}
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", high_volume, "products"],
                                                      snapshot_new_tables=True,
                                                      connector={"restart_on_change": True}))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    for table in ("users", "orders", "products"):
        assert f"{prefix}.public.{table}" in r.out
    assert f'connector "{source}"' in r.out

    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    # one topic per table with the declared settings, on the broker
    snap = snapshot(admin, stack.connect_url, prefix)["topics"]
    assert snap[f"{prefix}.public.users"] == {"partitions": 1, "rf": 1, "overrides": {
        "retention.ms": "604800000", "compression.type": "snappy", "cleanup.policy": "delete"}}
    assert snap[f"{prefix}.public.orders"] == {"partitions": 3, "rf": 1, "overrides": {
        "retention.ms": "259200000", "compression.type": "zstd", "cleanup.policy": "delete"}}
    live = snapshot(admin, stack.connect_url, source)["connectors"][source]
    assert live["state"] == "RUNNING"
    assert live["config"]["plugin.name"] == "pgoutput"
    assert live["config"]["database.password"] == localstack.PG_PASSWORD  # resolved at apply, never printed
    assert localstack.PG_PASSWORD not in r.text

    # the initial snapshot: existing rows arrive
    users = consume_events(stack.bootstrap_servers, f"{prefix}.public.users", _count("users"))
    assert len(users) == _count("users") and all(e["op"] == "r" for e in users)
    # a row inserted afterwards arrives as a change event
    quantity = 7000 + int(time.time()) % 1000
    localstack.psql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity})")
    inserted = consume_events(stack.bootstrap_servers, f"{prefix}.public.orders", 1,
                              where=lambda e: e["op"] == "c" and e["after"]["quantity"] == quantity)
    assert inserted, "the inserted row's change event did not arrive"
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text

    # adding tables: exactly two topics to add and the connector's table list to change
    users_end = topic_ends(stack.bootstrap_servers, f"{prefix}.public.users")
    before_existing = {k: v for k, v in snapshot(admin, stack.connect_url, prefix)["topics"].items()}
    write_stack(path, _stack(stack, prefix, source, ["users", high_volume, "products", "customers", "invoices"],
                             snapshot_new_tables=True, connector={"restart_on_change": True}))
    r = kplan("plan", str(path), "--format", "json", env=PG_ENV)
    assert r.code == 0, r.text
    changes = {c["address"]: c["actions"] for c in json.loads(r.out)["resource_changes"] if c["actions"] != ["no-op"]}
    assert changes == {f"topic.{prefix}.public.customers": ["create"], f"topic.{prefix}.public.invoices": ["create"],
                       f"connector.{source}": ["update"]}
    text = kplan("plan", str(path), env=PG_ENV).out
    assert "table.include.list" in text and "incremental snapshot" in text
    assert "Plan: 2 to add, 1 to change, 0 to destroy." in text

    r = kplan("apply", str(path), "--auto-approve", env=PG_ENV)
    assert r.code == 0, r.text
    after = snapshot(admin, stack.connect_url, prefix)["topics"]
    assert {k: after[k] for k in before_existing} == before_existing  # existing topics untouched
    # rows that existed in customers before it was added arrive through the incremental snapshot...
    customers = consume_events(stack.bootstrap_servers, f"{prefix}.public.customers", _count("customers"))
    assert len(customers) >= _count("customers")
    assert {e["source"]["snapshot"] for e in customers} <= {"incremental", "true", "last"}
    # ...and the old tables are not snapshotted again
    again = consume_events(stack.bootstrap_servers, f"{prefix}.public.users", 1, timeout=5, start=users_end)
    assert again == []
    # rows inserted into a new table arrive
    invoice = int(localstack.psql("INSERT INTO invoices (customer_id, amount) VALUES (1, 99.50) RETURNING id")
                  .split()[0])
    assert consume_events(stack.bootstrap_servers, f"{prefix}.public.invoices", 1,
                          where=lambda e: e["op"] == "c" and e["after"]["id"] == invoice)
    r = kplan("plan", str(path), "--detailed-exitcode", env=PG_ENV)
    assert r.code == 0, r.text


def test_removing_a_table_keeps_its_topic_unless_prune_tables(stack, admin, cdc, tmp_path):
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", "products"]))
    assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0
    write_stack(path, _stack(stack, prefix, source, ["users"]))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 0, r.text
    assert f"{prefix}.public.products" in r.out and "left in place" in r.out
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in r.out
    assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0
    live = snapshot(admin, stack.connect_url, source)["connectors"][source]
    assert live["config"]["table.include.list"] == "public.users"
    assert f"{prefix}.public.products" in admin.list_topics(timeout=10).topics

    write_stack(path, _stack(stack, prefix, source, ["users"], prune_tables=True))
    r = kplan("plan", str(path), env=PG_ENV)
    assert "Plan: 0 to add, 0 to change, 1 to destroy." in r.out, r.text
    assert kplan("apply", str(path), "--auto-approve", env=PG_ENV).code == 0
    wait_for(lambda: f"{prefix}.public.products" not in admin.list_topics(timeout=10).topics, what="topic pruned")


def test_connector_is_not_created_when_its_topics_cannot_be(stack, admin, cdc, tmp_path):
    """The seeds' rule: a per-table topic the broker rejects means no connector, and the run rolls back."""
    prefix, source = cdc
    bad = {"name": "orders", "topic": {"config": {"remote.storage.enable": True}}}  # tiered storage is off
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", bad]))
    r = kplan("plan", str(path), env=PG_ENV)
    assert r.code == 1 and "broker would refuse" in r.text  # caught at plan time...
    r, plan_errors = apply_despite_plan_errors(path, env=PG_ENV)  # ...and, run anyway (a test helper: kplan
    assert plan_errors and r.code == 1, r.text  # never skips plan errors), refused at apply time and rolled back
    assert "FAILED" in r.out
    assert "The cluster is as it was before this apply." in r.err
    assert snapshot(admin, stack.connect_url, prefix)["topics"] == {}
    assert snapshot(admin, stack.connect_url, source)["connectors"] == {}
