"""`kplan import` on the real stack: topics, a connector, ACLs and a quota made by hand (admin client and Connect's
REST API, not kplan) -> `kplan import` -> `kplan validate` passes -> `kplan plan` shows no changes (only the
adoption into ownership) -> apply adopts them; no secret value in the written files. And over the secured SASL_SSL
listener with `--cluster-from`, into a directory stack."""

from __future__ import annotations

import re

import by_hand
import pytest
import requests
import yaml
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kafka.admin import KafkaAdminClient
from kplan_helpers import kplan, stack_doc, wait_for, write_stack
from test_cdc import cdc  # noqa: F401 - the fixture (a unique source name; its slot dropped afterwards)
from test_quotas import broker_quotas, set_by_hand

SINK_PASSWORD = "import-test-sink-password"


def _create(admin, topics) -> None:
    """Create the topics and wait until the broker lists them: an import reads an existing cluster, and right after a
    creation the broker's metadata can lag the controller for a moment under load (seen with 4 test workers)."""
    for f in admin.create_topics(topics).values():
        f.result(30)
    names = {t.topic for t in topics}
    wait_for(lambda: names <= set(admin.list_topics(timeout=20).topics), 30, f"the broker to list {sorted(names)}")


def _acls(principal: str, topic: str, group_prefix: str) -> list[AclBinding]:
    return [AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*", AclOperation.READ,
                       AclPermissionType.ALLOW),
            AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*",
                       AclOperation.DESCRIBE, AclPermissionType.ALLOW),
            AclBinding(ResourceType.GROUP, group_prefix, ResourcePatternType.PREFIXED, principal, "*",
                       AclOperation.READ, AclPermissionType.ALLOW)]


def _drop_acls(admin, principal: str) -> None:
    flt = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, principal, None, AclOperation.ANY,
                           AclPermissionType.ANY)
    for f in admin.delete_acls([flt]).values():
        f.result(30)


@pytest.mark.compat
def test_import_then_validate_then_plan_shows_no_changes(stack, admin, prefix, tmp_path):
    orders, plain, files = f"{prefix}.orders", f"{prefix}.plain", f"{prefix}.files"
    _create(admin, [
        NewTopic(orders, 3, 1, config={"retention.ms": "259200000", "cleanup.policy": "compact,delete",
                                       "segment.bytes": "536870912", "min.insync.replicas": "1"}),
        NewTopic(plain, 1, 1), NewTopic(files, 2, 1, config={"retention.bytes": "-1"})])
    sink = f"{prefix}-sink"
    r = requests.put(f"{stack.connect_url}/connectors/{sink}/config", timeout=60, json={
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": "1",
        "topics": files, "file": str(tmp_path / "sink.txt"),
        "sink.password": SINK_PASSWORD,              # a secret: must become a reference
        "extra.path": "${env:PATH}",                 # a Connect config-provider placeholder: kept as it is
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"})
    assert r.status_code == 201, r.text
    principal = f"User:{prefix}-app"
    by_hand.create_acls(admin, _acls(principal, orders, f"{prefix}-"))
    quotas = KafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    set_by_hand(quotas, f"{prefix}-app", {"consumer_byte_rate": 2.0 * 1024 * 1024})
    out = tmp_path / "imported.yaml"
    try:
        r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers,
                  "--connect-url", stack.connect_url, "--prefix", prefix, "-o", str(out))
        assert r.code == 0, r.text
        assert f"{prefix.upper().replace('-', '_')}_SINK_SINK_PASSWORD" in r.out
        text = out.read_text()
        assert SINK_PASSWORD not in text and SINK_PASSWORD not in r.text
        doc = yaml.safe_load(text)
        assert "topics" in doc, f"no topics imported: {r.text}\n{text}"
        topics = {t["name"]: t for t in doc["topics"]}
        assert set(topics) == {orders, plain, files}
        assert topics[orders]["config"] == {"cleanup.policy": ["compact", "delete"], "min.insync.replicas": 1,
                                            "retention.ms": "3d", "segment.bytes": "512MiB"}
        assert "config" not in topics[plain]  # only the topic's own overrides, never broker defaults
        assert topics[files]["config"] == {"retention.bytes": "infinite"}
        (connector,) = doc["connectors"]
        var = connector["config"]["sink.password"].removeprefix("${secret:env:").removesuffix("}")
        assert connector["config"]["extra.path"] == "${env:PATH}"
        assert doc["acls"] == [{"principal": principal, "allow": [
            {"resource": "group", "name": f"{prefix}-", "pattern": "prefixed", "operations": ["READ"]},
            {"resource": "topic", "name": orders, "operations": ["DESCRIBE", "READ"]}]}]
        assert doc["quotas"] == [{"user": f"{prefix}-app", "consumer_byte_rate": "2MiB"}]

        r = kplan("validate", str(out))
        assert r.code == 0, r.text
        env = {var: SINK_PASSWORD}
        r = kplan("plan", str(out), "--detailed-exitcode", env=env)
        assert r.code == 0, r.text
        assert "No changes." in r.out
        assert "existing resources match the stack but are not yet recorded as owned by it" in r.out
        assert SINK_PASSWORD not in r.text
        r = kplan("apply", str(out), "--auto-approve", env=env)
        assert r.code == 0, r.text
        r = kplan("plan", str(out), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out and "not yet recorded" not in r.out, r.text
        # importing again, now that the stack owns everything, gives the same files
        again = tmp_path / "again.yaml"
        r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers,
                  "--connect-url", stack.connect_url, "--prefix", prefix, "-o", str(again))
        assert r.code == 0, r.text
        assert again.read_text().split("\n", 2)[2] == text.split("\n", 2)[2]  # the same, but for the header
        r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers, "-o", str(out))
        assert r.code == 1 and "already exist" in r.err and "Traceback" not in r.text
        r = kplan("plan", str(out), env={var: "a-different-password"})
        assert r.code == 0 and "sink.password" in r.out and "a-different-password" not in r.text, r.text
    finally:
        _drop_acls(admin, principal)
        set_by_hand(quotas, f"{prefix}-app", {"consumer_byte_rate": None})
        wait_for(lambda: broker_quotas(quotas, f"{prefix}-app") == {}, 30, "the hand-made quota removed")
        quotas.close()


