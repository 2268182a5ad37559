"""`kplan plan --rebalance` / `--elect-leaders` on the real 3-broker cluster (racks rack-a/b/c), docs/rebalance.md.

An unbalanced topic (created by hand with every replica on brokers 1 and 2) is planned with its before/after
distribution per broker, applied from the saved plan with a throttle while a producer and a consumer run
throughout (every acknowledged record is consumed), and its replicas really move (read back with the admin
client); the throttle configs are gone afterwards. A failure after the move rolls back to the previous lists; a
kill while the replicas are still copying is rolled back exactly by `recover --rollback` and finished by
`recover --resume`, the throttle removed both ways. `--elect-leaders` really moves leadership to the preferred
replica.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewTopic
from kplan_helpers import ROOT, faulty_kplan, kplan, run_env, wait_for, write_stack

pytestmark = [pytest.mark.serial, pytest.mark.cluster3]

UNBALANCED = [[1, 2], [2, 1], [1, 2], [2, 1], [1, 2], [2, 1]]
RATES = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
THROTTLED = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")


@pytest.fixture
def cluster(multibroker):
    admin = AdminClient({"bootstrap.servers": multibroker.BOOTSTRAP})
    yield multibroker, admin
    admin.__exit__(None, None, None)


def _create(admin, name: str) -> None:
    (fut,) = admin.create_topics([NewTopic(name, num_partitions=len(UNBALANCED),
                                           replica_assignment=UNBALANCED)]).values()
    fut.result(20)
    wait_for(lambda: _assignment(admin, name) == UNBALANCED, 20, f"{name} created")


def _stack(tmp_path, bootstrap: str, name: str):
    # 60 s: a bound, not a wait (20 s ran out reading kplan's record on the 3-broker cluster at a load average of 25)
    return write_stack(tmp_path / "s.yaml", {
        "stack": f"{name}-stack", "cluster": {"bootstrap_servers": bootstrap, "timeout": "60s"},
        "topics": [{"name": name, "partitions": len(UNBALANCED), "replication_factor": 2}]})


def _assignment(admin, name: str) -> list[list[int]]:
    md = admin.list_topics(name, timeout=20).topics[name]
    return [list(p.replicas) for _, p in sorted(md.partitions.items())]


def _leaders(admin, name: str) -> list[int]:
    md = admin.list_topics(name, timeout=20).topics[name]
    return [p.leader for _, p in sorted(md.partitions.items())]


def _throttles(admin, name: str) -> dict[str, str]:
    """Every throttle config set on a broker (dynamically) or on the topic: empty once kplan removed them."""
    resources = [ConfigResource(ConfigResource.Type.BROKER, str(b)) for b in (1, 2, 3)]
    resources.append(ConfigResource(ConfigResource.Type.TOPIC, name))
    dynamic = {ConfigSource.DYNAMIC_BROKER_CONFIG.value, ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
    found = {}
    for resource in resources:  # one broker per request (librdkafka sends it to that broker)
        for res, fut in admin.describe_configs([resource]).items():
            for key, entry in fut.result(20).items():
                if key in RATES + THROTTLED and entry.source in dynamic:
                    found[f"{res.name}/{key}"] = entry.value
    return found


def _per_broker(assignment) -> dict[int, int]:
    out = {1: 0, 2: 0, 3: 0}
    for replicas in assignment:
        for b in replicas:
            out[b] += 1
    return out


def _planned_targets(path) -> list[list[int]]:
    doc = json.loads(path.read_text())
    (change,) = [c for c in doc["resource_changes"] if c["planned"] and c["planned"].get("replicas")]
    return change["planned"]["replicas"]


class Traffic:
    """A producer (acks=all, idempotent) and a consumer running in threads: every acknowledged record must be
    consumed."""

    def __init__(self, bootstrap: str, topic: str):
        self.topic, self.stop, self.flushed = topic, threading.Event(), threading.Event()
        self.deadline = float("inf")
        self.acked: set[str] = set()
        self.errors: list[str] = []
        self.seen: set[str] = set()
        self.producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                                  "linger.ms": 5})
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"rebalance-{uuid.uuid4().hex[:8]}",
                                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
        self.consumer.subscribe([topic])
        self.threads = [threading.Thread(target=self._produce, daemon=True),
                        threading.Thread(target=self._consume, daemon=True)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def _delivered(self, err, msg) -> None:
        if err is not None:
            self.errors.append(str(err))
        else:
            self.acked.add(msg.value().decode())

    def _produce(self) -> None:
        n = 0
        while not self.stop.is_set():
            self.producer.produce(self.topic, key=str(n % 50).encode(), value=f"r{n}".encode(),
                                  on_delivery=self._delivered)
            self.producer.poll(0)
            n += 1
            time.sleep(0.01)
        self.producer.flush(30)

    def _consume(self) -> None:
        while not (self.flushed.is_set() and self.acked <= self.seen) and time.monotonic() < self.deadline:
            msg = self.consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                self.seen.add(msg.value().decode())

    def __exit__(self, *exc):
        self.stop.set()
        self.threads[0].join(40)  # the producer has flushed: every record it will ever have acknowledged is known
        self.deadline = time.monotonic() + 30
        self.flushed.set()
        self.threads[1].join(40)
        self.consumer.close()


def test_a_rebalance_moves_replicas_under_traffic_with_a_throttle_and_elects_the_preferred_leaders(
        cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("rebal")
    _create(admin, name)
    path = _stack(tmp_path, c.BOOTSTRAP, name)
    saved = tmp_path / "plan.json"
    try:
        r = kplan("plan", str(path), "--rebalance", "--elect-leaders", "--throttle", "10MiB/s", "-out", str(saved))
        assert r.code == 0, r.text
        # the before/after distribution per broker: 6/6/0 replicas become 4/4/4
        assert "Replicas per broker, before -> after (the 1 topic this plan moves; copied at most 10 MiB/s" in r.text
        assert "  1        6 -> 4" in r.text and "  3        0 -> 4" in r.text, r.text
        # partitions whose leader stays a replica but is no longer the first one are elected after the move
        assert "~ leaders" in r.text and "leadership moved to the preferred (first) replica" in r.text, r.text
        target = _planned_targets(saved)
        with Traffic(c.BOOTSTRAP, name) as traffic:
            wait_for(lambda: len(traffic.seen) > 20, 20, "records flowing")
            r = kplan("apply", str(saved), "--auto-approve")
            assert r.code == 0, r.text
            assert "reassign the replicas of " + name + " (throttled to 10485760 bytes/s)" in r.text
            assert "elect the preferred leaders of 2 partition(s) of " + name in r.text, r.text
            moved = _assignment(admin, name)  # read independently of kplan
            assert moved == target and _per_broker(moved) == {1: 4, 2: 4, 3: 4}, moved
            assert all(len(set(rs)) == 2 for rs in moved)
            assert _leaders(admin, name) == [rs[0] for rs in moved]
            assert _throttles(admin, name) == {}
            time.sleep(0.5)  # records keep flowing after the move
        assert not traffic.errors, traffic.errors[:3]
        assert len(traffic.acked) > 100
        assert traffic.acked <= traffic.seen, f"{len(traffic.acked - traffic.seen)} acknowledged records not consumed"
        r = kplan("plan", str(path), "--rebalance", "--elect-leaders", "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text and "1 already balanced" in r.text, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")


def test_a_rebalance_alone_leaves_each_partition_led_by_its_preferred_replica(cluster, unique, tmp_path):
    """Issue 56 item 7: `--rebalance` without `--elect-leaders` moved the replicas and left the old leaders leading,
    while docs/rebalance.md's example showed the leaders moving. It now plans the elections the moves need."""
    c, admin = cluster
    name = unique("rebal-lead")
    _create(admin, name)
    path = _stack(tmp_path, c.BOOTSTRAP, name)
    saved = tmp_path / "plan.json"
    try:
        r = kplan("plan", str(path), "--rebalance", "-out", str(saved))
        assert r.code == 0, r.text
        shown = r.text
        target = _planned_targets(saved)
        r = kplan("apply", str(saved), "--auto-approve")
        assert r.code == 0, r.text
        moved = _assignment(admin, name)  # read independently of kplan
        assert moved == target and _per_broker(moved) == {1: 4, 2: 4, 3: 4}, moved
        assert _leaders(admin, name) == [rs[0] for rs in moved], (_leaders(admin, name), moved)
        led = {b: sum(1 for rs in moved if rs[0] == b) for b in (1, 2, 3)}
        assert led == {1: 2, 2: 2, 3: 2}, led  # leadership as balanced as the replicas
        # the plan said so: the elections were shown before they were applied
        assert "~ leaders" in shown and "leadership moved to the preferred (first) replica" in shown, shown
        assert "elect the preferred leaders of " in r.text, r.text
        r = kplan("plan", str(path), "--rebalance", "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text and "1 already balanced" in r.text, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")


