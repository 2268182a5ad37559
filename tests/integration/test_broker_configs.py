"""Dynamic broker configs as a kind, on the real 3-broker KRaft cluster (the launcher's `multibroker` cluster).

A cluster-wide dynamic default and a per-broker override (broker 2 only) are planned, applied and read back from
every broker with describe_configs; an apply failed right after the broker-config step's writes is rolled back to
the exact dynamic values before (a key set by hand gets its value back, keys that were absent are absent again);
a setting that can cut the cluster off is refused at plan, naming the key and the override.

Broker configs are shared cluster state: the tests run serially on the 3-broker cluster (never the single broker
the parallel tests share) and put every value back.
"""

from __future__ import annotations

import re

import by_hand
import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource
from kplan_helpers import faulty_kplan, kplan, lock_exists, write_stack

pytestmark = [pytest.mark.serial, pytest.mark.cluster3]  # changes the 3-broker cluster's broker configs

DEFAULT = {"log.cleaner.threads": "2", "log.retention.ms": "604800000"}  # the cluster-wide default declared
ON_2 = {"log.cleaner.backoff.ms": "20000", "log.cleaner.max.compaction.lag.ms": "86400000"}  # broker 2's own
BY_HAND = {"log.cleaner.backoff.ms": "16000"}  # broker 2's dynamic value before kplan (set outside it)
KEYS = sorted(set(DEFAULT) | set(ON_2))


@pytest.fixture
def cluster(multibroker):
    admin = AdminClient({"bootstrap.servers": multibroker.BOOTSTRAP})
    yield multibroker, admin
    for broker in (1, 2, 3):  # whatever a failed test left on the brokers goes (the default: by its destroy)
        _set_on_broker(admin, broker, dict.fromkeys(KEYS))
    admin.__exit__(None, None, None)


def _dynamic(admin, broker: int) -> tuple[dict[str, str], dict[str, str]]:
    """(the broker's own dynamic values, the cluster-wide dynamic default as this broker shows it), for KEYS (read
    from each entry's source: the test's default keys and broker 2's keys are distinct, so none hides another)."""
    (fut,) = admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, str(broker))]).values()
    own, default = {}, {}
    for name, entry in fut.result(20).items():
        source = ConfigSource(entry.source)
        if name in KEYS and source is ConfigSource.DYNAMIC_BROKER_CONFIG:
            own[name] = entry.value
        if name in KEYS and source is ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG:
            default[name] = entry.value
    return own, default


def _set_on_broker(admin, broker: int, values: dict[str, str | None]) -> None:
    """Set (or delete: None) the broker's own values by hand; returns once that broker describes them."""
    by_hand.alter_configs(admin, ConfigResource.Type.BROKER, str(broker), values)


def _doc(bootstrap: str, name: str, entries: list[dict]) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": bootstrap, "timeout": "20s"}, "broker_configs": entries}


def test_default_and_one_broker_applied_read_back_and_rolled_back_exactly(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("brokercfg")
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [
        {"broker": "<default>", "configs": {k: int(v) for k, v in DEFAULT.items()}},
        {"broker": 2, "configs": {k: int(v) for k, v in ON_2.items()}}]))
    assert all(_dynamic(admin, b) == ({}, {}) for b in (1, 2, 3)), "the cluster has dynamic values of the test's keys"
    _set_on_broker(admin, 2, BY_HAND)
    try:
        r = kplan("plan", str(path))
        assert r.code == 0, r.text
        assert re.search(r"\+ log\.cleaner\.threads\s+= 2\n", r.out), r.out
        assert re.search(r"~ log\.cleaner\.backoff\.ms\s+= 16000 \(16s\) -> 20000 \(20s\)", r.out), r.out

        # the apply fails right after the broker-config step's writes: everything goes back exactly
        r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:1")
        assert r.code != 0 and "injected failure" in r.text, r.text
        assert "rolled back" in r.text.lower(), r.text
        for b in (1, 2, 3):
            own, default = _dynamic(admin, b)
            assert default == {}, (b, default)  # the default's keys absent again, on every broker
            assert own == (BY_HAND if b == 2 else {}), (b, own)  # broker 2's hand-set value back, the new key gone
        assert not lock_exists(admin, name, {"bootstrap.servers": c.BOOTSTRAP})

        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        for b in (1, 2, 3):
            own, default = _dynamic(admin, b)
            assert default == DEFAULT, (b, default)  # every broker shows the cluster-wide default
            assert own == (ON_2 if b == 2 else {}), (b, own)  # the override is broker 2's only
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.out, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")
        _set_on_broker(admin, 2, dict.fromkeys(ON_2))
    assert all(_dynamic(admin, b) == ({}, {}) for b in (1, 2, 3))


def test_a_setting_that_can_cut_the_cluster_off_is_refused_at_plan(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("brokerdanger")
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [
        {"broker": 1, "configs": {"advertised.listeners": "PLAINTEXT://127.0.0.1:1", "log.cleaner.threads": 2}}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1, r.text
    assert ("broker config advertised.listeners (the addresses clients and brokers are told to use) can cut the "
            "cluster off: kplan refuses to change it unless the entry names it in allow_dangerous: "
            "[advertised.listeners]") in r.text, r.text
    assert "s.yaml:" in r.text
    own, _ = _dynamic(admin, 1)
    assert own == {}  # nothing was applied, not even the harmless key beside it
