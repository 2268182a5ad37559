"""The migration copy's loop (kinds/topic/io/migrate.py `_Copy`) over a fake consumer and producer that behave as
librdkafka does where the copy depends on it: a read_committed partition ending in a transaction marker gives its
last record, then its end (the position moves to the end only with it); a pause can outlive an assign and the
resume after it (librdkafka issue 5591: a resume racing the assign's fetch start is dropped as outdated); a leader
that does not answer gives nothing; a full queue refuses records. Each wait of the copy ends: done, or one WriteError
line within the stack's timeout."""

from __future__ import annotations

import io

import pytest
from confluent_kafka import KafkaError, TopicPartition

from kplan.errors import WriteError
from kplan.kinds.topic.io.migrate import CopyProgress, _Copy

TIMEOUT_S = 5.0
SPIN = 300  # consumes (or polls x 100) after which a copy that has not ended is taken to spin forever


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Msg:
    def __init__(self, partition: int, offset: int, eof: bool = False):
        self._p, self._o, self._eof = partition, offset, eof

    def error(self):
        return KafkaError(KafkaError._PARTITION_EOF) if self._eof else None

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def value(self) -> bytes:
        return f"v{self._p}-{self._o}".encode()

    def key(self) -> bytes:
        return f"k{self._p}".encode()

    def headers(self):
        return None

    def timestamp(self):
        return (1, 1000 + self._o)


class Consumer:
    """Partition -> its records' offsets (gaps: markers) and its end; `sticky_pause`: resume after an assign is lost
    (issue 5591); `silent`: partitions whose leader gives nothing."""

    def __init__(self, clock: Clock, records: dict[int, list[int]], ends: dict[int, int], silent=(),
                 sticky_pause: bool = False):
        self.clock, self.records, self.ends, self.silent, self.sticky = clock, records, ends, set(silent), sticky_pause
        self.fetch: dict[int, int] = {}  # assigned partition -> next offset to fetch
        self.app: dict[int, int] = {}  # position (last given + 1; the end once the end was given)
        self.paused: set[int] = set()
        self.ended: set[int] = set()  # partitions whose end was given since the assign
        self.consumes = 0

    def assign(self, tps) -> None:
        self.fetch = {tp.partition: max(tp.offset, 0) for tp in tps}
        self.app, self.ended = {}, set()

    def incremental_unassign(self, tps) -> None:
        for tp in tps:
            self.fetch.pop(tp.partition)
            self.app.pop(tp.partition, None)

    def pause(self, tps) -> None:
        self.paused |= {tp.partition for tp in tps}

    def resume(self, tps) -> None:
        if not self.sticky:
            self.paused -= {tp.partition for tp in tps}

    def assignment(self):
        return [TopicPartition("old", p) for p in sorted(self.fetch)]

    def position(self, tps):
        return [TopicPartition(tp.topic, tp.partition, self.app.get(tp.partition, -1001)) for tp in tps]

    def consumer_group_metadata(self):
        return "meta"

    def consume(self, num_messages: int, timeout: float):
        self.consumes += 1
        if self.consumes > SPIN:
            raise RuntimeError(f"the copy spun: {SPIN} consumes, left at {self.app}")
        out = []
        for p in sorted(self.fetch):
            if p in self.paused or p in self.silent:
                continue
            for o in (o for o in self.records[p] if o >= self.fetch[p]):
                out.append(Msg(p, o))
                self.fetch[p] = self.app[p] = o + 1
            if p not in self.ended:  # the end, given once: the position moves past any marker to it
                self.ended.add(p)
                self.fetch[p] = self.app[p] = self.ends[p]
                out.append(Msg(p, self.ends[p], eof=True))
        if not out:
            self.clock.now += timeout
        return out


