"""Unknown is not unchanged (issue 41, defect 2), on the real stack: a stack with two Connect clusters owns a
connector on the second; then the second's URL points at a port nothing listens on. Plan (also under
--detailed-exitcode), status and destroy say it could not be read and fail, where the plan used to print "No
changes. The cluster matches the stack." and exit 0. With `--allow-unreadable connect:other` the rest is planned,
the summary says what was not read (never "No changes."), the plan JSON records it, a saved plan made so applies
and says so again; and the connector the unread cluster holds stays owned, after such an apply (the next full plan
has no change) and after such a destroy (the next destroy deletes it). `status` takes the same opt-in (the rest
reported, never "in sync" for what was not read), and so does `recover --resume`, which plans again: an apply killed
mid-way while the second cluster becomes unreadable is refused by the resume with the option that goes on, then
finished with it.

Parallel-safe: both names reach the session's own Connect worker (the second is just another name for it, so the
test needs no worker of its own); the unreachable one is a free local port."""

from __future__ import annotations

import json
import socket

import requests
from kplan_helpers import killed_kplan, kplan, write_stack

from kplan.exiting import EXIT_USAGE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_doc(name: str, stack, other_url: str, file) -> dict:
    return {"stack": name,
            "cluster": {"bootstrap_servers": stack.bootstrap_servers, "timeout": "10s",
                        "connect": {"default": {"url": stack.connect_url}, "other": {"url": other_url}}},
            "topics": [{"name": f"{name}.orders", "partitions": 1, "replication_factor": 1}],
            "connectors": [{"name": f"{name}-sink", "connect": "other", "class": "FileStreamSink",
                            "config": {"topics": f"{name}.orders", "file": str(file),
                                       "consumer.override.group.id": f"{name}-sink"}}]}


