"""Helpers for end-to-end tests: write a stack file, run the real `kplan` CLI (also with faults injected, through
tests/integration/faulty_kplan.py), snapshot the cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests
import yaml

if TYPE_CHECKING:
    from kplan_zygote import Zygote

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).resolve().parent / "faulty_kplan.py"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def kplan(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300) -> Run:
    """`kplan ARGS` as its own process: forked from a warm zygote (kplan_zygote.py: the same process a cold start
    gives, without its half CPU-second of imports), or started cold under KPLAN_TEST_COLD=1."""
    if os.environ.get("KPLAN_TEST_COLD", "").strip() not in ("", "0"):
        return _run([sys.executable, "-m", "kplan", *args], env, cwd, timeout)
    code, out, err = _zygote().run(list(args), run_env(env), cwd or ROOT, timeout)
    return Run(code, out, err)


_ZYGOTE: dict[int, Zygote] = {}  # this process's zygote, by pid (a forked test process starts its own)
_ZYGOTE_LOCK = threading.Lock()


def _zygote() -> Zygote:
    from kplan_zygote import Zygote

    with _ZYGOTE_LOCK:
        z = _ZYGOTE.get(os.getpid())
        if z is None or not z.alive():
            z = _ZYGOTE[os.getpid()] = Zygote(ROOT)
        return z


def faulty_command(*args: str, fail_at: str | None = None, pause_at: str | None = None,
                   pause_s: float | None = None, kill_at: str | None = None) -> list[str]:
    """The command line of `kplan ARGS` with faults injected (see faulty_kplan.py): `fail_at="step:N"` fails step
    N after its writes; `pause_at="in-step:N"` / `"after-step:N"` prints `KPLAN-TEST-PAUSED <point>` and waits
    there (`pause_s` seconds, default 120) to be killed; `kill_at="after-step:N"` SIGKILLs it there."""
    cmd = [sys.executable, str(HARNESS)]
    if kill_at:
        cmd += ["--kill-at", kill_at]
    if fail_at:
        cmd += ["--fail-at", fail_at]
    if pause_at:
        cmd += ["--pause-at", pause_at]
    if pause_s is not None:
        cmd += ["--pause-s", str(pause_s)]
    return [*cmd, "--", *args]


def faulty_kplan(*args: str, env: dict | None = None, timeout: float = 300, **faults) -> Run:
    """`kplan ARGS` with faults injected (the arguments of `faulty_command`)."""
    return _run(faulty_command(*args, **faults), env, None, timeout)


def run_env(env: dict | None = None) -> dict:
    return {**os.environ, "NO_COLOR": "1", **(env or {})}


def _run(cmd: list[str], env: dict | None, cwd: Path | None, timeout: float) -> Run:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env(env), cwd=cwd or ROOT, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def apply_despite_plan_errors(path: Path, env: dict | None = None) -> tuple[Run, list[str]]:
    """What `kplan apply PATH --auto-approve` does, except that it goes ahead although the plan has errors: in this
    process, under the stack's lock, the plan's steps run through the real executor against the real broker and
    Connect worker, the run marked in the ownership record and journaled as usual. For tests that prove that what
    the cluster refuses at apply time (what plan-time validation would have caught first) is rolled back; kplan
    itself has no way to skip its plan errors. Returns the run as `kplan apply` reports it (exit code, progress
    lines, failure report) and the plan's error messages."""
    import contextlib
    import io

    from kplan.apply.steps import build
    from kplan.apply.steps.ownership import ownership_of
    from kplan.session.cluster import Cluster
    from kplan.session.plan import plan_stack
    from kplan.session.run import execute_steps, report_failure
    from kplan.stackfile import load_stack
    from kplan.state.journal import Journal

    environ = run_env(env)
    out = io.StringIO()
    with contextlib.chdir(ROOT):  # where `kplan` runs in these tests (its local journal copy: local_state_dir())
        stack = load_stack(str(path), environ=environ)
        cluster = Cluster.open(stack, environ)
        try:
            store, lock = cluster.journal_store(), cluster.lock()
            journal = Journal(stack.name, stack.environment, cluster.cluster_id, stack.inputs_digest)
            lock.acquire(journal.run_id)
            try:
                live, plan = plan_stack(cluster.session, holding_lock=True)
                store.ensure_topic(cluster.broker_count)
                journal.ownership_before = ownership_of(live)
                result = execute_steps(cluster, store, journal, build(plan, stack, live), live, out=out)
            finally:
                store.close()
                lock.release()
        finally:
            cluster.close()
    err = "".join(line + "\n" for line in report_failure(result)) if result.exit_code else ""
    return Run(result.exit_code, out.getvalue(), err), [d.message for d in plan.errors]


