"""A topic migration's I/O (kplan.kinds.topic.migration, docs/migrations.md): the follow-up read of the old topics a
stack migrates from (made only when a stack declares a migration still to run), and apply's copy and offset moves.

The copy is exactly once: a read_committed consumer of the old topic, under the copy's own group
(`kplan-migrate-<new topic>`), and an idempotent transactional producer (transactional.id `kplan-migrate-<new
topic>`) that commits the consumer's positions in the same transaction as the records it wrote
(send_offsets_to_transaction). A killed copy resumes from those positions: what its open transaction wrote is
aborted (init_transactions fences it), what was committed is never written again. Keys are partitioned as Java
clients do (librdkafka's `murmur2_random`), so records of one key stay in one partition, in order.

The copy's offset map is kept with its positions, in the same transaction: each old partition's committed offset
carries (as its metadata) where, for each consumer group the migration moves, the first record at or after the
group's committed offset on that partition went in each new partition. A group's position on a new partition is the
least of those (the first record it had not read), or the partition's end when none went there.

Facts (confluent-kafka 2.16.1, Kafka 4.3.1, checked on the local stack): an offset's metadata set through
send_offsets_to_transaction is what list_consumer_group_offsets gives back (offset.metadata.max.bytes, 4096 by
default, bounds it: a migration moving many groups into many partitions needs it raised); the offsets of a deleted
topic are dropped from every group (so a rolled-back migration's new topic takes the moved offsets with it)."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping, TextIO

from kplan.errors import KplanError, WriteError
from kplan.kinds.topic.io.reassignments import EVERY_S, FIRST_AFTER_S
from kplan.kinds.topic.migration import (
    COPY_GROUP,
    Cutover,
    GroupPosition,
    MigrationFacts,
    SourceFacts,
    copy_passes,
    wanted,
)
from kplan.model.desired import freeze
from kplan.model.plan import ResourceType
from kplan.transport.groups import committed_offsets, describe_groups
from kplan.transport.kafka import client_config, describe_kafka_error, dispose
from kplan.transport.sessions import SessionsIO

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import ClusterSpec, Stack
    from kplan.model.live import LiveState
    from kplan.secrets import SecretValues

BATCH = 2000  # records per consume
# a transaction's records: up to this many, or this many bytes (each commit costs the brokers' round trips: at 2,000
# records a transaction the copy of 1 GiB took ~2x a plain consumer-to-producer loop, bench/migration_copy.py)
TXN_RECORDS, TXN_BYTES = 20_000, 32 * 1024 * 1024
FOLLOW_EVERY_S = 0.5  # how often a copy that follows live traffic reads the old topic's end
DONE = "kplan.done"  # the end mark in the copy's offset metadata: the groups were moved


def follow_up(stack: "Stack", live: "LiveState", reader: Any, destroy: bool) -> "LiveState":
    """The live state with what the cluster has of each old topic a declared migration copies (the topic slice's
    facts); the same state on destroy, when no migration is to run, or for a live-state file's reader."""
    moves = {} if destroy else wanted(stack, live)
    admin = getattr(reader, "admin", None) if moves else None
    if admin is None:
        return live
    topics = live.of(ResourceType.TOPIC).resources
    timeout_s = reader.cluster.timeout_s
    try:
        moves = {new: old for new, old in moves.items()
                 if new not in topics or _unfinished(admin, old, new, topics[old].partitions, topics[new].partitions,
                                                     timeout_s)}
        if not moves:
            return live
        olds = {old: topics[old].partitions for old in moves.values()}
        starts, ends = (_offsets(admin, olds, spec, timeout_s) for spec in ("earliest", "latest"))
        groups = _groups(admin, olds, timeout_s)
        sizes = _sizes(reader.cluster, reader.secrets, olds)
    except KplanError:
        raise
    except Exception as e:  # noqa: BLE001 - a refused or unanswered request: one line
        raise KplanError(f"the topics to migrate from ({', '.join(sorted(olds))}) could not be read: "
                         f"{describe_kafka_error(e)}") from None
    facts = MigrationFacts(freeze({old: SourceFacts(
        n, sum(ends[(old, p)] - starts[(old, p)] for p in range(n)),
        sum(sizes[(old, p)] for p in range(n)) if all((old, p) in sizes for p in range(n)) else None,
        tuple(GroupPosition(g, freeze({p: o for (t, p), o in sorted(c.items()) if t == old}))
              for g, c in sorted(groups.items()) if any(t == old for t, _ in c)))
        for old, n in olds.items()}))
    return live.with_kind(ResourceType.TOPIC, facts=facts)