@pytest.mark.compat
def test_import_over_sasl_ssl_with_the_cluster_of_a_stack_into_a_directory(secured, sadmin, unique, tmp_path):
    name = unique("import-sec")
    _create(sadmin, [NewTopic(f"{name}.events", 2, 1, config={"retention.ms": "86400000"})])
    var = "KPLAN_TEST_IMPORT_ADMIN_PASSWORD"
    cluster = {"bootstrap_servers": secured.bootstrap_servers, "timeout": "20s",
               "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                          "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + var + "}",
                          "ssl.ca.location": secured.ca_file}}
    source = write_stack(tmp_path / "cluster.yaml", {"stack": "anything", "cluster": cluster})
    out = tmp_path / "imported"
    env = {var: secured.admin_password}
    try:
        r = kplan("import", "--stack", name, "--cluster-from", str(source), "--prefix", name, "--no-acls",
                  "-o", str(out), env=env)
        assert r.code == 0, r.text
        assert sorted(p.name for p in out.iterdir()) == ["stack.yaml", "topics.yaml"]
        head = yaml.safe_load((out / "stack.yaml").read_text())
        # written as it was (the password still a reference), pinned to the cluster read (cluster.id)
        cluster_id = sadmin.describe_cluster(request_timeout=20).result(25).cluster_id
        assert head == {"stack": name, "cluster": {"id": cluster_id, **cluster}}
        assert yaml.safe_load((out / "topics.yaml").read_text()) == {"topics": [
            {"name": f"{name}.events", "partitions": 2, "replication_factor": 1, "config": {"retention.ms": "1d"}}]}
        assert all(secured.admin_password not in p.read_text() for p in out.iterdir())
        r = kplan("validate", str(out), env=env)
        assert r.code == 0, r.text
        r = kplan("plan", str(out), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out, r.text
        r = kplan("import", "--stack", name, "--cluster-from", str(source), "-o", str(tmp_path / "x.yaml"))
        assert r.code == 1 and var in r.err and "Traceback" not in r.text, r.text  # the secret is not set
    finally:
        for f in sadmin.delete_topics([f"{name}.events"]).values():
            f.result(30)


def test_import_recognises_a_hand_made_debezium_connector_as_a_cdc_source(stack, admin, cdc, tmp_path):  # noqa: F811
    import localstack

    prefix, source = cdc
    slot = source.replace("-", "_")
    _create(admin, [NewTopic(f"{prefix}.public.{t}", 1, 1, config={"retention.ms": "604800000"})
                    for t in ("users", "orders")])
    r = requests.put(f"{stack.connect_url}/connectors/{source}/config", timeout=60, json={
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": "1",
        "database.hostname": "127.0.0.1", "database.port": str(localstack.PG_PORT),
        "database.user": localstack.PG_USER, "database.password": localstack.PG_PASSWORD,
        "database.dbname": localstack.PG_DATABASE, "topic.prefix": prefix, "plugin.name": "pgoutput",
        "slot.name": slot, "publication.name": f"{slot}_pub",
        "table.include.list": "public.users,public.orders", "snapshot.mode": "initial",
        "heartbeat.interval.ms": "10000"})           # a key kplan's template does not generate
    assert r.status_code == 201, r.text
    out = tmp_path / "cdc.yaml"
    r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers,
              "--connect-url", stack.connect_url, "--prefix", prefix, "--prefix", source, "--cdc", "-o", str(out))
    assert r.code == 0, r.text
    text = out.read_text()
    assert localstack.PG_PASSWORD not in text
    doc = yaml.safe_load(text)
    assert "connectors" not in doc and "topics" not in doc, r.err + text  # the source stands for both
    (entry,) = doc["cdc"]
    assert entry["engine"] == "postgres" and entry["topic_prefix"] == prefix
    assert entry["tables"] == ["public.users", "public.orders"]
    assert entry["topic_defaults"] == {"partitions": 1, "replication_factor": 1, "config": {"retention.ms": "7d"}}
    extra = entry["connector"]["config"]
    assert extra["heartbeat.interval.ms"] == "10000"
    assert extra.get("publication.autocreate.mode", "absent") is None  # generated, absent live: removed
    var = entry["connection"]["password"].removeprefix("${secret:env:").removesuffix("}")
    assert var in r.out
    r = kplan("validate", str(out))
    assert r.code == 0, r.text
    r = kplan("plan", str(out), "--detailed-exitcode", env={var: localstack.PG_PASSWORD})
    assert r.code == 0 and "No changes." in r.out, r.text