def _fill(bootstrap: str, topic: str, megabytes: float) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20, "batch.size": 65536})
    value = b"x" * 1000
    for i in range(int(megabytes * 1000)):
        p.produce(topic, key=str(i).encode(), value=value)
        if i % 500 == 0:
            p.poll(0)
    assert p.flush(60) == 0


def _killed_mid_move(saved) -> str:
    """`kplan apply SAVED` SIGKILLed once it says the replicas are still copying; its output."""
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "python"), "-m", "kplan", "apply", str(saved),
                             "--auto-approve"], cwd=ROOT, env=run_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = []
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("reassignment:") or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(20)
    text = out + "".join(seen) + err
    assert any(s.startswith("reassignment:") for s in seen), text
    return text


def test_a_rebalance_cut_short_is_rolled_back_exactly_or_resumed(cluster, unique, tmp_path):
    c, admin = cluster
    name = unique("rebal-kill")
    _create(admin, name)
    path = _stack(tmp_path, c.BOOTSTRAP, name)
    saved = tmp_path / "plan.json"
    try:
        # a failure once the replicas moved: the automatic rollback puts the previous lists back
        r = kplan("plan", str(path), "--rebalance", "-out", str(saved))
        assert r.code == 0, r.text
        r = faulty_kplan("apply", str(saved), "--auto-approve", fail_at="step:1")
        assert r.code == 1 and "The cluster is as it was before this apply." in r.text, r.text
        assert _assignment(admin, name) == UNBALANCED

        # 1.2 MB per partition: more than one fetch (replica.fetch.max.bytes, 1 MiB) moves it, so no partition
        # finishes before the throttle's quota window (11 s) lets its second fetch through
        _fill(c.BOOTSTRAP, name, 7.2)
        r = kplan("plan", str(path), "--rebalance", "--throttle", "250KiB/s", "-out", str(saved))
        assert r.code == 0, r.text
        target = _planned_targets(saved)
        # killed while copying -> recover --rollback: exactly the previous lists, no throttle left
        _killed_mid_move(saved)
        assert _throttles(admin, name), "the throttle was set while the replicas copied"
        r = kplan("recover", str(path), "--rollback", "--auto-approve")
        assert r.code == 0, r.text
        assert _assignment(admin, name) == UNBALANCED
        assert _throttles(admin, name) == {}
        # killed while copying -> recover --resume: the planned lists, no throttle left
        r = kplan("plan", str(path), "--rebalance", "--throttle", "250KiB/s", "-out", str(saved))
        assert r.code == 0 and _planned_targets(saved) == target, r.text
        _killed_mid_move(saved)
        r = kplan("recover", str(path), "--resume", "--auto-approve")
        assert r.code == 0, r.text
        assert _assignment(admin, name) == target
        assert _throttles(admin, name) == {}
        r = kplan("plan", str(path), "--rebalance", "--detailed-exitcode")
        assert r.code == 0 and "No changes" in r.text, r.text
    finally:
        kplan("destroy", str(path), "--auto-approve")


