"""Reading the cluster while the stack loads (kplan.cluster.prefetch, kplan.stackfile ClusterPreview): the
early read is handed over only when it is the read the loaded stack needs; anything else is read again."""

from __future__ import annotations

import string
import threading

import pytest

from kplan.cluster.prefetch import Prefetch
from kplan.model.live import LiveState
from kplan.model.plan import ResourceType

NONE: frozenset[str] = frozenset()  # a stack that declares nothing beyond topics and connectors


class FakeReader:
    def __init__(self, names=(), fail=None, gate=None):
        self.calls: list = []
        self.described: list = []
        self.closed = 0
        self.fail = fail
        self.gate = gate
        self.all = frozenset(names)
        self.last_metadata = {n: (1, 1) for n in names}

    def read(self, stack_name, topic_names=None, sections=frozenset()):
        self.calls.append((stack_name, tuple(topic_names) if topic_names is not None else None, sections))
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail is not None:
            raise self.fail
        return LiveState(cluster_id="c", broker_count=1, all_topic_names=self.all)

    def describe_topic_configs(self, names):
        self.described.append(list(names))
        return {n: ({"retention.ms": "1"}, {"retention.ms": "1"}, frozenset()) for n in names}

    def close(self):
        self.closed += 1


def test_the_early_read_is_handed_over_when_the_stack_asks_for_the_same():
    reader = FakeReader(["a", "b"])
    pre = Prefetch(reader, "s", ["a", "b"], NONE)
    live = pre.read("s", topic_names=["b", "a"], sections=NONE)
    assert live.all_topic_names == {"a", "b"} and reader.calls == [("s", ("a", "b"), NONE)]


def test_the_early_read_is_handed_over_once_and_later_reads_are_fresh():
    reader = FakeReader(["a"])
    pre = Prefetch(reader, "s", ["a"], NONE)
    pre.read("s", topic_names=["a"], sections=NONE)
    pre.read("s", topic_names=["a"], sections=NONE)  # e.g. planning again after waiting for the metadata
    assert len(reader.calls) == 2


def test_an_early_read_that_does_not_know_every_topic_name_is_read_again_for_more_topics():
    """A reader that does not know every topic name (`all_topic_names` None) cannot say which added topics exist:
    the stack's read is done anew instead of failing on the unknown names."""
    reader = FakeReader(["a"])
    reader.all = None
    pre = Prefetch(reader, "s", ["a"], NONE)
    pre.read("s", topic_names=["a", "b"], sections=NONE)
    assert reader.calls == [("s", ("a",), NONE), ("s", ("a", "b"), NONE)] and reader.described == []


def test_topics_the_loaded_stack_adds_are_described_and_added():
    reader = FakeReader(["a", "cdc.t1", "cdc.t2"])
    pre = Prefetch(reader, "s", ["a"], NONE)
    live = pre.read("s", topic_names=["a", "cdc.t1", "cdc.t2", "not-there"], sections=NONE)
    assert reader.described == [["cdc.t1", "cdc.t2"]]
    topics = live.of(ResourceType.TOPIC).resources
    assert set(topics) == {"cdc.t1", "cdc.t2"} and topics["cdc.t1"].overrides == {"retention.ms": "1"}
    assert len(reader.calls) == 1


def test_the_early_read_is_handed_over_when_the_sections_differ_only_in_kinds_the_read_always_makes():
    """The preview names the sections a file writes; the loaded stack asks with those its entries fill (topics and
    connectors, a CDC source's too). Only a kind read with a client of its own (OWN_READS) changes the read: a
    no-change plan read the whole cluster twice while these were compared too (issue 55)."""
    reader = FakeReader(["a"])
    pre = Prefetch(reader, "s", ["a"], frozenset({"acls"}))
    pre.read("s", topic_names=["a"], sections=frozenset({"topics", "connectors", "acls", "users"}))
    assert reader.calls == [("s", ("a",), frozenset({"acls"}))]


