"""Group configs (KIP-848's GROUP config resources) as a kind, on the real stack.

A consumer group's and a share group's dynamic configs are refused at plan when the brokers would refuse them (a
validate-only request: nothing written), applied and read back with DescribeConfigs (kafka-python's own request on
config resource type 32, not kplan's reader), re-planned as "No changes", changed (an apply failed right after the
step's writes rolls back to the exact values before), and destroyed: every key of every group back to the brokers'
default, exactly, while a key set outside kplan stays as it was. Groups need not exist for their configs: none is
started, and the names are unique, so the tests run beside the others.

`compat`: on a Kafka without group configs (3.9: "Unknown resource type 32"; kplan lists them through KIP-1142's
ListConfigResources, 4.1+) the plan is refused with one located line and nothing is written.
"""

from __future__ import annotations

import os
import re

import pytest
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest
from kplan_helpers import faulty_kplan, kplan, lock_exists, wait_for, write_stack

GROUP = 32  # the GROUP config resource type
GROUP_CONFIG = 8  # the config source of a group's own value
SET, DELETE = 0, 1
BY_HAND = {"consumer.assignment.interval.ms": "2000"}  # set on the consumer group outside kplan


def _supported() -> bool:
    """Group configs on the stack's Kafka: the default stack's (4.3.1) and the matrix's 4.1 and newer."""
    version = os.environ.get("KPLAN_KAFKA_VERSION")
    return version is None or tuple(int(p) for p in version.split(".")[:2]) >= (4, 1)


def _send(admin: KafkaAdminClient, request):
    async def call():
        return await admin._manager.send(request)

    return admin._manager.run(call)


def _describe(admin: KafkaAdminClient, groups: list[str]) -> dict[str, dict[str, tuple[str, int]]]:
    """Per group, every key the brokers list with its effective value and source."""
    response = _send(admin, DescribeConfigsRequest(resources=[(GROUP, g, None) for g in groups],
                                                   include_synonyms=False, min_version=1))
    out = {}
    for result in response.results:
        assert result.error_code == 0, result
        out[result.resource_name] = {c.name: (c.value, c.config_source) for c in result.configs}
    return out


def _own(admin: KafkaAdminClient, group: str) -> dict[str, str]:
    return {k: v for k, (v, source) in _describe(admin, [group])[group].items() if source == GROUP_CONFIG}


def _alter(admin: KafkaAdminClient, group: str, values: dict[str, str | None]) -> None:
    ops = [(k, DELETE if v is None else SET, v) for k, v in values.items()]
    response = _send(admin, IncrementalAlterConfigsRequest(resources=[(GROUP, group, ops)], validate_only=False))
    assert all(r.error_code == 0 for r in response.responses), response


@pytest.fixture
def groups(stack, unique):
    admin = KafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
    name = unique("gcfg")
    made = [f"{name}.orders", f"{name}.queue"]
    yield name, made, admin
    if _supported():  # whatever a failed test left goes
        for g in made:
            left = _own(admin, g)
            if left:
                _alter(admin, g, dict.fromkeys(left))
    admin.close()


def _doc(stack, name: str, entries: list[dict]) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "20s"},
            "group_configs": entries}


V1 = {"consumer.session.timeout.ms": 60000, "consumer.heartbeat.interval.ms": 6000}
V1_QUEUE = {"share.record.lock.duration.ms": 45000, "share.auto.offset.reset": "earliest"}


def _strings(values: dict) -> dict[str, str]:
    return {k: str(v) for k, v in values.items()}