def write_stack(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def base_stack(name: str, stack) -> dict:
    return {"stack": name, "cluster": {"bootstrap_servers": stack.bootstrap_servers,
                                       "connect_url": stack.connect_url, "timeout": "20s"}}


def snapshot(admin, connect_url: str, prefix: str) -> dict:
    """Everything with `prefix` on the cluster: topics (partitions, RF, overrides) and connectors (config, state)."""
    from confluent_kafka.admin import ConfigResource, ConfigSource

    md = admin.list_topics(timeout=20).topics
    names = sorted(n for n in md if n.startswith(prefix) and md[n].error is None)
    topics = {}
    if names:
        futures = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, n) for n in names])
        for res, fut in futures.items():
            entries = fut.result(30)
            t = md[res.name]
            topics[res.name] = {
                "partitions": len(t.partitions),
                "rf": max(len(p.replicas) for p in t.partitions.values()),
                "overrides": {k: e.value for k, e in entries.items()
                              if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value},
            }
    body = requests.get(f"{connect_url}/connectors?expand=info&expand=status", timeout=30).json()
    connectors = {n: {"config": c["info"]["config"], "state": (c.get("status") or {}).get("connector", {}).get("state")}
                  for n, c in body.items() if n.startswith(prefix)}
    return {"topics": topics, "connectors": connectors}


def acls_in_effect(admin, principal: str, bindings, timeout: float = 30) -> None:
    """Wait until the broker's authorizer holds exactly `bindings` for `principal`. A CreateAcls or DeleteAcls
    answer means the controller committed the change; the broker applies it a moment later, so a kplan run started
    at once can still be refused (seen under a loaded CI run). DescribeAcls reads the authorizer's own state."""
    from kplan.transport.acls import match_any

    every = match_any(principal)
    want = set(bindings)
    wait_for(lambda: set(admin.describe_acls(every).result(timeout)) == want, timeout,
             f"the broker's authorizer to hold exactly the {len(want)} binding(s) of {principal}")


