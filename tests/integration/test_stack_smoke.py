"""Proof that the local stack is real: a broker that stores topic configs, a Connect worker that runs
connectors and moves records, and the Debezium PostgreSQL plugin on its plugin path."""

from __future__ import annotations

import json
import time

import requests
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic
from kplan_helpers import wait_for


def _admin(stack) -> AdminClient:
    return AdminClient({"bootstrap.servers": stack.bootstrap_servers})




def test_topic_with_configs_round_trips_through_the_admin_api(stack, unique):
    admin = _admin(stack)
    name = unique("smoke-topic")
    configs = {"retention.ms": "86400000", "cleanup.policy": "compact", "compression.type": "zstd"}
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1, config=configs)])[name].result(30)
    try:
        md = wait_for(lambda: (t := admin.list_topics(name, timeout=10).topics.get(name)) and t.error is None and t,
                   what="topic metadata")
        assert len(md.partitions) == 3
        res = ConfigResource(ConfigResource.Type.TOPIC, name)
        entries = admin.describe_configs([res])[res].result(30)
        overrides = {k: e.value for k, e in entries.items()
                     if ConfigSource(e.source) == ConfigSource.DYNAMIC_TOPIC_CONFIG}
        assert overrides == configs
    finally:
        admin.delete_topics([name])[name].result(30)


def test_filestream_source_connector_runs_and_moves_records(stack, unique, tmp_path):
    admin = _admin(stack)
    topic = unique("smoke-file")
    connector = unique("smoke-file-src")
    lines = [f"line-{i}" for i in range(5)]
    source = tmp_path / "input.txt"
    source.write_text("\n".join(lines) + "\n")
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    config = {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max": "1",
        "file": str(source),
        "topic": topic,
    }
    r = requests.put(f"{stack.connect_url}/connectors/{connector}/config", json=config, timeout=30)
    assert r.status_code == 201, r.text
    try:
        def running():
            s = requests.get(f"{stack.connect_url}/connectors/{connector}/status", timeout=10)
            if s.status_code != 200:
                return None
            body = s.json()
            ok = body["connector"]["state"] == "RUNNING" and body["tasks"] and all(
                t["state"] == "RUNNING" for t in body["tasks"])
            return body if ok else None

        status = wait_for(running, what="connector and task RUNNING")
        assert len(status["tasks"]) == 1
        listed = requests.get(f"{stack.connect_url}/connectors", timeout=10).json()
        assert connector in listed

        consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": unique("smoke-group"),
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([topic])
        got: list[str] = []
        deadline = time.monotonic() + 60
        try:
            while len(got) < len(lines) and time.monotonic() < deadline:
                msg = consumer.poll(1.0)
                if msg is None or msg.error():
                    continue
                got.append(json.loads(msg.value()))  # JsonConverter, schemas disabled: a JSON string
        finally:
            consumer.close()
        assert got == lines
    finally:
        requests.delete(f"{stack.connect_url}/connectors/{connector}", timeout=30)
        admin.delete_topics([topic])[topic].result(30)


def test_connect_has_the_debezium_postgres_plugin(stack):
    r = requests.get(f"{stack.connect_url}/connector-plugins", timeout=10)
    assert r.status_code == 200
    classes = {p["class"] for p in r.json()}
    assert "io.debezium.connector.postgresql.PostgresConnector" in classes
    assert "org.apache.kafka.connect.file.FileStreamSourceConnector" in classes


def test_broker_runs_kraft_and_the_pinned_version(stack):
    admin = _admin(stack)
    cluster = admin.describe_cluster(request_timeout=10).result(30)
    assert cluster.cluster_id and len(cluster.nodes) == 1
    root = requests.get(f"{stack.connect_url}/", timeout=10).json()
    import localstack

    assert root["version"] == localstack.pom_versions()["kafka"]


def test_postgres_is_ready_for_logical_decoding_with_the_demo_database(stack):
    import localstack

    assert localstack.psql("SHOW wal_level").strip() == "logical"
    counts = localstack.psql(
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM orders), (SELECT count(*) FROM products),"
        " (SELECT count(*) FROM customers), (SELECT count(*) FROM invoices)").strip()
    assert all(int(n) > 0 for n in counts.split("|"))


def test_the_stack_runs_without_fsync(stack):
    """Every service the launcher starts has libeatmydata preloaded (dev/localstack/nosync.py: a test stack's data is
    thrown away, and its fsyncs made the stage that restarts it wait on the disk); the library is mapped into each
    running process, the JVMs, the databases and the registry alike."""
    import localstack
    from localstack import nosync

    lib = nosync.library()
    assert lib is not None, "libeatmydata is neither installed nor installable here (Debian's eatmydata package)"
    for svc in localstack.services(secured=True):
        pid = svc.pid()
        assert pid is not None, f"{svc.name} is not running"
        with open(f"/proc/{pid}/maps", encoding="utf-8") as f:
            mapped = f.read()
        assert lib.name.split(".so")[0] in mapped, (
            f"{svc.name} (pid {pid}) runs with fsync: started before the launcher preloaded libeatmydata? "
            "`dev/stack down && dev/stack up --secured` restarts it")