@pytest.mark.skipif(not _supported(), reason="group configs need Kafka 4.1 or newer")
def test_refused_at_plan_applied_changed_rolled_back_and_destroyed_to_the_defaults_exactly(stack, admin, groups,
                                                                                         tmp_path):
    name, (orders, queue), kp = groups
    defaults = _describe(kp, [orders, queue])
    assert len(defaults[orders]) >= 17 and all(s != GROUP_CONFIG for _, s in defaults[orders].values())
    _alter(kp, orders, BY_HAND)
    # the controller has it; the broker that answers DescribeConfigs shows it a moment later (under load, later)
    wait_for(lambda: _own(kp, orders) == BY_HAND, 30, "the broker to show the group's hand-set config")

    # out of the brokers' range: refused at plan (validate-only), one located line, nothing written
    bad = write_stack(tmp_path / "bad.yaml", _doc(stack, name, [
        {"group": orders, "configs": {"consumer.session.timeout.ms": 5}}]))
    r = kplan("plan", str(bad))
    assert r.code == 1, r.text
    assert re.search(rf"bad\.yaml:\d+:\d+: group_config\.{re.escape(orders)}: the brokers refuse the configs of "
                     rf"group {re.escape(orders)}: consumer\.session\.timeout\.ms must be greater than or equal to "
                     r"group\.consumer\.min\.session\.timeout\.ms", r.text), r.text
    assert _own(kp, orders) == BY_HAND

    v1 = write_stack(tmp_path / "v1.yaml", _doc(stack, name, [{"group": orders, "configs": V1},
                                                              {"group": queue, "configs": V1_QUEUE}]))
    r = kplan("apply", str(v1), "--auto-approve")
    assert r.code == 0, r.text
    assert _own(kp, orders) == {**BY_HAND, **_strings(V1)}
    assert _own(kp, queue) == _strings(V1_QUEUE)
    r = kplan("plan", str(v1), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text
    assert "consumer.assignment.interval.ms" in r.out  # the key set by hand: shown as drift, left alone

    # v2: one key changed, one dropped (kplan set it: deleted), the share group's entry dropped (its keys deleted)
    v2 = write_stack(tmp_path / "v2.yaml", _doc(stack, name, [
        {"group": orders, "configs": {"consumer.session.timeout.ms": 50000}}]))
    r = kplan("plan", str(v2))
    assert r.code == 0, r.text
    assert re.search(r"~ consumer\.session\.timeout\.ms\s+= 60000 \(1m\) -> 50000 \(50s\)", r.out), r.out
    assert re.search(r"- consumer\.heartbeat\.interval\.ms\s+= 6000 \(6s\)\s+# set by kplan, no longer declared",
                     r.out), r.out
    r = faulty_kplan("apply", str(v2), "--auto-approve", fail_at="step:1")
    assert r.code != 0 and "injected failure" in r.text and "rolled back" in r.text.lower(), r.text
    assert _own(kp, orders) == {**BY_HAND, **_strings(V1)}  # exactly v1's values again
    assert _own(kp, queue) == _strings(V1_QUEUE)
    r = kplan("apply", str(v2), "--auto-approve")
    assert r.code == 0, r.text
    assert _own(kp, orders) == {**BY_HAND, "consumer.session.timeout.ms": "50000"}
    assert _own(kp, queue) == {}
    r = kplan("plan", str(v2), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text

    r = kplan("destroy", str(v2), "--auto-approve")
    assert r.code == 0, r.text
    after = _describe(kp, [orders, queue])
    assert after[queue] == defaults[queue]  # every key of the share group: the brokers' default, exactly
    assert {k: v for k, v in after[orders].items() if k not in BY_HAND} == \
        {k: v for k, v in defaults[orders].items() if k not in BY_HAND}
    assert _own(kp, orders) == BY_HAND  # the key set by hand is not kplan's: still there
    assert not lock_exists(admin, name, {"bootstrap.servers": stack.bootstrap_servers})


@pytest.mark.compat
def test_group_configs_on_this_kafka(stack, groups, tmp_path):
    """Applied and destroyed where the brokers have group configs; refused with one located line where not."""
    name, (orders, _), kp = groups
    path = write_stack(tmp_path / "s.yaml", _doc(stack, name, [
        {"group": orders, "configs": {"consumer.session.timeout.ms": 50000}}]))
    if not _supported():
        r = kplan("plan", str(path))
        assert r.code == 1, r.text
        errors = [line for line in r.text.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and re.search(
            rf"/s\.yaml:\d+:\d+: group_config\.{re.escape(orders)}: the stack declares group configs, but the "
            r"cluster does not support them: group configs need Kafka 4\.1 or newer", errors[0]), r.text
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 1 and "need Kafka 4.1 or newer" in r.text, r.text
        return
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _own(kp, orders) == {"consumer.session.timeout.ms": "50000"}
    r = kplan("plan", str(path), "--detailed-exitcode")
    assert r.code == 0, r.text
    r = kplan("destroy", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _own(kp, orders) == {}
