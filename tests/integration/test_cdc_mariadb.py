"""CDC end to end on real systems: MariaDB (row-based binlog) -> Debezium's MariaDB connector on Kafka Connect ->
per-table topics `<prefix>.<database>.<table>` and the schema-history topic, through kplan plan/apply; then a table
added to the stack."""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
import requests
from kplan_helpers import base_stack, cleanup, consume_events, kplan, snapshot, wait_for, write_stack

import localstack
from kplan.stackfile.cdc import server_id_for

MY_ENV = {"KPLAN_TEST_MARIADB_PASSWORD": localstack.MY_PASSWORD}
DB = localstack.MY_DATABASE


@pytest.fixture
def cdc(stack, admin, unique):
    """A unique topic prefix / source name (so a unique database.server.id, derived from it); removes the
    connector, the per-table topics and the schema-history topic afterwards (what a test left behind)."""
    prefix = unique("mdb").replace("-", "_")
    source = f"{prefix}-mariadb".replace("_", "-")
    yield prefix, source
    cleanup(admin, stack.connect_url, source)  # the connector first, so nothing writes to the topics any more
    cleanup(admin, stack.connect_url, prefix)
    cleanup(admin, stack.connect_url, f"schema-changes.{source}")


def _stack(stack, prefix, source, tables, **extra):
    doc = base_stack(prefix, stack)
    doc["defaults"] = {"topic": {"partitions": 1, "replication_factor": 1,
                                 "config": {"retention.ms": "7d", "compression.type": "snappy",
                                            "cleanup.policy": "delete"}}}
    doc["cdc"] = [{
        "name": source, "engine": "mariadb", "topic_prefix": prefix,
        "connection": {"host": localstack.HOST, "port": localstack.MY_PORT, "user": localstack.MY_USER,
                       "password": "${secret:env:KPLAN_TEST_MARIADB_PASSWORD}", "database": DB},
        "snapshot_mode": "initial",
        "tables": tables,
        **extra,
    }]
    return doc


def _running(connect_url, name):
    """The connector's status once it and all its tasks are RUNNING (a FAILED task fails the test at once)."""
    def check():
        r = requests.get(f"{connect_url}/connectors/{name}/status", timeout=10)
        if r.status_code != 200:
            return None
        body = r.json()
        failed = [t for t in body["tasks"] if t["state"] == "FAILED"]
        assert not failed, failed[0].get("trace", "")[:3000]
        ok = body["connector"]["state"] == "RUNNING" and body["tasks"] and all(
            t["state"] == "RUNNING" for t in body["tasks"])
        return body if ok else None

    return wait_for(check, timeout=60, what=f"connector {name} and its task RUNNING")


def _count(table):
    return int(localstack.mysql(f"SELECT COUNT(*) FROM {table}").strip())


def _changes(plan_json: str) -> dict:
    return {c["address"]: c["actions"] for c in json.loads(plan_json)["resource_changes"] if c["actions"] != ["no-op"]}