def test_an_unreadable_connect_cluster_is_never_no_changes(stack, unique, tmp_path, admin):
    name = unique("unreadable")
    sink = f"{name}-sink"
    env = {"KPLAN_STATE_DIR": str(tmp_path / "state")}
    path = tmp_path / "stack.yaml"
    down = f"http://127.0.0.1:{free_port()}"
    write_stack(path, stack_doc(name, stack, stack.connect_url, tmp_path / "out.txt"))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes. The cluster matches the stack." in r.out, r.text

        write_stack(path, stack_doc(name, stack, down, tmp_path / "out.txt"))
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 1, r.text
        assert "No changes" not in r.text, r.text
        unread = [line for line in r.text.splitlines() if "could not be read" in line]
        assert len(unread) == 1 and unread[0].startswith("Error: Kafka Connect cluster 'other' could not be read ("), \
            r.text
        assert "--allow-unreadable connect:other" in unread[0], r.text

        r = kplan("status", str(path), env=env)
        assert r.code == 2, r.text
        assert sum("Kafka Connect cluster 'other' could not be read" in line for line in r.text.splitlines()) == 1, \
            r.text
        # the option the error names is one status takes: the rest is reported, never "in sync" for what was not
        r = kplan("status", str(path), "--allow-unreadable", "connect:other", env=env)
        assert r.code == 0, r.text
        assert r.out.rstrip().splitlines()[-1] == (
            "1 resource: 1 in sync; not read (--allow-unreadable): Kafka Connect cluster 'other' (1 declared resource "
            "unknown, not reported)"), r.text
        r = kplan("status", str(path), "--allow-unreadable", "connect:other", "--format", "json", env=env)
        doc = json.loads(r.out)
        assert r.code == 0 and doc["in_sync"] is False and doc["unread"] == [f"connector.other/{sink}"], r.text

        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 1 and "Kafka Connect cluster 'other' could not be read" in r.text, r.text
        assert f"{name}.orders" in admin.list_topics(timeout=10).topics

        # the explicit opt-in: the rest is planned, and the summary and the JSON say what was not
        r = kplan("plan", str(path), "--detailed-exitcode", "--allow-unreadable", "connect:other", env=env)
        assert r.code == 0, r.text
        assert "No changes. " not in r.out, r.text
        assert ("No changes in what was read. Not read (--allow-unreadable): Kafka Connect cluster 'other'; nothing "
                "on it was planned.") in r.out, r.text
        r = kplan("plan", str(path), "--format", "json", "--allow-unreadable", "connect:other", env=env)
        assert r.code == 0, r.text
        doc = json.loads(r.out)
        assert [n["system"] for n in doc["not_read"]] == ["connect:other"], doc["not_read"]
        assert "connection refused" in doc["not_read"][0]["why"], doc["not_read"]

        saved = tmp_path / "saved.plan"
        r = kplan("plan", str(path), "--allow-unreadable", "connect:other", "-out", str(saved), env=env)
        assert r.code == 0 and saved.exists(), r.text
        r = kplan("apply", str(saved), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert "Not read (--allow-unreadable): Kafka Connect cluster 'other'" in r.out, r.text
        r = kplan("apply", str(path), "--auto-approve", env=env)  # without the opt-in: refused
        assert r.code == 1 and "Kafka Connect cluster 'other' could not be read" in r.text, r.text

        # readable again: the connector it holds is still the stack's, unchanged
        write_stack(path, stack_doc(name, stack, stack.connect_url, tmp_path / "out.txt"))
        r = kplan("plan", str(path), "--detailed-exitcode", env=env)
        assert r.code == 0 and "No changes. The cluster matches the stack." in r.out, r.text

        # a destroy allowed without it cannot stop the sink it could not see, which still reads the topic: the
        # consumer guard refuses to delete the topic under it (its group has a live member)
        write_stack(path, stack_doc(name, stack, down, tmp_path / "out.txt"))
        r = kplan("destroy", str(path), "--auto-approve", "--allow-unreadable", "connect:other", env=env)
        assert r.code == 1 and "breaks consumer groups with live members" in r.out and f"{sink} (Stable" in r.out, \
            r.text
        assert f"{name}.orders" in admin.list_topics(timeout=20).topics
        # told to go on anyway, it deletes the rest and keeps owning what it could not see
        r = kplan("destroy", str(path), "--auto-approve", "--allow-unreadable", "connect:other",
                  "--allow-active-consumers", env=env)
        assert r.code == 0, r.text
        assert "Destroy complete! Resources: 1 destroyed. Not read (--allow-unreadable): Kafka Connect cluster " \
               "'other'" in r.out, r.text
        assert sink in requests.get(f"{stack.connect_url}/connectors", timeout=10).json()
        write_stack(path, stack_doc(name, stack, stack.connect_url, tmp_path / "out.txt"))
        r = kplan("plan", str(path), "--destroy", env=env)
        assert r.code == 0 and f"connector.other/{sink} will be destroyed" in r.out, r.text
        r = kplan("destroy", str(path), "--auto-approve", env=env)
        assert r.code == 0, r.text
        assert sink not in requests.get(f"{stack.connect_url}/connectors", timeout=10).json()
    finally:
        requests.delete(f"{stack.connect_url}/connectors/{sink}", timeout=60)
        admin.delete_topics([f"{name}.orders"])


def resume_doc(name: str, stack, retention: str, extra_topic: bool, file) -> dict:
    """The second Connect cluster's URL comes from a variable: the stack's files (and so the interrupted run's
    inputs digest, which a resume checks) stay the same while it is made unreadable."""
    doc = stack_doc(name, stack, "${UNREADABLE_TEST_OTHER_URL}", file)
    doc["topics"] += [{"name": f"{name}.b", "partitions": 1, "replication_factor": 1,
                       "config": {"retention.ms": retention}}]
    if extra_topic:
        doc["topics"].append({"name": f"{name}.c", "partitions": 1, "replication_factor": 1})
    return doc


def test_a_resume_that_cannot_read_a_connect_cluster_says_how_to_go_on_and_goes_on_with_it(stack, unique, tmp_path,
                                                                                          admin):
    name = unique("unreadres")
    sink = f"{name}-sink"
    up = {"KPLAN_STATE_DIR": str(tmp_path / "state"), "UNREADABLE_TEST_OTHER_URL": stack.connect_url}
    down = dict(up, UNREADABLE_TEST_OTHER_URL=f"http://127.0.0.1:{free_port()}")
    path = tmp_path / "stack.yaml"
    write_stack(path, resume_doc(name, stack, "1d", False, tmp_path / "out.txt"))
    try:
        r = kplan("apply", str(path), "--auto-approve", env=up)
        assert r.code == 0, r.text
        # the change: create c, then b's retention; killed after its first step
        write_stack(path, resume_doc(name, stack, "2d", True, tmp_path / "out.txt"))
        r = killed_kplan("apply", str(path), "--auto-approve", kill_at="after-step:1", env=up)
        assert r.code == -9, r.text

        r = kplan("recover", str(path), "--resume", "--force", "--auto-approve", env=down)
        assert r.code == 1, r.text
        assert "Kafka Connect cluster 'other' could not be read" in r.text, r.text
        assert "--allow-unreadable connect:other" in r.text, r.text
        assert retention(admin, f"{name}.b") == str(86400000)  # nothing applied

        r = kplan("recover", str(path), "--resume", "--force", "--auto-approve", "--allow-unreadable",
                  "connect:other", env=down)
        assert r.code == 0, r.text
        assert "Recovery complete: the cluster is as the stack declares in what was read. Not read " \
               "(--allow-unreadable): Kafka Connect cluster 'other'" in r.out, r.text
        assert retention(admin, f"{name}.b") == str(2 * 86400000)
        assert sink in requests.get(f"{stack.connect_url}/connectors", timeout=10).json()

        r = kplan("plan", str(path), "--detailed-exitcode", env=up)  # finished, and the connector still owned
        assert r.code == 0 and "No changes. The cluster matches the stack." in r.out, r.text
        r = kplan("recover", str(path), "--rollback", "--allow-unreadable", "connect:other", env=up)
        assert r.code == EXIT_USAGE and "--allow-unreadable goes with --resume" in r.err, r.text
    finally:
        requests.delete(f"{stack.connect_url}/connectors/{sink}", timeout=60)
        admin.delete_topics([f"{name}.orders", f"{name}.b", f"{name}.c"])


def retention(admin, topic: str) -> str:
    from confluent_kafka.admin import ConfigResource

    (future,) = admin.describe_configs([ConfigResource("topic", topic)]).values()
    return future.result(timeout=20)["retention.ms"].value
