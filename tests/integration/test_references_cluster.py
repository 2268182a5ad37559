"""`references:` on the real broker and Connect worker (issue 43): stack B's sink reads stack A's topic. B's plan
checks the topic exists as B needs it (one located line when it does not), and B's apply and destroy never touch
it."""

from __future__ import annotations

from kplan_helpers import kplan, snapshot, stack_doc, write_stack

FILE_SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"


def _b(stack, prefix, tmp_path, topic, **expect):
    doc = stack_doc(stack, f"{prefix}-b", [], [
        {"name": f"{prefix}-sink", "class": FILE_SINK, "tasks_max": 1,
         "config": {"topics": topic, "file": str(tmp_path / "sink.txt")}}])
    doc["references"] = [{"address": f"topic.{topic}", "expect": expect}]
    return write_stack(tmp_path / "b.yaml", doc)


def test_a_stack_that_reads_another_stacks_topic(stack, admin, prefix, tmp_path):
    topic = f"{prefix}.payments"
    path_a = write_stack(tmp_path / "a.yaml", stack_doc(stack, f"{prefix}-a", [
        {"name": topic, "partitions": 3, "replication_factor": 1, "config": {"cleanup.policy": "delete"}}]))

    # before A exists: B's plan fails with one line located at the reference
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=3)
    r = kplan("plan", str(path_b))
    assert r.code == 1 and f"topic.{topic} does not exist on the cluster" in r.text, r.text
    assert "b.yaml:" in r.text, r.text

    r = kplan("apply", str(path_a), "--auto-approve")
    assert r.code == 0, r.text
    r = kplan("plan", str(path_b), "--detailed-exitcode")
    assert r.code == 2 and "1 to add, 0 to change, 0 to destroy" in r.out, r.text  # the sink only
    r = kplan("apply", str(path_b), "--auto-approve")
    assert r.code == 0, r.text

    # an expectation the topic does not meet is one located error naming what differs
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=6, config={"cleanup.policy": "compact"})
    r = kplan("plan", str(path_b))
    assert r.code == 1, r.text
    assert (f"topic.{topic} is not as the stack needs it: 3 partitions, at least 6 expected; cleanup.policy is "
            "delete, compact expected") in r.text, r.text

    # B's destroy deletes its sink and never the topic it only reads
    path_b = _b(stack, prefix, tmp_path, topic, min_partitions=3)
    r = kplan("destroy", str(path_b), "--auto-approve")
    assert r.code == 0, r.text
    snap = snapshot(admin, stack.connect_url, prefix)
    assert topic in snap["topics"] and f"{prefix}-sink" not in snap["connectors"]
    r = kplan("destroy", str(path_a), "--auto-approve")
    assert r.code == 0, r.text