def _kill_trials(steps: int) -> list[tuple[int, str, str]]:
    """(step, point, recovery): at the start (the journal says "started", nothing written) and in the middle (its
    writes done, the journal still "started") of each step, each recovered both ways."""
    return [(n, point, recovery) for n in range(1, steps + 1) for point in ("start", "middle")
            for recovery in ("rollback", "resume")]


def _killed_at(saved, pause_at: str) -> str:
    """`kplan apply saved` paused at `pause_at` and SIGKILLed from outside (the conformance kit's way)."""
    from conformance import PAUSED, killed_from_outside

    class Ctx:  # what killed_from_outside needs of the kit's context
        env: dict = {}

    paused, out = killed_from_outside(Ctx(), ["apply", str(saved), "--auto-approve", "--no-color"], pause_at)
    assert paused, f"the apply never reached {pause_at} ({PAUSED} not printed):\n{out[-2000:]}"
    return out


def test_a_kill_at_every_step_of_a_rebalance_rolls_back_or_resumes_exactly(cluster, unique, tmp_path):
    """A saved rebalance with a throttle and an election (`plan --rebalance --elect-leaders --throttle`), its apply
    SIGKILLed at the start and in the middle of each of its steps: `recover --rollback` leaves exactly the replica
    lists before and no throttle anywhere, `recover --resume` exactly the planned lists and no throttle, and the
    stack then plans "No changes". CI runs two trials; KPLAN_REBALANCE_KILLS=all runs every one."""
    import os

    c, admin = cluster
    # learn the steps of an uninterrupted apply
    name = unique("rebal-steps")
    _create(admin, name)
    path = _stack(tmp_path, c.BOOTSTRAP, name)
    saved = tmp_path / "plan.json"
    try:
        r = kplan("plan", str(path), "--rebalance", "--elect-leaders", "--throttle", "10MiB/s", "-out", str(saved))
        assert r.code == 0, r.text
        r = kplan("apply", str(saved), "--auto-approve", "--no-color")
        assert r.code == 0, r.text
        steps = max(int(n) for n in re.findall(r"^\[\d+/(\d+)\] ", r.out, re.M))
    finally:
        kplan("destroy", str(path), "--auto-approve")
    trials = _kill_trials(steps)
    if os.environ.get("KPLAN_REBALANCE_KILLS") != "all":
        trials = [(steps, "middle", "rollback"), (1, "start", "resume")]
    outcomes = []
    for step, point, recovery in trials:
        name = unique("rebal-k")
        _create(admin, name)
        path = _stack(tmp_path, c.BOOTSTRAP, name)
        started = time.monotonic()
        try:
            r = kplan("plan", str(path), "--rebalance", "--elect-leaders", "--throttle", "10MiB/s", "-out", str(saved))
            assert r.code == 0, r.text
            target = _planned_targets(saved)
            _killed_at(saved, f"{'step-start' if point == 'start' else 'in-step'}:{step}")
            unfinished = kplan("plan", str(path), "--no-color")
            r = kplan("recover", str(path), f"--{recovery}", "--force", "--auto-approve", "--no-color")
            want = UNBALANCED if recovery == "rollback" else target
            exact = _assignment(admin, name) == want  # read right away: recover returns once the cluster shows it
            after = kplan("plan", str(path), "--detailed-exitcode", "--no-color")
            outcomes.append({
                "trial": f"step{step}@{point}/{recovery}", "recover_exit": r.code, "exact": exact,
                "throttles_left": _throttles(admin, name), "unfinished_reported": "did not finish" in unfinished.text,
                "plan_after": after.code, "seconds": round(time.monotonic() - started, 1),
                "output": "" if r.code == 0 else r.text[-1500:]})
        finally:
            kplan("recover", str(path), "--rollback", "--force", "--auto-approve")
            kplan("destroy", str(path), "--auto-approve")
    for o in outcomes:
        print(o["trial"], "exit", o["recover_exit"], o["seconds"], "s")
    bad = [o for o in outcomes if o["recover_exit"] != 0 or not o["exact"] or o["throttles_left"]
           or not o["unfinished_reported"] or o["plan_after"] != 0]
    assert not bad, bad


