"""A mirror's subjects across two real registries (`mirrors:` with `schemas: true`, issue 44 part 5): the source
topic's value subject on the local stack's registry (Apicurio 3.0.9) is planned, registered and evolved on a second
Apicurio beside a second broker and Connect worker (the target, started by the project's launcher on ports of its
own), under the replica's name, with the same schema; a failed apply undoes the new version there; destroy removes
what kplan registered there and leaves the source's subject alone."""

from __future__ import annotations

import json
import re

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.admin import NewTopic
from kplan_helpers import faulty_kplan, kplan, write_stack

import localstack

CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
# a namespace of its own: test_subjects.py registers and deletes for good an Order of kplan.test at the same time,
# and Apicurio 3.0.9 can leave a version half-written when one client deletes for good the last version holding a
# schema while another registers it (docs/systems-facts.md)
V1 = {"type": "record", "name": "Order", "namespace": "kplan.test.mirrorschemas",
      "fields": [{"name": "id", "type": "long"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "note", "type": "string", "default": ""}]}


def reg(base: str, method: str, path: str, body=None):
    r = requests.request(method, base + path, json=body, headers=CT, timeout=30)
    return r.status_code, (r.json() if r.content else None)


@pytest.fixture(scope="module")
def dr(stack, second_cluster):
    """A second broker, Connect worker and Apicurio registry: this test process's second cluster."""
    return second_cluster.get("kafka", "connect", "registry")


def _stack(stack, dr, prefix: str, topic: str) -> dict:
    return {
        "stack": prefix,
        "clusters": {"main": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s",
                              "schema_registry": {"url": localstack.REGISTRY_URL}},
                     "dr": {"bootstrap_servers": dr.bootstrap, "connect_url": dr.connect_url, "timeout": "20s",
                            "schema_registry": {"url": dr.registry_url}}},
        "mirrors": [{"name": prefix, "cluster": "dr", "source": "main", "replication_factor": 1,
                     "topics": [re.escape(topic)], "heartbeats": False, "schemas": True}],
    }


