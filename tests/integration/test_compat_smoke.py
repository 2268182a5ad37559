"""The version matrix's smoke (issue 29): one stack with a topic, a FileStream sink created from declared offsets,
a SCRAM user, an ACL and a client quota, planned, applied, re-planned as "No changes" and destroyed over the
broker's SASL_SSL listener, each step checked on the cluster itself (the user logs in and may produce, the sink
reads from the declared offset, destroy takes everything away). `.ci/run` runs it on the other Kafka versions
(`make matrix-smoke`); `make matrix` runs it with every `compat` test."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType
from kplan_helpers import kplan, wait_for, write_stack
from test_quotas import broker_quotas, squotas  # noqa: F401 (squotas: a fixture)
from test_users import can_log_in, credentials

pytestmark = [pytest.mark.compat, pytest.mark.smoke]

ADMIN_VAR, USER_VAR = "KPLAN_TEST_SMOKE_ADMIN_PASSWORD", "KPLAN_TEST_SMOKE_USER_PASSWORD"


def _doc(secured, stack, name: str, topic: str, user: str, out, with_connector: bool) -> dict:
    doc = {"stack": name, "cluster": {
        "bootstrap_servers": secured.bootstrap_servers, "connect_url": stack.connect_url, "timeout": "20s",
        "client": {"security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512",
                   "sasl.username": secured.admin_user, "sasl.password": "${secret:env:" + ADMIN_VAR + "}",
                   "ssl.ca.location": secured.ca_file}},
        "topics": [{"name": topic, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": 3600000}}],
        "users": [{"name": user, "password": "${secret:env:" + USER_VAR + "}"}],
        "acls": [{"principal": f"User:{user}", "produce": [topic]}],
        "quotas": [{"user": user, "producer_byte_rate": 1048576}]}
    if with_connector:
        doc["connectors"] = [{"name": f"{name}-sink", "class": "FileStreamSink", "tasks_max": 1,
                              "config": {"topics": topic, "file": str(out)},
                              "offsets": {"request": "start-at-3", "set": [{"topic": topic, "partition": 0,
                                                                            "offset": 3}]}}]
    return doc


def _acls(sadmin, user: str) -> set[tuple[str, str]]:
    f = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{user}", None, AclOperation.ANY,
                         AclPermissionType.ANY)
    return {(b.name, b.operation.name) for b in sadmin.describe_acls(f).result(30)}


def _lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_plan_apply_destroy_of_every_kind_on_this_kafka(stack, secured, sadmin, squotas, unique,  # noqa: F811
                                                         tmp_path):
    name, topic, user = unique("smoke"), unique("smoke-t"), unique("smoke-u")
    password = f"smoke-{uuid.uuid4().hex}"
    env = {ADMIN_VAR: secured.admin_password, USER_VAR: password}
    out, connector = tmp_path / "sink.txt", f"{name}-sink"
    path = write_stack(tmp_path / "s.yaml", _doc(secured, stack, name, topic, user, out, with_connector=False))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)  # the topic, user, ACL and quota
        assert r.code == 0, r.text
        assert topic in sadmin.list_topics(timeout=20).topics
        assert credentials(sadmin, user) == {"SCRAM-SHA-512": 4096}
        assert can_log_in(secured, user, password)
        assert (topic, "WRITE") in _acls(sadmin, user)
        assert broker_quotas(squotas, user) == {"producer_byte_rate": 1048576.0}
        producer = Producer({**secured.kafka_config(user=user, password=password)})
        for i in range(5):
            producer.produce(topic, json.dumps(f"line-{i}").encode())  # the worker uses JsonConverter
        assert producer.flush(30) == 0  # the user's ACL lets it produce

        # the sink, created stopped at the declared offsets, then started: it never reads records 0..2
        write_stack(path, _doc(secured, stack, name, topic, user, out, with_connector=True))
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert f"create connector {connector} (stopped)" in r.out
        wait_for(lambda: len(_lines(out)) == 2, 60, "the new sink to read from offset 3")
        time.sleep(1)
        assert _lines(out) == ["line-3", "line-4"]
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes." in r.out, r.text

        # the sink's own consumer group is live until the connector goes, which destroy deletes first: the guard lets
        # the topic go without --allow-active-consumers (issue 41)
        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        wait_for(lambda: topic not in sadmin.list_topics(timeout=20).topics, 30, "the topic to be deleted")
        assert credentials(sadmin, user) == {}
        assert _acls(sadmin, user) == set()
        assert broker_quotas(squotas, user) == {}
        assert requests.get(f"{stack.connect_url}/connectors/{connector}", timeout=30).status_code == 404
    finally:
        kplan("destroy", str(path), "--auto-approve", "--allow-active-consumers", env=env)
