"""Replication on a real 3-broker KRaft cluster (the launcher's `multibroker` cluster: racks rack-a/b/c).

Replication-factor changes are partition reassignments: planned with the new replica lists, executed, verified,
rolled back by reassigning back when a later step fails.

RF 3 topics with `min.insync.replicas: 2` are created with a replica on each rack and plan "No changes" after;
`min.insync.replicas` above the replication factor and a replication factor above the broker count are refused
before anything is applied; and an apply during which the cluster's active controller is stopped ends with the
cluster exactly before or after the change, the ownership record and lock clean.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource
from kplan_helpers import faulty_kplan, kplan, lock_exists, read_stack_ownership, wait_for, write_stack

from kplan.cli import main as kplan_main
from kplan.state import faults

# starts the 3-broker cluster (three more JVMs on the machine) and stops its nodes: serial, beside the main stack's
pytestmark = [pytest.mark.serial, pytest.mark.cluster3]

TIMEOUT = "20s"


@pytest.fixture
def cluster(multibroker):
    admin = AdminClient({"bootstrap.servers": multibroker.BOOTSTRAP})
    yield multibroker, admin
    for node in range(1, multibroker.NODES + 1):  # whatever a test stopped comes back for the next one
        multibroker.start_node(node)
    admin.__exit__(None, None, None)


def _doc(bootstrap: str, name: str, topics: list[dict]) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": bootstrap, "timeout": TIMEOUT}, "topics": topics}


def _describe(admin, name: str) -> tuple[list[list[int]], dict[str, str]]:
    md = admin.list_topics(name, timeout=20).topics[name]
    replicas = [list(p.replicas) for _, p in sorted(md.partitions.items())]
    (fut,) = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, name)]).values()
    own = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    return replicas, {k: e.value for k, e in fut.result(20).items() if e.source == own}


def test_rf3_topics_with_min_isr_2_get_a_replica_on_every_rack(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("rf3")
    racks = {b.id: b for b in admin.describe_cluster().result(20).nodes}
    assert len(racks) == 3 and {n.rack for n in racks.values()} == {"rack-a", "rack-b", "rack-c"}
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [
        {"name": f"{name}.orders", "partitions": 3, "replication_factor": 3, "config": {"min.insync.replicas": 2}}]))
    try:
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        replicas, config = _describe(admin, f"{name}.orders")
        assert len(replicas) == 3 and all(sorted(rs) == [1, 2, 3] for rs in replicas), replicas
        assert config["min.insync.replicas"] == "2"
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")


def test_min_isr_above_rf_and_rf_above_the_brokers_are_refused_before_anything_changes(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("refused")
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [
        {"name": f"{name}.a", "partitions": 1, "replication_factor": 2, "config": {"min.insync.replicas": 3}}]))
    r = kplan("plan", str(path))
    assert r.code == 1, r.text
    assert "s.yaml:" in r.text and "min.insync.replicas (3) must not exceed the replication factor (2)" in r.text
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [
        {"name": f"{name}.b", "partitions": 1, "replication_factor": 4}]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 1 and "replication factor 4 is higher than the number of brokers" in r.text, r.text
    assert not any(t.startswith(name) for t in admin.list_topics(timeout=20).topics)


class StopController(faults.Faults):
    """After step `index` (0-based), stop the node that is the cluster's active controller."""

    def __init__(self, cluster, admin, index: int):
        self.cluster, self.admin, self.index = cluster, admin, index
        self.stopped: int | None = None

    def after_step(self, index: int) -> None:
        if index == self.index and self.stopped is None:
            self.stopped = self.admin.describe_cluster().result(20).controller.id
            self.cluster.stop_node(self.stopped)


def _state(admin, name: str) -> dict:
    topics = sorted(t for t in admin.list_topics(timeout=20).topics if t.startswith(name))
    out = {}
    for t in topics:
        replicas, config = _describe(admin, t)
        out[t] = (len(replicas), len(replicas[0]), config.get("retention.ms"))
    return out


