"""The HTML plan page of a real plan (docs/html-report.md): a destroy plan of a source connector and the topic it
writes, which a real confluent-kafka consumer group has read (committed offsets, then closed: Empty). The page's
picture of the flows has the connector, the topic and the group, the changed parts marked; its warnings come first;
`kplan show --format html` of the saved plan draws the same."""

from __future__ import annotations

import json
import re

import pytest
from confluent_kafka import Consumer, TopicPartition
from kplan_helpers import kplan, stack_doc, wait_for, write_stack

pytestmark = pytest.mark.integration

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="kplan-data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its data"
    return json.loads(m.group(1))


def test_the_page_draws_the_flow_from_connector_to_topic_to_its_consumer_group(stack, admin, prefix, tmp_path):
    topic, name, group = f"{prefix}.events", f"{prefix}-src", f"{prefix}-readers"
    (tmp_path / "in.txt").write_text("a\nb\nc\n")
    conn = {"name": name, "class": FILE_SOURCE, "tasks_max": 1,
            "config": {"file": str(tmp_path / "in.txt"), "topic": topic}}
    path = write_stack(tmp_path / "s.yaml", stack_doc(stack, prefix, [{"name": topic, "partitions": 1,
                                                                        "replication_factor": 1}], [conn]))
    r = kplan("apply", str(path), "--auto-approve")
    assert r.code == 0, r.text
    reader = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group, "enable.auto.commit": False,
                       "auto.offset.reset": "earliest"})
    try:
        reader.subscribe([topic])
        got: list = []

        def read_all():
            m = reader.poll(0.5)
            if m is not None and not m.error():
                got.append(m.value())
            return len(got) >= 3

        wait_for(read_all, timeout=90, what="the connector's 3 lines read by the group")
        reader.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)  # 1 left unconsumed
    finally:
        reader.close()
    wait_for(lambda: admin.describe_consumer_groups([group])[group].result(10).state.name == "EMPTY",
             what=f"group {group} Empty")
    try:
        r = kplan("plan", str(path), "--destroy", "-out", str(tmp_path / "p.plan"), "--report",
                  str(tmp_path / "plan.html"))
        assert r.code == 0, r.text
        shown = kplan("show", str(tmp_path / "p.plan"), "--format", "html")
        assert shown.code == 0, shown.text
        for page in ((tmp_path / "plan.html").read_text(), shown.out):
            assert f'<g class="n n-connector a-delete" data-node="connector:{name}">' in page
            assert f'<g class="n n-topic a-delete" data-node="topic:{topic}">' in page
            assert f'<g class="n n-group" data-node="group:{group}">' in page  # not changed: not outlined
            assert f'data-edge="connector:{name}&gt;topic:{topic}"' in page
            assert f'data-edge="topic:{topic}&gt;group:{group}"' in page
            warnings = page[page.index('<section id="warnings">'):page.index('<section id="flows">')]
            assert f"{group} (Empty, 0 members, lag 1)" in warnings, warnings
            data = _data(page)
            assert sorted((row["a"], row["x"]) for row in data["changes"]) == [
                (f"connector.{name}", "delete"), (f"topic.{topic}", "delete")]
    finally:
        assert kplan("destroy", str(path), "--auto-approve").code == 0
        for f in admin.delete_consumer_groups([group]).values():
            try:
                f.result(20)
            except Exception:  # noqa: BLE001 - best effort
                pass