def _reorder(bootstrap: str, name: str, replicas: list[int]) -> None:
    """Partition 0 of `name` given `replicas` in this order (Kafka's AlterPartitionReassignments, which librdkafka
    lacks, sent with the wire protocol's message layouts): a reorder copies no data, and its leader stays."""
    from kplan.transport.wire.client import Client
    from kplan.transport.wire.connection import settings_of
    from kplan.transport.wire.messages import AlterPartitionReassignmentsRequest

    with Client(settings_of({"bootstrap.servers": bootstrap}, 30)) as client:
        answer = client.to_controller(AlterPartitionReassignmentsRequest(timeout_ms=30000,
                                                                         topics=[(name, [(0, replicas)])]))
    assert answer.error_code == 0 and all(p.error_code == 0 for t in answer.responses for p in t.partitions), answer


def _planned_leaders(path, name: str) -> tuple[str, str] | None:
    """The `leaders` attribute a saved plan shows for topic `name`: (partition:leader now, after the election)."""
    doc = json.loads(path.read_text())
    shown = [(a["before"], a["after"]) for c in doc["resource_changes"] if c["address"] == f"topic.{name}"
             for a in c["attributes"] if a["path"] == ["leaders"]]
    return shown[0] if shown else None


def test_a_saved_election_staled_by_a_leader_election_names_the_partition_and_its_leader_then_and_now(
        cluster, unique, tmp_path):
    """Issue 67 item 4: Kafka's automatic leader rebalance (here the same preferred election, asked by the test
    through the admin API) moves a partition's leader between `kplan plan --elect-leaders -out` and `kplan apply`.
    Apply refuses the saved plan, naming the partition and its leader when planned and now, not "a ${VAR}
    resolved differently"."""
    from confluent_kafka import ElectionType, TopicPartition

    c, admin = cluster
    name = unique("stale-lead")
    (fut,) = admin.create_topics([NewTopic(name, num_partitions=1, replica_assignment=[[1, 2, 3]])]).values()
    fut.result(20)
    wait_for(lambda: _assignment(admin, name) == [[1, 2, 3]], 20, f"{name} created")
    path = write_stack(tmp_path / "s.yaml", {
        "stack": f"{name}-stack", "cluster": {"bootstrap_servers": c.BOOTSTRAP, "timeout": "60s"},
        "topics": [{"name": name, "partitions": 1, "replication_factor": 3}]})
    saved = tmp_path / "plan.json"
    try:
        for first in (2, 3, 1, 2):  # a preferred replica that does not lead, until a plan elects it
            led = wait_for(lambda: [b for b in _leaders(admin, name) if b > 0], 20, f"{name} led")[0]
            if first == led:
                continue
            order = [first] + [b for b in (1, 2, 3) if b != first]
            _reorder(c.BOOTSTRAP, name, order)
            wait_for(lambda: _assignment(admin, name) == [order], 20, f"{name} reordered")
            r = kplan("plan", str(path), "--elect-leaders", "-out", str(saved))
            assert r.code == 0, r.text
            # Kafka's own automatic rebalance may have elected the preferred replica before the plan read the leaders
            if _planned_leaders(saved, name) == (f"0:{led}", f"0:{first}"):
                break
        else:
            raise AssertionError(f"no plan elected a leader of {name}: {r.text}")
        (answer,) = admin.elect_leaders(ElectionType.PREFERRED, [TopicPartition(name, 0)]).result(30).values()
        assert answer is None or "ELECTION_NOT_NEEDED" in str(answer), answer
        wait_for(lambda: _leaders(admin, name) == [first], 20, f"{name} led by {first}")
        r = kplan("apply", str(saved), "--auto-approve")
        assert r.code == 1, r.text
        assert r.err.strip().splitlines()[-1] == (
            f"Error: the saved plan no longer matches what kplan would do now (topic.{name}: update when planned, "
            f"no change now; topic.{name} partition 0 leader: {led} when planned, {first} now); run `kplan plan` "
            "again"), r.text
        assert _leaders(admin, name) == [first]
    finally:
        for fut in admin.delete_topics([name]).values():
            fut.result(20)