class Producer:
    """A transactional producer: what each committed transaction wrote and the offsets it committed;
    `full`: its queue refuses every record."""

    def __init__(self, clock: Clock, full: bool = False):
        self.clock, self.full = clock, full
        self.open: dict | None = None
        self.committed: list[dict] = []
        self.pending: list = []
        self.polls = 0

    def begin_transaction(self) -> None:
        assert self.open is None
        self.open = {"records": [], "offsets": None}

    def produce(self, topic, value, key, headers, timestamp, on_delivery=None) -> None:
        if self.full:
            raise BufferError("queue full")
        self.open["records"].append(value)
        if on_delivery is not None:
            self.pending.append(on_delivery)

    def poll(self, timeout: float) -> int:
        self.polls += 1
        if self.polls > SPIN * 100:
            raise RuntimeError("the copy spun on a full queue")
        self.clock.now += timeout
        return 0

    def flush(self, timeout: float) -> int:
        for i, on in enumerate(self.pending):
            on(None, Msg(0, i))
        self.pending = []
        return 0

    def send_offsets_to_transaction(self, offsets, meta, timeout) -> None:
        self.open["offsets"] = {tp.partition: tp.offset for tp in offsets}

    def commit_transaction(self, timeout) -> None:
        self.committed.append(self.open)
        self.open = None

    def abort_transaction(self, timeout) -> None:
        self.open = None

    def offsets(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for t in self.committed:
            out.update(t["offsets"] or {})
        return out

    def records(self) -> list[bytes]:
        return [r for t in self.committed for r in t["records"]]


def _copy(consumer: Consumer, producer: Producer, clock: Clock, groups) -> _Copy:
    n = len(consumer.ends)
    progress = CopyProgress("old", "new", 0, io.StringIO(), clock=clock)
    return _Copy(consumer, producer, "old", "new", groups, {p: 0 for p in range(n)}, {p: {} for p in range(n)},
                 TIMEOUT_S, progress, clock=clock)


def _records(ends: dict[int, int], marker_last: bool = False) -> dict[int, list[int]]:
    return {p: list(range(e - 1 if marker_last else e)) for p, e in ends.items()}


def test_a_partition_read_to_a_passs_bound_is_copied_on_in_the_next_pass_though_a_pause_would_stick():
    """The 300 s hang of test_on_the_3_broker_cluster_a_sink_connector_switched... (17:38, 2026-11-28): partition 8 was
    paused at its pass's bound, and the next pass's resume did not take (librdkafka 5591): the copy committed empty
    transactions once a second, partition 8 at 120 of 139. A partition at its bound leaves the assignment instead."""
    clock = Clock()
    ends = {p: 30 + p for p in range(12)}
    consumer = Consumer(clock, _records(ends), ends, sticky_pause=True)
    producer = Producer(clock)
    groups = {"early": {p: p % 3 for p in range(12)}, "late": {p: 20 + p // 2 for p in range(12)}}
    _copy(consumer, producer, clock, groups).passes({("old", p): e for p, e in ends.items()})
    assert producer.offsets() == ends
    assert sorted(producer.records()) == sorted(Msg(p, o).value() for p in ends for o in range(ends[p]))


def test_a_partition_whose_leader_gives_nothing_fails_the_copy_within_the_stacks_timeout_naming_it():
    clock = Clock()
    ends = {p: 10 for p in range(4)}
    consumer = Consumer(clock, _records(ends), ends, silent={2})
    producer = Producer(clock)
    with pytest.raises(WriteError) as e:
        _copy(consumer, producer, clock, {}).passes({("old", p): e for p, e in ends.items()})
    assert str(e.value) == ("copying old into new: the consumer of old got nothing for 5 s (the stack's timeout) "
                            "while partition 2 (at offset 0, copying up to 10) still had records to copy; check that "
                            "the brokers leading old answer, then apply again")
    assert TIMEOUT_S < clock.now <= TIMEOUT_S + 2
    assert len([t for t in producer.committed if t["offsets"]]) == 1  # waiting sends nothing to the brokers


def test_a_producer_queue_that_stays_full_fails_the_copy_within_the_stacks_timeout():
    clock = Clock()
    ends = {0: 10}
    with pytest.raises(WriteError, match="^copying old into new: the producer's queue stayed full for 5 s "):
        _copy(Consumer(clock, _records(ends), ends), Producer(clock, full=True), clock, {}).passes({("old", 0): 10})
    assert TIMEOUT_S < clock.now <= TIMEOUT_S + 1


def test_partitions_ending_in_a_transaction_marker_are_copied_to_their_end_also_from_a_bound_on_the_marker():
    """Transactional source records: each partition's last offset is a commit marker, which no record reaches (the
    position gets there with the end), and a group committed on the marker makes a pass end there."""
    clock = Clock()
    ends = {p: 12 + p for p in range(4)}
    consumer = Consumer(clock, _records(ends, marker_last=True), ends)
    producer = Producer(clock)
    _copy(consumer, producer, clock, {"g": {p: ends[p] - 1 for p in ends}}).passes(
        {("old", p): e for p, e in ends.items()})
    assert producer.offsets() == ends
    assert len(producer.records()) == sum(ends.values()) - len(ends)