def test_import_of_schema_registry_subjects_loads_back_to_no_changes(stack, prefix, tmp_path):
    """Subjects registered by hand (an Avro record referencing another, a JSON Schema with its own level, a
    Protobuf file) -> `kplan import --schema-registry` -> validate -> plan adopts them, nothing else -> apply ->
    no changes. Only the subjects with the prefix are imported."""
    import json

    registry = stack.schema_registry_url
    ct = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
    address, customer, event, js = (f"{prefix}.address", f"{prefix}.customer", f"{prefix}.event", f"{prefix}.js")
    addr = {"type": "record", "name": "Address", "namespace": "imp", "fields": [{"name": "city", "type": "string"}]}
    cust = {"type": "record", "name": "Customer", "namespace": "imp",
            "fields": [{"name": "id", "type": "long"}, {"name": "address", "type": "imp.Address"}]}
    bodies = [(address, {"schema": json.dumps(addr)}),
              (customer, {"schema": json.dumps(cust),
                          "references": [{"name": "imp.Address", "subject": address, "version": 1}]}),
              (event, {"schemaType": "PROTOBUF",
                       "schema": 'syntax = "proto3";\npackage imp;\nmessage E { string id = 1; }\n'}),
              (js, {"schemaType": "JSON",
                    "schema": json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})})]
    try:
        for subject, body in bodies:
            r = requests.post(f"{registry}/subjects/{subject}/versions", json=body, headers=ct, timeout=10)
            assert r.status_code == 200, r.text
        assert requests.put(f"{registry}/config/{js}", json={"compatibility": "FULL"}, headers=ct,
                            timeout=10).status_code == 200
        out = tmp_path / "imported.yaml"
        r = kplan("import", "--stack", prefix, "-o", str(out), "--bootstrap-servers", stack.bootstrap_servers,
                  "--schema-registry", registry, "--prefix", prefix, "--no-topics", "--no-connectors", "--no-acls",
                  "--no-quotas")
        assert r.code == 0, r.text
        assert "4 subject(s)" in r.out, r.out
        doc = yaml.safe_load(out.read_text())
        by_name = {s["name"]: s for s in doc["subjects"]}
        assert sorted(by_name) == sorted([address, customer, event, js])
        assert by_name[customer]["references"] == [{"name": "imp.Address", "subject": address, "version": 1}]
        assert by_name[js]["type"] == "json" and by_name[js]["compatibility"] == "FULL"
        assert by_name[event]["type"] == "protobuf" and "compatibility" not in by_name[address]
        assert kplan("validate", str(out)).code == 0
        r = kplan("plan", str(out))
        assert r.code == 0 and "No changes." in r.out, r.text
        assert "4 existing resources match the stack but are not yet recorded as owned by it" in r.out, r.out
        assert kplan("apply", str(out), "--auto-approve").code == 0
        r = kplan("plan", str(out))
        assert "No changes." in r.out and "not yet recorded" not in r.out, r.text
        for subject, _ in bodies:
            assert requests.get(f"{registry}/subjects/{subject}/versions", timeout=10).json() == [1]
    finally:
        for subject, _ in reversed(bodies):
            requests.delete(f"{registry}/subjects/{subject}", timeout=10)
            requests.delete(f"{registry}/subjects/{subject}", params={"permanent": "true"}, timeout=10)