def test_a_mirror_registers_the_source_subjects_on_the_target_registry_and_destroy_removes_them(
        stack, dr, admin, unique, tmp_path):
    prefix = unique("msch")
    topic = f"{prefix}.orders"
    source, target = f"{topic}-value", f"main.{topic}-value"
    main_url = localstack.REGISTRY_URL
    # the source topic exists (the mirror's plan reads which topics of the source it replicates)
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "acks": "all"})
    producer.produce(topic, value=b"\0\0\0\0\1\2")  # once it has a leader (the wire format: magic byte, id)
    assert producer.flush(30) == 0
    code, body = reg(main_url, "POST", f"/subjects/{source}/versions", {"schema": json.dumps(V1)})
    assert code == 200, body  # a producer's serializer registered it on the source
    source_id = body["id"]
    path = write_stack(tmp_path / "stack.yaml", _stack(stack, dr, prefix, topic))
    try:
        plan = kplan("plan", str(path), "--no-color")
        assert plan.code == 0, plan.text
        assert f'+ subject "{target}"' in plan.out, plan.out
        assert (f"mirror '{prefix}' registers on the target's schema registry: {target} registered from main's "
                f"{source} version 1 (id {source_id})") in plan.out, plan.out
        r = kplan("apply", str(path), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        code, there = reg(dr.registry_url, "GET", f"/subjects/{target}/versions/latest")
        assert code == 200 and json.loads(there["schema"]) == V1, there  # the same schema
        same = "the same id" if there["id"] == source_id else f"id {there['id']} there, {source_id} on main"
        print(f"{target}: id {there['id']} on dr, {source_id} on main")

        again = kplan("plan", str(path), "--detailed-exitcode", "--no-color")
        assert again.code == 0 and "No changes" in again.out, again.text
        assert (f"mirror '{prefix}' schema ids on the target against the source: {target}: {same}") in again.out

        # a new version on the source: the plan shows it, apply registers it on the target
        code, body = reg(main_url, "POST", f"/subjects/{source}/versions", {"schema": json.dumps(V2)})
        assert code == 200, body
        plan = kplan("plan", str(path), "--no-color")
        assert plan.code == 0, plan.text
        assert f'~ subject "{target}"' in plan.out and 'schema["fields"]["note"]' in plan.out, plan.out
        assert f"{target} given a new version from main's {source} version 2" in plan.out, plan.out
        # undone as any subject: steps put-subject, record-ownership; the second fails after its write
        r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
        assert r.code != 0 and "rolled back" in r.text.lower(), r.text
        assert reg(dr.registry_url, "GET", f"/subjects/{target}/versions")[1] == [1]
        assert reg(dr.registry_url, "GET", f"/subjects/{target}/versions?deleted=true")[1] == [1]
        assert kplan("apply", str(path), "--auto-approve").code == 0
        code, there = reg(dr.registry_url, "GET", f"/subjects/{target}/versions/latest")
        assert code == 200 and there["version"] == 2 and json.loads(there["schema"]) == V2, there
    finally:
        gone = kplan("destroy", str(path), "--auto-approve", "--no-color")
    assert gone.code == 0, gone.text
    assert reg(dr.registry_url, "GET", f"/subjects/{target}/versions/latest")[0] == 404  # kplan's, deleted
    code, left = reg(main_url, "GET", f"/subjects/{source}/versions")
    assert code == 200 and left == [1, 2]  # the source's subject is not the stack's: left alone
    reg(main_url, "DELETE", f"/subjects/{source}")
    reg(main_url, "DELETE", f"/subjects/{source}?permanent=true")
    admin.delete_topics([topic])[topic].result(30)


def test_a_subject_the_mirror_gives_is_never_pruned_as_an_orphan(stack, dr, admin, unique, tmp_path):
    """A subject the mirror declares (`schemas: true`) that the target's registry already has, registered there by
    hand (no stack owns it), under a pruning claim on the target: the mirror's, given the source's new version, never
    listed as an orphan or deleted."""
    prefix = unique("msco")
    topic = f"{prefix}.orders"
    source, target = f"{topic}-value", f"main.{topic}-value"
    main_url = localstack.REGISTRY_URL
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    for url, subject, versions in ((main_url, source, (V1, V2)), (dr.registry_url, target, (V1,))):
        for schema in versions:
            code, body = reg(url, "POST", f"/subjects/{subject}/versions", {"schema": json.dumps(schema)})
            assert code == 200, body
    doc = _stack(stack, dr, prefix, topic)
    doc["claims"] = [{"prefix": f"main.{prefix}", "cluster": "dr", "kinds": ["subjects"], "prune": True}]
    path = write_stack(tmp_path / "stack.yaml", doc)
    try:
        plan = kplan("plan", str(path), "--no-color")
        assert plan.code == 0, plan.text
        assert f"subject {target!r} is under the claimed prefix" not in plan.out, plan.out
        assert f'- subject "{target}"' not in plan.out and f'~ subject "{target}"' in plan.out, plan.out
        assert f"{target} given a new version from main's {source} version 2" in plan.out, plan.out
        assert kplan("apply", str(path), "--auto-approve").code == 0
        code, there = reg(dr.registry_url, "GET", f"/subjects/{target}/versions/latest")
        assert code == 200 and json.loads(there["schema"]) == V2, there
    finally:
        gone = kplan("destroy", str(path), "--auto-approve", "--no-color")
    assert gone.code == 0, gone.text
    for url, subject in ((main_url, source), (dr.registry_url, target)):
        reg(url, "DELETE", f"/subjects/{subject}")
        reg(url, "DELETE", f"/subjects/{subject}?permanent=true")
    admin.delete_topics([topic])[topic].result(30)