def can_log_in(secured, user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> bool:
    """Whether the broker accepts this user and password on the SASL_SSL listener (one metadata request)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    from kplan.transport.kafka import dispose

    errors: list[str] = []
    client = AdminClient({**secured.kafka_config(mechanism=mechanism, user=user, password=password),
                          "error_cb": lambda err: errors.append(err.name())})
    try:
        client.list_topics(timeout=8)
        return True
    except KafkaException:
        return False
    finally:
        dispose(client)


@contextmanager
def scram_principal(secured, admin, user: str, password: str):
    """A SCRAM user that logs in on the SASL_SSL listener (once the broker shows it), and at the end every ACL
    binding of User:<user> and its credential removed again."""
    import by_hand
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
        ScramMechanism,
        UserScramCredentialDeletion,
    )

    by_hand.upsert_scram(admin, {user: password}, iterations=8192)
    wait_for(lambda: can_log_in(secured, user, password), 30, f"the new SCRAM user {user} to log in")
    try:
        yield
    finally:
        for f in admin.delete_acls([AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, f"User:{user}",
                                                     None, AclOperation.ANY, AclPermissionType.ANY)]).values():
            f.result(30)
        for f in admin.alter_user_scram_credentials([UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)]
                                                    ).values():
            f.result(20)


def bench_peer(name: str, timeout: float = 1200) -> Path:
    """A tool of bench/peers/build.sh (topicctl, promtool...), built once from its pinned Go module if .bench-peers
    has none yet (seconds with Go's caches warm)."""
    binary = ROOT / ".bench-peers" / "bin" / name
    if not binary.exists():
        build = subprocess.run(["bash", str(ROOT / "bench" / "peers" / "build.sh"), name], capture_output=True,
                               text=True, timeout=timeout)
        assert build.returncode == 0, build.stdout + build.stderr
    return binary


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def cleanup(admin, connect_url: str | None, prefix: str) -> None:
    """Delete the connectors (on the worker at `connect_url`, when given) and topics whose names start with `prefix`."""
    for name in requests.get(f"{connect_url}/connectors", timeout=30).json() if connect_url else ():
        if name.startswith(prefix):
            requests.delete(f"{connect_url}/connectors/{name}", timeout=60)
    names = [n for n in admin.list_topics(timeout=20).topics if n.startswith(prefix)]
    if names:
        for f in admin.delete_topics(names).values():
            try:
                f.result(30)
            except Exception:  # noqa: BLE001
                pass


def cleanup_pg_source(admin, connect_url: str, prefix: str, source: str) -> None:
    """Remove a PostgreSQL cdc source a test made: its connector and topics, then its replication slot (once the
    connector's task has released it) and publication."""
    cleanup(admin, connect_url, prefix)
    cleanup(admin, connect_url, source)
    slot = source.replace("-", "_")
    drop_pg_slot(slot, f"{slot}_pub")


def drop_pg_slot(slot: str, publication: str | None = None) -> None:
    """Drop a test's replication slot (and publication). A deleted connector's task holds its slot until it has
    stopped, which on a loaded machine can take longer than any fixed wait: wait up to 30 s for it to let go, then end
    the walsender that still holds it, so the drop never fails with "slot ... is active for PID"."""
    import localstack

    where = f"FROM pg_replication_slots WHERE slot_name = '{slot}'"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and localstack.psql(f"SELECT active {where}").strip() == "t":
        time.sleep(0.5)
    for _ in range(60):
        localstack.psql(f"SELECT pg_terminate_backend(active_pid) {where} AND active")
        localstack.psql(f"SELECT pg_drop_replication_slot(slot_name) {where} AND NOT active", check=False)
        if localstack.psql(f"SELECT count(*) {where}").strip() == "0":
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"replication slot {slot} is still held after 60 s: drop it by hand")
    if publication:
        localstack.psql(f'DROP PUBLICATION IF EXISTS "{publication}"')


def stack_doc(stack, name: str, topics, connectors=()) -> dict:
    """A stack named `name` on the local stack with these topics and connectors."""
    doc = base_stack(name, stack)
    doc["topics"] = list(topics)
    if connectors:
        doc["connectors"] = list(connectors)
    return doc


def consume_events(bootstrap: str, topic: str, want: int, timeout: float = 90, start: dict | None = None,
                   where=lambda e: True) -> list[dict]:
    """Change events (JSON) from `topic` until `want` of them match `where`: from the beginning, or from
    `start` (partition -> offset)."""
    import json
    import uuid

    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"kplan-test-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        if start is not None:
            consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
        else:
            consumer.subscribe([topic])
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error() or msg.value() is None:
                continue
            event = json.loads(msg.value())
            if where(event):
                got.append(event)
        return got
    finally:
        consumer.close()


def topic_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """partition -> high watermark: where events written from now on will start."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "kplan-test-ends"})
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts}
    finally:
        c.close()


# -- kills at kplan's own state transitions (tests/integration/faulty_kplan.py --kill-at / --count-points) ----------

def kill_command(*args: str, kill_at: str | None = None, count_points: str | os.PathLike | None = None) -> list[str]:
    """The command line of `kplan ARGS` that SIGKILLs itself right after the transition `kill_at` ("POINT:N": the
    N-th lock-taken, journal-written, ownership-written or lock-releasing of the process, or in-step:N /
    after-step:N for step N) and/or appends each transition's name to the file `count_points`."""
    cmd = [sys.executable, str(HARNESS)]
    if kill_at:
        cmd += ["--kill-at", kill_at]
    if count_points:
        cmd += ["--count-points", str(count_points)]
    return [*cmd, "--", *args]


def killed_kplan(*args: str, kill_at: str | None = None, count_points: str | os.PathLike | None = None,
                 env: dict | None = None, timeout: float = 300) -> Run:
    """`kplan ARGS` killed at `kill_at` (see `kill_command`); its code is -9 when the kill happened."""
    return _run(kill_command(*args, kill_at=kill_at, count_points=count_points), env, None, timeout)


def lock_exists(admin, stack_name: str, conf: dict) -> bool:
    """Whether the stack's apply lock is held, as kplan judges it (kplan.state.lock.read_holder): its topic
    (`__kplan_lock.<stack>`) listed and not marked released. A released lock's topic may stay listed for a moment
    after the command ended: the brokers drop a deleted topic from their metadata asynchronously. `conf`: a client
    configuration of the cluster `admin` speaks to."""
    from kplan.state.lock import read_holder

    md = admin.list_topics(timeout=20).topics
    name = "__kplan_lock." + stack_name
    return name in md and md[name].error is None and read_holder(conf, name, 20)[0]


def read_stack_ownership(admin, bootstrap: str, stack_name: str, timeout_s: float = 20):
    """The stack's ownership record as kplan reads it (`kplan.state.ownership.read_ownership`): an `Ownership`
    (topics, connectors, run marker); empty when the stack has none."""
    from kplan.model.ownership import Ownership
    from kplan.state.ownership import OWNERSHIP_TOPIC, read_ownership

    if OWNERSHIP_TOPIC not in admin.list_topics(timeout=timeout_s).topics:
        return Ownership()
    return read_ownership({"bootstrap.servers": bootstrap}, stack_name, timeout_s)


def forget_stack(admin, bootstrap: str, stack_name: str) -> None:
    """Remove what kplan keeps about a test stack on the cluster: its lock topic and tombstones for its ownership
    record and its journal (best effort)."""
    from confluent_kafka import Producer

    lock = "__kplan_lock." + stack_name
    if lock in admin.list_topics(timeout=20).topics:
        try:
            admin.delete_topics([lock])[lock].result(30)
        except Exception:  # noqa: BLE001 - already gone
            pass
    existing = admin.list_topics(timeout=20).topics
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for topic in ("__kplan_ownership", "__kplan_journal"):
        if topic in existing:
            producer.produce(topic, key=stack_name.encode(), value=None)
    producer.flush(30)


def require_consumer_protocol(admin) -> None:
    """Skip the calling test unless the broker's group coordinator enables Kafka 4's consumer protocol (KIP-848):
    `group.coordinator.rebalance.protocols` includes `consumer` (the default from Kafka 4.0; the version matrix also
    runs 3.9, where it is `classic`)."""
    import pytest
    from confluent_kafka.admin import ConfigResource

    node = admin.describe_cluster(request_timeout=20).result(30).nodes[0].id
    resource = ConfigResource(ConfigResource.Type.BROKER, str(node))
    entry = admin.describe_configs([resource])[resource].result(30).get("group.coordinator.rebalance.protocols")
    protocols = (entry.value or "").split(",") if entry is not None else []
    if "consumer" not in protocols:
        pytest.skip(f"the broker does not enable the consumer group protocol (group.coordinator.rebalance.protocols="
                    f"{','.join(protocols) or 'unset'})")


def sampled(cases: list, choose) -> list:
    """The cases CI runs: `choose(cases)`, a sample that still covers every kind and every point; all of them with
    KPLAN_ALL_CASES=1 (the whole set, as docs/fault-sweep.md's figures were made)."""
    return list(cases) if os.environ.get("KPLAN_ALL_CASES") == "1" else choose(cases)


def one_point_per_kind(cases: list[tuple], pinned: dict | None = None) -> list[tuple]:
    """(kind, point, ...) cases -> one per kind: the points taken in turn over the kinds, so that each point is
    tried by some kind (`pinned`: kind -> the point it must take)."""
    kinds = list(dict.fromkeys(c[0] for c in cases))
    out = []
    for i, kind in enumerate(kinds):
        mine = [c for c in cases if c[0] == kind]
        want = (pinned or {}).get(kind)
        out.append(next(c for c in mine if c[1] == want) if want else mine[i % len(mine)])
    return out