def test_import_cdc_keeps_the_connectors_owner_and_labels(stack, admin, cdc, tmp_path):  # noqa: F811
    """Issue 41 (11): a connector kplan applied with an owner and labels, imported with --cdc into the same stack,
    became a `cdc:` source without them, so the next plan changed the metadata of the connector and its topics.
    A source whose topics' recorded metadata differ from its connector's stays a plain connector (a cdc source
    gives all it generates one owner)."""
    import localstack

    prefix, source = cdc
    slot = source.replace("-", "_")
    meta = {"owner": "team-shop", "description": "the shop's orders", "labels": {"tier": "gold"}}
    topic = {"partitions": 1, "replication_factor": 1, "config": {"retention.ms": "7d"}}
    connector = {"name": source, "class": "io.debezium.connector.postgresql.PostgresConnector", "tasks_max": 1,
                 "config": {"database.hostname": "127.0.0.1", "database.port": str(localstack.PG_PORT),
                            "database.user": localstack.PG_USER, "database.password": "${secret:env:KPLAN_TEST_PW}",
                            "database.dbname": localstack.PG_DATABASE, "topic.prefix": prefix,
                            "plugin.name": "pgoutput", "slot.name": slot, "publication.name": f"{slot}_pub",
                            "table.include.list": "public.users,public.orders", "snapshot.mode": "no_data"}}

    def declared(orders_labels: dict) -> dict:
        doc = stack_doc(stack, prefix, [{"name": f"{prefix}.public.users", **meta, **topic},
                                        {"name": f"{prefix}.public.orders", **meta, **topic,
                                         "labels": orders_labels}],
                        [{**connector, **meta}])
        return doc

    env = {"KPLAN_TEST_PW": localstack.PG_PASSWORD}
    path = write_stack(tmp_path / "declared.yaml", declared(meta["labels"]))
    r = kplan("apply", str(path), "--auto-approve", env=env)
    assert r.code == 0, r.text

    def imported(name: str):
        out = tmp_path / name
        r = kplan("import", "--stack", prefix, "--bootstrap-servers", stack.bootstrap_servers,
                  "--connect-url", stack.connect_url, "--prefix", prefix, "--prefix", source, "--cdc", "-o", str(out))
        assert r.code == 0, r.text
        doc = yaml.safe_load(out.read_text())
        (var,) = set(re.findall(r"\$\{secret:env:(\w+)\}", out.read_text()))  # the database password's
        return out, doc, r, {var: localstack.PG_PASSWORD}

    out, doc, r, written_env = imported("cdc.yaml")
    (entry,) = doc["cdc"]
    assert "connectors" not in doc and "topics" not in doc, r.text
    assert {k: entry.get(k) for k in meta} == meta, entry
    r = kplan("plan", str(out), "--detailed-exitcode", env=written_env)
    assert r.code == 0 and "No changes." in r.out, r.text

    # the orders topic labelled otherwise than its connector: a cdc source cannot say so, the connector stays plain
    r = kplan("apply", str(write_stack(path, declared({"tier": "silver"}))), "--auto-approve", env=env)
    assert r.code == 0, r.text
    out, doc, r, written_env = imported("plain.yaml")
    assert "cdc" not in doc and [c["name"] for c in doc["connectors"]] == [source], r.text
    assert f"connector {source!r} kept as a plain connector" in r.out + r.err and "metadata" in r.out + r.err
    assert {k: doc["connectors"][0].get(k) for k in meta} == meta
    r = kplan("plan", str(out), "--detailed-exitcode", env=written_env)
    assert r.code == 0 and "No changes." in r.out, r.text
