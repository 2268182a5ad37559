"""Where named resets move each group (kplan.kinds.group_request.io.read_groups), with a fake admin that answers
list_offsets per spec: groups sharing a partition each get their own spec's target (issue 41, defect 1)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace

from kplan.kinds.group_request.io import read_groups
from kplan.transport.log_offsets import spec_batches

# topic t, partition 0: records 0..9, those from offset 5 on written at or after 5000 ms
EARLIEST, LATEST = 0, 10


def _done(value):
    f: Future = Future()
    f.set_result(value)
    return f


class FakeAdmin:
    def __init__(self):
        self.list_offsets_calls = 0

    def describe_consumer_groups(self, names, request_timeout):
        return {n: _done(SimpleNamespace(state="EMPTY", members=())) for n in names}

    def list_consumer_group_offsets(self, requests, request_timeout):
        from confluent_kafka import TopicPartition

        group = requests[0].group_id
        return {group: _done(SimpleNamespace(topic_partitions=[TopicPartition("t", 0, 3)]))}

    def list_offsets(self, request, request_timeout):
        self.list_offsets_calls += 1
        out = {}
        for tp, spec in request.items():
            kind = type(spec).__name__
            offset = (EARLIEST if kind == "EarliestSpec" else LATEST if kind == "LatestSpec" else
                      5 if spec.timestamp <= 5000 else -1)
            out[tp] = _done(SimpleNamespace(offset=offset))
        return out


def test_groups_on_one_partition_each_get_their_own_target():
    admin = FakeAdmin()
    queries = {"early": {"topics": ["t"], "to": "earliest", "ms": None},
               "late": {"topics": ["t"], "to": "latest", "ms": None},
               "then": {"topics": ["t"], "to": "timestamp", "ms": 4000},
               "after-all": {"topics": ["t"], "to": "timestamp", "ms": 9000}}
    out = read_groups(admin, queries, {"t": 1}, 5, now_ms=10_000)
    assert {n: d["targets"] for n, d in out.items()} == {
        "early": [["t", 0, 0]], "late": [["t", 0, 10]], "then": [["t", 0, 5]], "after-all": [["t", 0, 10]]}
    assert admin.list_offsets_calls == 5  # 4 distinct specs on one partition, and the end for the one past it


def test_spec_batches_ask_each_partition_once_per_request():
    batches = spec_batches([("t", 0, "earliest"), ("t", 0, "latest"), ("t", 1, "earliest"), ("t", 0, "earliest")])
    assert batches == [{("t", 0): "earliest", ("t", 1): "earliest"}, {("t", 0): "latest"}]
    assert spec_batches([]) == []