def _unfinished(admin: Any, old: str, new: str, partitions: int, new_partitions: int, timeout_s: float) -> bool:
    """Whether the migration of `old` into the existing `new` is still to finish: its copy committed positions but
    not its end mark (`DONE`), or it has none and `new` is empty (a run killed after creating it)."""
    done = _progress(admin, old, new, partitions, timeout_s)
    if done:
        return not all(part.get(DONE) for _, part in done.values())
    return not any(_offsets(admin, {new: new_partitions}, "latest", timeout_s).values())


def _progress(admin: Any, old: str, new: str, partitions: int, timeout_s: float
              ) -> dict[int, tuple[int, dict[str, Any]]]:
    """The copy's committed progress: old partition -> (its next offset, its part of the offset map)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    name = COPY_GROUP.format(new=new)
    future = admin.list_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(name, [TopicPartition(old, p) for p in range(partitions)])],
        request_timeout=timeout_s)[name]
    return {tp.partition: (tp.offset, json.loads(tp.metadata) if tp.metadata else {})
            for tp in future.result(timeout=timeout_s + 2).topic_partitions or () if tp.offset >= 0}


def _offsets(admin: Any, topics: Mapping[str, int], spec: str, timeout_s: float, committed: bool = False
             ) -> dict[tuple[str, int], int]:
    """(topic, partition) -> its log start (`earliest`) or end (`latest`) offset; `committed`: the end a
    read_committed consumer sees (the last stable offset)."""
    from confluent_kafka import IsolationLevel, TopicPartition
    from confluent_kafka.admin import OffsetSpec

    ask = {TopicPartition(t, p): OffsetSpec.earliest() if spec == "earliest" else OffsetSpec.latest()
           for t, n in topics.items() for p in range(n)}
    level = IsolationLevel.READ_COMMITTED if committed else IsolationLevel.READ_UNCOMMITTED
    return {(tp.topic, tp.partition): int(f.result(timeout=timeout_s + 2).offset)
            for tp, f in admin.list_offsets(ask, isolation_level=level, request_timeout=timeout_s).items()}


def _groups(admin: Any, topics: Mapping[str, int], timeout_s: float) -> dict[str, dict[tuple[str, int], int]]:
    """group -> its committed offsets on `topics` (the groups with none there are left out; kplan's own copy groups
    too)."""
    listing = admin.list_consumer_groups(request_timeout=timeout_s).result(timeout=timeout_s + 2)
    out = {}
    for g in sorted(x.group_id for x in listing.valid):
        if g.startswith(COPY_GROUP.format(new="")):
            continue
        mine = {k: o for k, o in committed_offsets(admin, g, timeout_s).items() if k[0] in topics}
        if mine:
            out[g] = mine
    return out


def _sizes(cluster: "ClusterSpec", secrets: "SecretValues", topics: Mapping[str, int]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the bytes of its largest replica (DescribeLogDirs, asked of every broker)."""
    from kplan.transport.wire.client import open_client
    from kplan.transport.wire.messages import DescribeLogDirsRequest

    out: dict[tuple[str, int], int] = {}
    with open_client(cluster, secrets) as client:
        for broker in client.brokers():
            answer = client.send(DescribeLogDirsRequest(topics=[(t, list(range(n))) for t, n in topics.items()]),
                                 node=broker)
            for result in answer.results:
                for t in result.topics:
                    for p in t.partitions:
                        key = (t.name, p.partition_index)
                        out[key] = max(out.get(key, 0), int(p.partition_size))
    return out