def test_mariadb_is_ready_for_cdc(stack):
    """The local MariaDB writes the binlog Debezium reads, the debezium account logs in over TCP with the
    replication grants, and Connect has the MariaDB plugin."""
    assert localstack.mysql("SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@server_id").split() == [
        "1", "ROW", "FULL", str(localstack.MY_SERVER_ID)]
    counts = localstack.mysql("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM orders), "
                              "(SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM customers), "
                              "(SELECT COUNT(*) FROM invoices)").split()
    assert all(int(n) > 0 for n in counts)
    client = localstack.my_bins(install=False)["client"]
    proc = subprocess.run([client, "--no-defaults", "-h", localstack.HOST, "-P", str(localstack.MY_PORT),
                           "-u", localstack.MY_USER, f"-p{localstack.MY_PASSWORD}", "-N", "-B", "-e", "SHOW GRANTS"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    # MariaDB 10.5+ spells REPLICATION CLIENT as BINLOG MONITOR
    for grant in ("SELECT", "RELOAD", "SHOW DATABASES", "LOCK TABLES", "REPLICATION SLAVE", "BINLOG MONITOR"):
        assert grant in proc.stdout
    plugins = {p["class"] for p in requests.get(f"{stack.connect_url}/connector-plugins", timeout=10).json()}
    assert "io.debezium.connector.mariadb.MariaDbConnector" in plugins


def test_mariadb_cdc_source_end_to_end(stack, admin, cdc, tmp_path):
    prefix, source = cdc
    history = f"schema-changes.{source}"
    high_volume = {"name": "orders", "topic": {"partitions": 3, "config": {"compression.type": "zstd",
                                                                            "retention.ms": "3d"}}}
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", high_volume, "products"]))

    # the plan: one topic per table named <prefix>.<database>.<table>, the schema-history topic, the connector
    r = kplan("plan", str(path), env=MY_ENV)
    assert r.code == 0, r.text
    for table in ("users", "orders", "products"):
        assert f'topic "{prefix}.{DB}.{table}"' in r.out
    assert f'topic "{history}"' in r.out and f'connector "{source}"' in r.out
    assert "Plan: 5 to add, 0 to change, 0 to destroy." in r.out
    r = kplan("plan", str(path), "--format", "json", env=MY_ENV)
    assert _changes(r.out) == {**{f"topic.{prefix}.{DB}.{t}": ["create"] for t in ("users", "orders", "products")},
                               f"topic.{history}": ["create"], f"connector.{source}": ["create"]}

    r = kplan("apply", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    assert localstack.MY_PASSWORD not in r.text
    # the topics, with the declared settings, on the broker
    topics = snapshot(admin, stack.connect_url, prefix)["topics"]
    assert set(topics) == {f"{prefix}.{DB}.users", f"{prefix}.{DB}.orders", f"{prefix}.{DB}.products"}
    assert topics[f"{prefix}.{DB}.users"] == {"partitions": 1, "rf": 1, "overrides": {
        "retention.ms": "604800000", "compression.type": "snappy", "cleanup.policy": "delete"}}
    assert topics[f"{prefix}.{DB}.orders"] == {"partitions": 3, "rf": 1, "overrides": {
        "retention.ms": "259200000", "compression.type": "zstd", "cleanup.policy": "delete"}}
    assert snapshot(admin, stack.connect_url, history)["topics"][history] == {"partitions": 1, "rf": 1, "overrides": {
        "cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}}
    # the connector and its task run, with the generated config
    status = _running(stack.connect_url, source)
    assert len(status["tasks"]) == 1
    live = snapshot(admin, stack.connect_url, source)["connectors"][source]["config"]
    assert live["connector.class"] == "io.debezium.connector.mariadb.MariaDbConnector"
    assert live["table.include.list"] == f"{DB}.users,{DB}.orders,{DB}.products"
    assert live["database.include.list"] == DB
    assert live["schema.history.internal.kafka.topic"] == history
    assert live["database.server.id"] == str(server_id_for(source)) != str(localstack.MY_SERVER_ID)
    assert live["database.password"] == localstack.MY_PASSWORD  # resolved at apply, never printed

    # the initial snapshot: existing rows arrive
    users = consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.users", _count("users"))
    assert len(users) == _count("users") and all(e["op"] == "r" for e in users)
    # a row inserted afterwards arrives as a change event, read from the binlog
    quantity = 7000 + int(time.time()) % 1000
    localstack.mysql(f"INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, {quantity})")
    inserted = consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.orders", 1,
                              where=lambda e: e["op"] == "c" and e["after"]["quantity"] == quantity)
    assert inserted, "the inserted row's change event did not arrive"
    assert inserted[0]["source"]["db"] == DB and inserted[0]["source"]["snapshot"] == "false"
    # DDL events are not written to a <prefix> topic the stack does not declare (the task would block on it)
    assert live["include.schema.changes"] == "false"
    _running(stack.connect_url, source)

    r = kplan("plan", str(path), "--detailed-exitcode", env=MY_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text


def test_mariadb_table_added_to_the_stack(stack, admin, cdc, tmp_path):
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", "orders", "products"]))
    r = kplan("apply", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    _running(stack.connect_url, source)
    # streaming once the snapshot's last table is in
    product_events = consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.products", _count("products"))
    assert len(product_events) == _count("products")
    before = snapshot(admin, stack.connect_url, prefix)["topics"]

    # adding customers: exactly one topic to add and the connector's table list to change
    write_stack(path, _stack(stack, prefix, source, ["users", "orders", "products", "customers"]))
    r = kplan("plan", str(path), "--format", "json", env=MY_ENV)
    assert r.code == 0, r.text
    assert _changes(r.out) == {f"topic.{prefix}.{DB}.customers": ["create"], f"connector.{source}": ["update"]}
    r = kplan("plan", str(path), env=MY_ENV)
    assert "table.include.list" in r.out and "Plan: 1 to add, 1 to change, 0 to destroy." in r.out, r.text

    r = kplan("apply", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    after = snapshot(admin, stack.connect_url, prefix)["topics"]
    assert {k: after[k] for k in before} == before  # the existing topics are untouched
    assert after[f"{prefix}.{DB}.customers"]["overrides"]["compression.type"] == "snappy"
    live = snapshot(admin, stack.connect_url, source)["connectors"][source]["config"]
    assert live["table.include.list"] == f"{DB}.users,{DB}.orders,{DB}.products,{DB}.customers"
    _running(stack.connect_url, source)

    # rows inserted into the added table arrive
    company = f"kplan-{uuid.uuid4().hex[:8]}"
    customer = int(localstack.mysql(f"INSERT INTO customers (company, country) VALUES ('{company}', 'NL') "
                                    "RETURNING id").split()[0])
    got = consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.customers", 1,
                         where=lambda e: e["op"] == "c" and e["after"]["id"] == customer)
    assert got and got[0]["after"]["company"] == company, "the inserted customer's change event did not arrive"

    r = kplan("plan", str(path), "--detailed-exitcode", env=MY_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text


def test_destroy_deletes_the_whole_source_its_schema_history_included(stack, admin, cdc, tmp_path):
    """The schema-history topic is protected by its source, not by the user: destroy deletes it together with the
    connector (connector first) and says so; only a user's `protect: true` refuses a destroy."""
    prefix, source = cdc
    history = f"schema-changes.{source}"
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users", "orders"]))
    r = kplan("apply", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    _running(stack.connect_url, source)

    r = kplan("plan", str(path), "--destroy", env=MY_ENV)
    assert r.code == 0, r.text
    assert f"DATA LOSS: the schema history of cdc source '{source}': topic '{history}' is deleted" in r.out
    assert "protect" not in r.out  # nothing to un-protect: the user never protected anything
    assert "Plan: 0 to add, 0 to change, 4 to destroy." in r.out

    r = kplan("destroy", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    assert r.out.index(f"delete connector {source}") < r.out.index("delete 3 topic(s)")
    assert source not in requests.get(f"{stack.connect_url}/connectors", timeout=30).json()
    wait_for(lambda: not {t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix) or t == history},
             what="every topic of the source deleted")
    r = kplan("plan", str(path), "--destroy", "--detailed-exitcode", env=MY_ENV)
    assert r.code == 0 and "No changes." in r.out, r.text

    # a protect: true the user wrote still refuses
    doc = _stack(stack, prefix, source, ["users"])
    doc["cdc"][0]["connector"] = {"protect": True}
    write_stack(path, doc)
    assert kplan("apply", str(path), "--auto-approve", env=MY_ENV).code == 0
    r = kplan("destroy", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 1 and f"connector '{source}' is protected (protect: true)" in r.text, r.text
    assert f"topic '{history}' holds the schema history of cdc source '{source}'" in r.text
    assert history in admin.list_topics(timeout=10).topics
    _running(stack.connect_url, source)


def test_a_source_destroyed_and_applied_again_starts_clean(stack, admin, cdc, tmp_path):
    """After destroy, the connector's offsets are gone with it: the source applied again takes a new snapshot
    into its new topics and records a new schema history (with its old offsets it would fail: "The db history
    topic is missing")."""
    prefix, source = cdc
    path = write_stack(tmp_path / "cdc.yaml", _stack(stack, prefix, source, ["users"]))
    assert kplan("apply", str(path), "--auto-approve", env=MY_ENV).code == 0
    _running(stack.connect_url, source)
    assert len(consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.users", _count("users"))) == _count("users")

    r = kplan("destroy", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    wait_for(lambda: f"{prefix}.{DB}.users" not in admin.list_topics(timeout=10).topics, what="topic deleted")

    r = kplan("apply", str(path), "--auto-approve", env=MY_ENV)
    assert r.code == 0, r.text
    _running(stack.connect_url, source)
    again = consume_events(stack.bootstrap_servers, f"{prefix}.{DB}.users", _count("users"))
    assert len(again) == _count("users") and all(e["op"] == "r" for e in again)
    _running(stack.connect_url, source)
