"""The apply order and the batching on the real broker and Connect worker: topics before the connectors that use
them, connectors deleted before topics, irreversible and destructive steps last, the ownership record at the end
(the progress lines of one real `kplan apply` that does all of it); and one admin request per batch, counted on
the wire to the real broker. (The golden `steps` cases pin the planned steps; tests/unit/apply/test_apply_batching.py
pins the requests against a fake admin client.)"""

from __future__ import annotations

import io
import re

from kplan_helpers import kplan, run_env, snapshot, stack_doc, write_stack

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"

PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] (.*?) \.\.\. done \(\d+\.\ds\)$")


def _source(name, topic, tmp_path):
    f = tmp_path / f"{name}.txt"
    f.touch()
    return {"name": name, "class": FILE_SOURCE, "tasks_max": 1, "config": {"file": str(f), "topic": topic}}


def _progress(out: str) -> list[str]:
    """The steps of a run as its progress lines name them, checked to be numbered 1..n of n."""
    found = [PROGRESS.match(line) for line in out.splitlines() if line.startswith("[")]
    assert all(found), out
    steps = [m.group(3) for m in found if m]
    assert [(int(m.group(1)), int(m.group(2))) for m in found if m] == [
        (i, len(steps)) for i in range(1, len(steps) + 1)], out
    return steps


def test_one_run_creates_alters_puts_deletes_grows_and_destroys_in_the_documented_order(stack, admin, prefix,
                                                                                         tmp_path):
    keep, grow, doomed = f"{prefix}.keep", f"{prefix}.grow", f"{prefix}.doomed"
    n1, n2 = f"{prefix}.n1", f"{prefix}.n2"
    old_conn, new_conn = f"{prefix}-old", f"{prefix}-new"
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "1d"}},
        {"name": grow, "partitions": 1, "replication_factor": 1},
        {"name": doomed, "partitions": 1, "replication_factor": 1}],
        [_source(old_conn, doomed, tmp_path)]))  # the connector that uses the topic to delete
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text

    # one run with every kind of step: the new connector needs a topic this run creates, the removed one uses the
    # topic this run deletes
    write_stack(path, stack_doc(stack, prefix, [
        {"name": keep, "partitions": 1, "replication_factor": 1, "config": {"retention.ms": "2d"}},
        {"name": grow, "partitions": 3, "replication_factor": 1},
        {"name": n1, "partitions": 1, "replication_factor": 1},
        {"name": n2, "partitions": 2, "replication_factor": 1}],
        [_source(new_conn, n1, tmp_path)]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    assert _progress(r.out) == [
        f"create 2 topic(s): {n1}, {n2}",           # topics first, all in one batch ...
        f"change the configs of 1 topic(s): {keep}",  # ... then their configs ...
        f"create connector {new_conn} (running)",    # ... then the connectors that use them
        f"delete connector {old_conn} (and reset its offsets)",  # before any topic; its offsets go too
        f"increase partitions of {grow}",            # irreversible ...
        f"delete 1 topic(s): {doomed}",              # ... and destructive last
        "record what the stack owns",
    ]
    assert "Apply complete! Resources: 3 added, 2 changed, 2 destroyed." in r.out, r.out
    snap = snapshot(admin, stack.connect_url, prefix)
    assert {n: (t["partitions"], t["overrides"]) for n, t in snap["topics"].items()} == {
        keep: (1, {"retention.ms": str(2 * 86400000)}), grow: (3, {}), n1: (1, {}), n2: (2, {})}
    assert {n: c["state"] for n, c in snap["connectors"].items()} == {new_conn: "RUNNING"}
    assert kplan("plan", str(path), "--detailed-exitcode").code == 0


class CountingAdmin:
    """The real admin client, with every write request it sends logged (kind, topic names)."""

    def __init__(self, admin):
        self._admin = admin
        self.requests: list[tuple[str, list[str]]] = []

    def __getattr__(self, name):
        return getattr(self._admin, name)

    def create_topics(self, new_topics, **kw):
        self.requests.append(("create_topics", [t.topic for t in new_topics]))
        return self._admin.create_topics(new_topics, **kw)

    def incremental_alter_configs(self, resources, **kw):
        self.requests.append(("incremental_alter_configs", [r.name for r in resources]))
        return self._admin.incremental_alter_configs(resources, **kw)

    def create_partitions(self, new_partitions, **kw):
        self.requests.append(("create_partitions", [p.topic for p in new_partitions]))
        return self._admin.create_partitions(new_partitions, **kw)

    def delete_topics(self, topics, **kw):
        self.requests.append(("delete_topics", list(topics)))
        return self._admin.delete_topics(topics, **kw)


def _apply_counting_requests(path) -> tuple[int, str, list[tuple[str, list[str]]]]:
    """`kplan apply PATH --auto-approve` in this process (the same `run_apply` the command calls: lock, plan,
    journal, executor, real writer), its admin client wrapped to log every write request it sends to the broker."""
    from kplan.session.cluster import Cluster
    from kplan.session.run import RunOptions, run_apply
    from kplan.stackfile import load_stack

    environ = run_env()
    stack = load_stack(str(path), environ=environ)
    cluster = Cluster.open(stack, environ)
    counting = CountingAdmin(cluster.writer.kafka.admin)
    cluster.writer.kafka.admin = counting
    out = io.StringIO()
    try:
        result, _ = run_apply(cluster, RunOptions(out=out))
    finally:
        cluster.close()
    assert result is not None
    return result.exit_code, out.getvalue(), counting.requests


def test_each_batch_is_one_request_to_the_real_broker(stack, admin, prefix, tmp_path):
    cfg = [f"{prefix}.cfg{i}" for i in range(1, 4)]
    grow = [f"{prefix}.grow{i}" for i in range(1, 3)]
    gone = [f"{prefix}.gone{i}" for i in range(1, 3)]
    new = [f"{prefix}.new{i}" for i in range(1, 5)]

    def t(name, partitions=1, **config):
        return {"name": name, "partitions": partitions, "replication_factor": 1, "config": config}

    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [t(n, **{"retention.ms": "1d"}) for n in cfg]
                                                      + [t(n) for n in grow + gone]))
    assert kplan("apply", str(path), "--auto-approve").code == 0
    write_stack(path, stack_doc(stack, prefix, [t(n, **{"retention.ms": "2d"}) for n in cfg]
                                + [t(n, 2) for n in grow] + [t(n, 2, **{"cleanup.policy": "compact"}) for n in new]))

    code, out, requests = _apply_counting_requests(path)

    assert code == 0, out
    ours = [(kind, sorted(names)) for kind, names in requests if any(n.startswith(prefix) for n in names)]
    assert ours == [("create_topics", new), ("incremental_alter_configs", cfg), ("create_partitions", grow),
                    ("delete_topics", gone)], requests
    snap = snapshot(admin, stack.connect_url, prefix)["topics"]
    assert {n: (s["partitions"], s["overrides"]) for n, s in snap.items()} == {
        **{n: (1, {"retention.ms": str(2 * 86400000)}) for n in cfg}, **{n: (2, {}) for n in grow},
        **{n: (2, {"cleanup.policy": "compact"}) for n in new}}