@pytest.mark.parametrize("args", [("other", ["a"], NONE), ("s", ["a"], frozenset({"quotas"})), ("s", None, NONE)])
def test_a_different_read_is_made_again(args):
    reader = FakeReader(["a"])
    pre = Prefetch(reader, "s", ["a"], NONE)
    name, topics, sections = args
    pre.read(name, topic_names=topics, sections=sections)
    assert len(reader.calls) == 2 and reader.calls[1][0] == name and reader.calls[1][2] == sections


def test_the_early_read_s_error_is_raised_by_read():
    reader = FakeReader(fail=RuntimeError("cannot reach Kafka"))
    pre = Prefetch(reader, "s", [], NONE)
    with pytest.raises(RuntimeError, match="cannot reach Kafka"):
        pre.read("s", topic_names=[], sections=NONE)


def test_closing_while_the_read_runs_leaves_the_close_to_the_reading_thread():
    gate = threading.Event()
    reader = FakeReader(gate=gate)
    pre = Prefetch(reader, "s", [], NONE)
    pre.close()
    assert reader.closed == 0  # not under the read's feet
    gate.set()
    pre._thread.join(5)
    assert reader.closed == 1


def test_closing_after_the_read_closes_at_once():
    reader = FakeReader()
    pre = Prefetch(reader, "s", [], NONE)
    pre.read("s", topic_names=[], sections=NONE)
    pre.close()
    assert reader.closed == 1


def _preview(tmp_path, text, environment=None):
    from kplan.stackfile import validate_stack

    path = tmp_path / "stack.yaml"
    path.write_text(text)
    seen = []
    stack, diags = validate_stack(str(path), environment, {"BS": "b:9092"}, on_cluster=seen.append)
    return stack, diags, seen


BASE = """
stack: shop
cluster: {bootstrap_servers: "${BS}", timeout: 20s}
topics:
  - {name: orders, partitions: 1, replication_factor: 1}
environments:
  prod:
    cluster: {bootstrap_servers: "p:9092"}
"""


def test_the_preview_is_the_loaded_stack_s_cluster(tmp_path):
    stack, _, seen = _preview(tmp_path, BASE)
    assert len(seen) == 1 and seen[0].cluster == stack.cluster and seen[0].stack_name == "shop"
    assert seen[0].topic_names == {"orders"} and seen[0].sections == NONE
    stack, _, seen = _preview(tmp_path, BASE, "prod")
    assert seen[0].cluster == stack.cluster and stack.cluster.bootstrap_servers == "p:9092"


@pytest.mark.parametrize("text", [
    BASE.replace("timeout: 20s", "timeout: soon"),  # a cluster the schema or the builder refuses
    BASE.replace("stack: shop", ""),  # no name
    BASE + "---\ncluster: {bootstrap_servers: x:1}\n",  # two cluster sections
    BASE.replace('"${BS}"', '"${MISSING}"'),  # an unresolvable variable
])
def test_no_preview_when_the_cluster_is_in_doubt(tmp_path, text):
    _, _, seen = _preview(tmp_path, text)
    assert seen == []


def test_the_name_predicate_never_passes_what_the_schema_refuses():
    """The fast name check says "valid" only where jsonschema says so too (it may say "ask" more often)."""
    import random

    from jsonschema import Draft202012Validator

    from kplan.stackfile.schema import STACK, _item_validators

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "._-/ \\$ {}:\x00\x1fé"
    for key in ("topics", "connectors", "cdc"):
        fast = _item_validators(key)[1]
        full = Draft202012Validator(STACK.schema["properties"][key]["items"]["properties"]["name"]).is_valid
        samples = ["", ".", "..", "a" * 249, "a" * 250, "${X}", "${X:-y}", "a/b", "ok-name_1.2", "x\x00", 5, None]
        samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(3000)]
        for name in samples:
            if fast(name):
                assert full(name), (key, name)
        assert fast("ok-name_1.2") and not fast("")