def test_an_apply_survives_the_active_controller_being_stopped(cluster, unique, tmp_path, monkeypatch, capsys):
    c, admin = cluster
    monkeypatch.setenv("KPLAN_STATE_DIR", str(tmp_path / "state"))
    name = unique("failover")
    base = {"name": f"{name}.base", "partitions": 2, "replication_factor": 3, "config": {"min.insync.replicas": 2}}
    path = write_stack(tmp_path / "s.yaml", _doc(c.BOOTSTRAP, name, [base]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    before = _state(admin, name)
    # steps: create two RF 2 topics, then change base's retention, then record ownership; the controller stops
    # after the creates
    changed = [{**base, "config": {"min.insync.replicas": 2, "retention.ms": 3600000}}] + [
        {"name": f"{name}.t{i}", "partitions": 1, "replication_factor": 2} for i in range(2)]
    write_stack(path, _doc(c.BOOTSTRAP, name, changed))
    fault = StopController(c, admin, 0)
    faults.install(fault)
    started = time.monotonic()
    try:
        kplan_main(["apply", str(path), "--auto-approve"])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        faults.install(None)
    out = capsys.readouterr()
    took = time.monotonic() - started
    print(f"\napply with node {fault.stopped} (the active controller) stopped after its first step: exit {code} in "
          f"{took:.1f}s")
    assert fault.stopped is not None, out.out + out.err
    after = {f"{name}.base": (2, 3, "3600000"), f"{name}.t0": (1, 2, None), f"{name}.t1": (1, 2, None)}
    survivor = c.BOOTSTRAP.split(",")[fault.stopped % 3]  # a node that still runs
    live = AdminClient({"bootstrap.servers": survivor})
    try:
        if code == 3:
            # rollback-incomplete: an undo got no answer from the cluster in the middle of the failover (seen once
            # in a loaded clean-clone CI run). kplan says so and names the command that finishes it; that command
            # must then leave the cluster as it was before.
            assert "kplan recover --rollback" in out.out + out.err, out.out + out.err
            # the apply has returned; the cluster may still be electing (a clean-clone CI run's first recover got no
            # acknowledgement for the lock holder within the stack's 20 s: one error line, exit 1, nothing done):
            # recover is run again until the cluster answers, as a user would
            for _ in range(4):
                r = kplan("recover", str(path), "--rollback", "--force", "--auto-approve")
                if r.code == 0 or "no acknowledgement" not in r.text:
                    break
            assert r.code == 0, out.out + out.err + r.text
            print(f"kplan recover --rollback finished the rollback:\n{r.text}")
        wait_for(lambda: _state(live, name) in (before, after), timeout=90,
                 what=f"the cluster before or after (apply's output: {out.out + out.err})")
        state = _state(live, name)
        assert state == (after if code == 0 else before), (code, state, out.out + out.err)
        assert not lock_exists(live, name, {"bootstrap.servers": survivor})
        record = read_stack_ownership(live, survivor, name)
        assert not record.run, record
        assert record.owned("topics") == set(after if code == 0 else before), record
    finally:
        live.__exit__(None, None, None)
        c.start_node(fault.stopped)
        kplan("destroy", str(path), "--auto-approve")


def test_a_replication_factor_change_is_a_reassignment_applied_verified_and_rolled_back(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("reassign")
    topic = f"{name}.events"

    def doc(rf: int, retention: str | None = None) -> dict:
        t = {"name": topic, "partitions": 3, "replication_factor": rf}
        if retention:
            t["config"] = {"retention.ms": retention}
        return _doc(c.BOOTSTRAP, name, [t])

    path = write_stack(tmp_path / "s.yaml", doc(1))
    try:
        assert kplan("apply", str(path), "--auto-approve").code == 0
        before, _ = _describe(admin, topic)
        assert all(len(r) == 1 for r in before)

        # 1 -> 3: the plan shows the new replica lists, one broker of each rack per partition
        write_stack(path, doc(3))
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 2 and "replication_factor = 1 -> 3" in r.text and "by partition reassignment" in r.text, r.text
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0, r.text
        grown, _ = _describe(admin, topic)
        assert all(sorted(rs) == [1, 2, 3] for rs in grown), grown
        assert [rs[0] for rs in grown] == [rs[0] for rs in before]  # the existing replica stays (and leads)
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text, r.text

        # 3 -> 2 with a later step failing: the reassignment is undone (back to 3 replicas each)
        write_stack(path, doc(2, "3600000"))
        r = faulty_kplan("apply", str(path), "--auto-approve", fail_at="step:2")
        assert r.code != 0 and "rolled back" in r.text.lower(), r.text
        back, config = _describe(admin, topic)
        assert back == grown and "retention.ms" not in config, (back, config)

        # 3 -> 2 for real, throttled: the limit is set while the replicas move and taken away after
        throttled = doc(2, "3600000")
        throttled["cluster"]["reassignment_throttle"] = "10MiB"
        write_stack(path, throttled)
        r = kplan("apply", str(path), "--auto-approve")
        assert r.code == 0 and "throttled to 10485760 bytes/s" in r.text, r.text
        for b in ("1", "2", "3"):
            (fut,) = admin.describe_configs([ConfigResource(ConfigResource.Type.BROKER, b)]).values()
            rate = fut.result(20).get("leader.replication.throttled.rate")  # listed only while set
            assert rate is None or rate.source != ConfigSource.DYNAMIC_BROKER_CONFIG.value, (b, rate)
        assert "leader.replication.throttled.replicas" not in _describe(admin, topic)[1]
        shrunk, config = _describe(admin, topic)
        assert all(len(rs) == 2 and rs[0] == g[0] for rs, g in zip(shrunk, grown)), (shrunk, grown)
        assert config["retention.ms"] == "3600000"
        r = kplan("plan", str(path), "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")