class CopyProgress:
    """A progress line for a long copy (records copied of those to copy, the rate, the time left), at most every
    EVERY_S seconds once the copy has lasted FIRST_AFTER_S, as a reassignment's wait prints its own."""

    def __init__(self, old: str, new: str, total: int, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.what, self.total = f"copy {old} -> {new}", max(total, 0)
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.started = clock()
        self.next_at = self.started + FIRST_AFTER_S

    def __call__(self, copied: int) -> None:
        now = self.clock()
        if now < self.next_at or not copied:  # nothing read yet: the consumer's first fetch
            return
        self.next_at = now + EVERY_S
        rate = copied / max(now - self.started, 1e-9)
        left = f", about {max(self.total - copied, 0) / rate:.0f} s left" if rate > 0 else ""
        self.stream.write(f"{self.what}: {copied:,} of about {self.total:,} records, {rate:,.0f} records/s{left}\n")
        self.stream.flush()

    def following(self, copied: int, idle_s: float, cutover: Cutover) -> None:
        """A line while the copy follows live traffic: what it copied, how long the old topic has been idle, and
        what it waits for (at most every EVERY_S seconds, from the start)."""
        now = self.clock()
        if now < self.next_at:
            return
        self.next_at = now + EVERY_S
        self.stream.write(f"{self.what}: {copied:,} records copied, following the old topic (no new record for "
                          f"{idle_s:.0f} s); cutover {cutover.words()}\n")
        self.stream.flush()


class _Txn:
    """What one transaction of the copy wrote: each old record's (partition, offset) in the order read (`seen`), its
    bytes, and where each record the offset map needs went in the new topic (`placed`, by the delivery reports of
    those records only: `wanted`)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []
        self.wanted: list[tuple[int, int]] = []
        self.placed: dict[tuple[int, int], tuple[int, int]] = {}
        self.bytes = 0

    def delivered(self, key: tuple[int, int]) -> Callable[[Any, Any], None]:
        def on(err: Any, msg: Any) -> None:
            if err is None:
                self.placed[key] = (int(msg.partition()), int(msg.offset()))
        return on

    @property
    def full(self) -> bool:
        return len(self.seen) >= TXN_RECORDS or self.bytes >= TXN_BYTES


def _batch(run: _Copy, left: set[int], bound: Mapping[int, int] | None, txn: _Txn) -> int:
    """One consume of `old`'s records produced into `new` inside the open transaction (`txn`), the records the offset
    map needs (`run.mapped`) with a delivery report; the records read. A partition at its end leaves `left`; one at
    its `bound` (the pass's) is taken out of the consumer's assignment (not paused: a pause can outlive the next
    pass's assign and resume, librdkafka issue 5591) and its records from there are left to the next pass."""
    from confluent_kafka import KafkaError, TopicPartition

    consumer, producer, old, new, mapped = run.consumer, run.producer, run.old, run.new, run.mapped
    read = 0
    msgs = consumer.consume(num_messages=BATCH, timeout=1.0)
    if msgs:
        run.heard = run.clock()
    for msg in msgs:
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                left.discard(msg.partition())
                continue
            raise WriteError(f"copying {old} into {new}: {err.str()}")
        key = (int(msg.partition()), int(msg.offset()))
        if bound is not None and key[1] >= bound[key[0]]:
            if key[0] not in run.reached:
                run.reached.add(key[0])
                consumer.incremental_unassign([TopicPartition(old, key[0])])
            continue
        read += 1
        txn.seen.append(key)
        value, k = msg.value(), msg.key()
        txn.bytes += len(value or b"") + len(k or b"")
        extra = {}
        if mapped(*key):
            txn.wanted.append(key)
            extra["on_delivery"] = txn.delivered(key)
        _, ts = msg.timestamp()
        try:
            producer.produce(new, value=value, key=k, headers=msg.headers(), timestamp=max(ts, 0), **extra)
        except BufferError:  # the producer's queue is full (large records): let it send
            run.queue_full(value=value, key=k, headers=msg.headers(), timestamp=max(ts, 0), **extra)
    return read


class _Copy:
    """A copy under way: its consumer and transactional producer, each old partition's position (`at`) and its part of
    the offset map (`maps`), the records copied so far."""

    def __init__(self, consumer: Any, producer: Any, old: str, new: str, groups: Mapping[str, Mapping[int, int]],
                 at: dict[int, int], maps: dict[int, dict[str, Any]], timeout_s: float, progress: CopyProgress,
                 clock: Callable[[], float] = time.monotonic):
        self.consumer, self.producer, self.old, self.new, self.groups = consumer, producer, old, new, groups
        self.at, self.maps, self.timeout_s, self.progress, self.clock = at, maps, timeout_s, progress, clock
        self.copied = 0
        self.heard = clock()  # when the consumer last gave anything (a record, an end): what a stall is measured from
        self.reached: set[int] = set()  # this pass's partitions read to their bound (out of the assignment)
        # per old partition, the least committed offset of the groups moved: the map needs the records from there
        self.mapped_from = {p: min(c.get(p, 0) for c in groups.values()) for p in at} if groups else {}

    def mapped(self, partition: int, offset: int) -> bool:
        """Whether the offset map needs to know where this record goes (at or after a moved group's position)."""
        return partition in self.mapped_from and offset >= self.mapped_from[partition]

    def passes(self, ends: Mapping[tuple[str, int], int]) -> None:
        """Every pass (`copy_passes`: one per group position, then the last to `ends`, the old topic's end)."""
        partitions = len(self.at)
        for bound in [*copy_passes(self.groups, partitions), None]:  # None: the last pass, to the end
            self.to({p: ends[(self.old, p)] if bound is None else min(bound[p], ends[(self.old, p)])
                     for p in range(partitions)}, bounded=bound is not None)

    def to(self, limit: Mapping[int, int], bounded: bool) -> None:
        """Each old partition copied up to `limit` (`bounded`: a pass's bound, no further; otherwise on to the end
        the consumer finds), in transactions of up to TXN_RECORDS records or TXN_BYTES, each committing the positions
        and offset map with it. A partition is done once its position reaches `limit` or the consumer reports its
        end (read_committed: the end may be a transaction marker, which no record reaches; librdkafka moves the
        position past it with the end). WriteError when the consumer gives nothing for the stack's timeout."""
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        consumer, producer, old, at = self.consumer, self.producer, self.old, self.at
        left = {p for p in limit if at[p] < limit[p]}
        self.reached = set()
        if left:
            consumer.assign([TopicPartition(old, p, at[p] if at[p] > 0 else OFFSET_BEGINNING) for p in sorted(left)])
        self.heard = self.clock()
        while left:
            producer.begin_transaction()  # local: no request until a record or the offsets are sent
            txn = _Txn()
            while left and not txn.full and _batch(self, left, limit if bounded else None, txn):
                pass
            if producer.flush(self.timeout_s) or len(txn.placed) != len(txn.wanted):
                producer.abort_transaction(self.timeout_s)
                raise WriteError(f"copying {old} into {self.new}: {len(txn.wanted) - len(txn.placed)} record(s) were "
                                 "not acknowledged in time; nothing of this transaction is kept (kplan recover "
                                 "--resume copies it again)")
            for p, o in txn.wanted:  # the offset map: the first record at or after each group's position
                q, n = txn.placed[(p, o)]
                for g, committed in self.groups.items():
                    if o >= committed.get(p, 0):
                        self.maps[p].setdefault(g, {}).setdefault(str(q), n)
            # a partition read past its bound had every record before the bound copied: its position is the bound,
            # the records read after it skipped (the next pass reads them again)
            positions = {p: limit[p] for p in self.reached}
            positions.update({tp.partition: tp.offset if not bounded else min(tp.offset, limit[tp.partition])
                              for tp in consumer.position(consumer.assignment()) if tp.offset >= 0})
            if txn.seen or any(at.get(p) != o for p, o in positions.items()):
                offsets = [TopicPartition(old, p, o, metadata=json.dumps(self.maps[p], sort_keys=True))
                           for p, o in sorted(positions.items())]
                producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), self.timeout_s)
            at.update(positions)
            producer.commit_transaction(self.timeout_s)  # fails if a record without a report was not delivered
            self.copied += len(txn.seen)
            self.progress(self.copied)
            left -= {p for p in positions if positions[p] >= limit[p]}
            if left and self.clock() - self.heard > self.timeout_s:
                raise WriteError(f"copying {old} into {self.new}: the consumer of {old} got nothing for "
                                 f"{self.timeout_s:g} s (the stack's timeout) while {_short(left, at, limit)} still "
                                 f"had records to copy; check that the brokers leading {old} answer, then apply again")

    def queue_full(self, **record: Any) -> None:
        """A record the producer's full queue refused, produced once the queue has room (the records before it
        sent); WriteError when it has none within the stack's timeout."""
        since = self.clock()
        while True:
            self.producer.poll(0.05)
            try:
                return self.producer.produce(self.new, **record)
            except BufferError:
                if self.clock() - since > self.timeout_s:
                    raise WriteError(f"copying {self.old} into {self.new}: the producer's queue stayed full for "
                                     f"{self.timeout_s:g} s (the stack's timeout): the brokers leading {self.new} do "
                                     f"not take its records; check them, then apply again") from None


def _short(left: set[int], at: Mapping[int, int], limit: Mapping[int, int]) -> str:
    """The partitions a stalled copy waits on, with where each is and where it copies up to."""
    return ", ".join(f"partition {p} (at offset {at[p]}, copying up to {limit[p]})" for p in sorted(left))


def _follow(run: _Copy, admin: Any, ends: dict[tuple[str, int], int], cutover: Cutover,
            clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time
            ) -> dict[tuple[str, int], int]:
    """The old topic's records still being written, copied as they come (its end read every FOLLOW_EVERY_S) until
    the cutover: the end unchanged for `idle_s`, or the wall clock at `at`; the ends copied up to. WriteError when
    neither came within `wait_s` of the start (what was copied is committed: a resume follows on)."""
    old, partitions = run.old, len(run.at)
    began = last_change = clock()
    at_epoch = cutover.at_epoch()
    while True:
        latest = _offsets(admin, {old: partitions}, "latest", run.timeout_s, committed=True)
        if latest != ends:
            ends, last_change = latest, clock()
        if any(run.at[p] < ends[(old, p)] for p in range(partitions)):
            run.to({p: ends[(old, p)] for p in range(partitions)}, bounded=False)
        now = clock()
        if at_epoch is None and cutover.idle_s is not None and now - last_change >= cutover.idle_s:
            return ends
        if at_epoch is not None and wall() >= at_epoch:
            return ends
        if now - began > cutover.wait_s:
            raise WriteError(f"copying {old} into {run.new}: no cutover after following {old} for "
                             f"{cutover.wait_s:g} s (cutover: {cutover.words()}); the records copied are kept: stop "
                             f"{old}'s producers, then kplan recover --resume follows on and cuts over")
        run.progress.following(run.copied, now - last_change, cutover)
        time.sleep(FOLLOW_EVERY_S)


def producer_config(conf: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The copy's transactional producer: the clients' settings with a transaction timeout of at least their socket
    timeout (the stack's `timeout`, at most 5 minutes: librdkafka refuses a socket timeout above the transaction
    timeout, 60 s by default, + 100 ms; brokers allow up to 15 minutes by default)."""
    return {**conf, "transactional.id": name, "enable.idempotence": True, "partitioner": "murmur2_random",
            "linger.ms": 5, "transaction.timeout.ms": max(60_000, int(conf.get("socket.timeout.ms", 0)))}


def _close_transactional(producer: Any, timeout_s: float) -> None:
    """The copy's producer destroyed now, in this thread (kplan.transport.kafka.dispose): left to the garbage
    collector, a client caught in a reference cycle (the copy's delivery callbacks) may be destroyed on one of
    librdkafka's own threads, which ends the process. A transaction still open (a copy that failed) is aborted
    first, so that read_committed readers of the new topic are not held until the broker times it out; with none open
    (the copy's end: its last one committed) the abort is refused at once, locally."""
    try:
        producer.abort_transaction(min(5.0, timeout_s))
    except Exception:  # noqa: BLE001 - no transaction open, or the broker does not answer: dispose regardless
        pass
    dispose(producer)


class MigrationWrites(SessionsIO):
    """Apply's side of a migration: the copy and the groups' offsets moved (kplan.kinds.topic.handlers)."""

    def __init__(self, writers: Any):
        super().__init__(writers)
        self.cluster, self.secrets = writers.cluster, writers.secrets

    @property
    def admin(self) -> Any:
        return self.kafka.admin

    def copy(self, old: str, new: str, partitions: int, groups: Mapping[str, Mapping[int, int]],
             progress: CopyProgress | None = None, cutover: Cutover | None = None) -> dict[tuple[str, int], int]:
        """Every record of `old` (read committed) written once into `new`, resuming where a killed copy committed;
        the old topic's end offsets it copied up to. `groups`: group -> its committed offset on each old partition
        (the offset map is kept for them). With a `cutover`, the copy then follows the records still written to
        `old` until it (`_follow`)."""
        from confluent_kafka import Consumer, Producer, TopicPartition

        conf = client_config(self.cluster, self.secrets)
        name = COPY_GROUP.format(new=new)
        timeout_s = self.cluster.timeout_s
        ends = _offsets(self.admin, {old: partitions}, "latest", timeout_s, committed=True)
        consumer = Consumer({**conf, "group.id": name, "isolation.level": "read_committed",
                             "enable.auto.commit": False, "enable.partition.eof": True,
                             "auto.offset.reset": "earliest"})
        producer = Producer(producer_config(conf, name))
        try:
            producer.init_transactions(timeout_s)
            start = consumer.committed([TopicPartition(old, p) for p in range(partitions)], timeout=timeout_s)
            at = {tp.partition: tp.offset if tp.offset >= 0 else 0 for tp in start}
            if progress is None:
                progress = CopyProgress(old, new, sum(ends[(old, p)] - at[p] for p in range(partitions)))
            run = _Copy(consumer, producer, old, new, groups, at,
                        {tp.partition: json.loads(tp.metadata) if tp.metadata else {} for tp in start}, timeout_s,
                        progress)
            run.passes(ends)
            if cutover is not None:
                ends = _follow(run, self.admin, ends, cutover)
        except KplanError:
            raise
        except Exception as e:  # noqa: BLE001 - a refused or unanswered request: one line
            raise WriteError(f"copying {old} into {new}: {describe_kafka_error(e)}") from None
        finally:
            consumer.close()
            _close_transactional(producer, timeout_s)
        return ends

    def late_records(self, old: str, partitions: int, ends: Mapping[tuple[str, int], int]) -> int:
        """How many offsets `old` gained after `ends` (where the copy stopped): records written after the cutover,
        which the new topic does not hold."""
        now = _offsets(self.admin, {old: partitions}, "latest", self.cluster.timeout_s, committed=True)
        return sum(max(now[k] - ends.get(k, 0), 0) for k in now)

    def _copied(self, old: str, new: str, partitions: int) -> dict[int, tuple[int, dict[str, Any]]]:
        return _progress(self.admin, old, new, partitions, self.cluster.timeout_s)

    def mark_done(self, old: str, new: str, partitions: int) -> None:
        """The copy's positions committed again with the end mark (`DONE`) in each one's metadata, beside the
        offset map: a later plan finds the migration finished (and a resume does not run it again)."""
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

        name = COPY_GROUP.format(new=new)
        timeout_s = self.cluster.timeout_s
        done = self._copied(old, new, partitions)
        marked = [TopicPartition(old, p, o, metadata=json.dumps({**part, DONE: True}, sort_keys=True))
                  for p, (o, part) in sorted({p: done.get(p, (0, {})) for p in range(partitions)}.items())]
        try:
            self.admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(name, marked)],
                                                    request_timeout=timeout_s)[name].result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001
            raise WriteError(f"could not mark the copy of {old} into {new} finished: "
                             f"{describe_kafka_error(e)}") from None
        if not all(part.get(DONE) for _, part in self._copied(old, new, partitions).values()):
            raise WriteError(f"the copy of {old} into {new} is not shown finished after marking it")

    def check_copied(self, old: str, new: str, partitions: int, ends: Mapping[tuple[str, int], int]) -> None:
        """WriteError unless the copy's committed positions reach `ends` (the old topic's, as the copy saw them) within
        cluster.timeout: a transaction's offsets show once its commit markers are written, after the commit's
        answer."""
        deadline = time.monotonic() + self.cluster.timeout_s
        while True:
            done = self._copied(old, new, partitions)
            short = [p for p in range(partitions)
                     if ends[(old, p)] > 0 and done.get(p, (-1, {}))[0] < ends[(old, p)]]
            if not short:
                return
            if time.monotonic() > deadline:
                raise WriteError(f"the copy of {old} into {new} is not complete: partitions {short} are behind")
            time.sleep(0.1)

    def targets(self, old: str, new: str, partitions: int, new_partitions: int, groups: Mapping[str, Any]
                ) -> dict[str, dict[int, int]]:
        """group -> new partition -> the offset it resumes at (by the copy's offset map)."""
        done = self._copied(old, new, partitions)
        ends = _offsets(self.admin, {new: new_partitions}, "latest", self.cluster.timeout_s, committed=True)
        out = {}
        for g in groups:
            found: dict[int, int] = {}
            for _, part in done.values():
                mine = part.get(g)
                for q, n in (mine if isinstance(mine, dict) else {}).items():
                    found[int(q)] = min(found.get(int(q), n), n)
            out[g] = {q: found.get(q, ends[(new, q)]) for q in range(new_partitions)}
        return out

    def live_members(self, groups: list[str]) -> dict[str, int]:
        """group -> its live members, for the groups that have any (one DescribeGroups for all)."""
        return {g: n for g, (_, n) in describe_groups(self.admin, groups, self.cluster.timeout_s).items() if n}

    def move_groups(self, new: str, targets: Mapping[str, Mapping[int, int]]) -> None:
        """Each group's committed offsets on `new` set to its targets (each group must have no members), then read
        back: WriteError when the cluster does not show them."""
        from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

        timeout_s = self.cluster.timeout_s
        for g, offsets in sorted(targets.items()):
            wanted_ = [TopicPartition(new, q, o) for q, o in sorted(offsets.items())]
            try:
                result = self.admin.alter_consumer_group_offsets(
                    [ConsumerGroupTopicPartitions(g, wanted_)], request_timeout=timeout_s)[g].result(
                    timeout=timeout_s + 2)
            except Exception as e:  # noqa: BLE001
                raise WriteError(f"could not move consumer group {g} to {new}: {describe_kafka_error(e)} (a group "
                                 "must have no members while its offsets move: stop its consumers)") from None
            failed = [tp for tp in result.topic_partitions or () if tp.error is not None]
            if failed:
                raise WriteError(f"could not move consumer group {g} to {new}: {failed[0].error.str()} (a group must "
                                 "have no members while its offsets move: stop its consumers)")
            shown = {p: o for (t, p), o in committed_offsets(self.admin, g, timeout_s).items() if t == new}
            if shown != dict(offsets):
                raise WriteError(f"consumer group {g}'s offsets on {new} are {shown}, not {dict(offsets)}")

    def unmove_groups(self, new: str, partitions: int, groups: list[str]) -> None:
        """The undo of `move_groups`: each group's committed offsets on `new` (of `partitions`) deleted, then read
        back (WriteError while the cluster still shows one), all through kplan's own client: one OffsetFetch for every
        group before and after, an OffsetDelete per group that has any. Kafka drops a deleted topic's offsets from
        its groups too, but only once the brokers have applied the deletion: a moment after a rollback would have
        said the cluster is as before."""
        from kplan.transport.group_offsets import committed, delete_committed, words
        from kplan.transport.wire.client import open_client
        from kplan.transport.wire.codec import Refused, WireError

        def held(client: Any) -> dict[str, list[int]]:
            out = {}
            for g, offsets in committed(client, sorted(groups), {new: partitions}).items():
                if isinstance(offsets, str):
                    raise WriteError(f"could not read consumer group {g}'s offsets on {new}: {words(offsets)}")
                if offsets.get(new):
                    out[g] = sorted(offsets[new])
            return out

        with open_client(self.cluster, self.secrets) as client:
            try:
                for g, moved in held(client).items():
                    why = delete_committed(client, g, new, moved)
                    if why is not None:
                        hint = (" (a consumer of the group is subscribed to it: stop the group's consumers, then "
                                "recover)" if why == "GROUP_SUBSCRIBED_TO_TOPIC" else "")
                        raise WriteError(f"could not delete consumer group {g}'s offsets on {new}: {words(why)}{hint}")
                left = held(client)
            except (Refused, WireError) as e:
                raise WriteError(f"could not delete the moved consumer groups' offsets on {new}: {e}") from None
        if left:
            shown = "; ".join(f"{g} (partitions {p})" for g, p in left.items())
            raise WriteError(f"consumer groups still show offsets on {new} after their deletion: {shown}")

    def forget_copy(self, new: str) -> None:
        """The copy's own group deleted (its positions on the old topic): absent already is fine."""
        name = COPY_GROUP.format(new=new)
        timeout_s = self.cluster.timeout_s
        try:
            self.admin.delete_consumer_groups([name], request_timeout=timeout_s)[name].result(timeout=timeout_s + 2)
        except Exception as e:  # noqa: BLE001
            if "GROUP_ID_NOT_FOUND" not in describe_kafka_error(e):
                raise WriteError(f"could not delete the copy's group {name}: {describe_kafka_error(e)}") from None
        deadline = time.monotonic() + timeout_s
        while any(x.group_id == name for x in self.admin.list_consumer_groups(request_timeout=timeout_s).result(
                timeout=timeout_s + 2).valid):
            if time.monotonic() > deadline:
                raise WriteError(f"the copy's group {name} is still listed after its deletion")
            time.sleep(0.2)
