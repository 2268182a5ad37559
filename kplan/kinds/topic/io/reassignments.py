"""Partition reassignments through kplan's own Kafka client (kplan.transport.wire.client): confluent-kafka
(librdkafka) has no AlterPartitionReassignments nor ListPartitionReassignments; these are Kafka's, in kafka-python's
message layouts, sent to the controller (with KRaft, any broker forwards them to the controller quorum).

Kafka copies a partition's data to its new replicas, waits for them to join the in-sync set, then drops the replicas
no longer listed; ListPartitionReassignments says which partitions are still moving. The replica order given is
kept (the first is the preferred leader).
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Iterable, Mapping, Sequence, TextIO

from kplan.model.results import BatchResults
from kplan.transport.admin import poll
from kplan.transport.sessions import SessionsIO
from kplan.transport.wire.client import Client, error_name
from kplan.transport.wire.codec import NoAnswer, Refused

Targets = Mapping[str, Sequence[Sequence[int]]]  # topic -> the replica list of each partition


def _alter(client: Client, targets: Mapping[str, Mapping[int, Sequence[int] | None]]) -> dict[tuple[str, int], str]:
    """One AlterPartitionReassignments (topic -> partition -> its replicas, None: cancel its reassignment); the
    partitions refused, with Kafka's error name."""
    from kplan.transport.wire.messages import AlterPartitionReassignmentsRequest

    if not targets:
        return {}
    answer = client.to_controller(
        AlterPartitionReassignmentsRequest(
            timeout_ms=int(client.settings.timeout_s * 1000),
            topics=[
                (t, [(p, None if r is None else list(r)) for p, r in sorted(ps.items())]) for t, ps in targets.items()
            ],
        )
    )
    if answer.error_code:
        name = error_name(answer.error_code)
        raise Refused(f"reassigning the partitions of {', '.join(sorted(targets))} failed: {name}", name)
    return {
        (t.name, p.partition_index): error_name(p.error_code)
        for t in answer.responses
        for p in t.partitions
        if p.error_code
    }


def ongoing(client: Client, topics: Sequence[str]) -> set[tuple[str, int]]:
    """The (topic, partition)s of `topics` whose reassignment is still under way (ListPartitionReassignments)."""
    from kplan.transport.wire.messages import ListPartitionReassignmentsRequest

    answer = client.to_controller(
        ListPartitionReassignmentsRequest(timeout_ms=int(client.settings.timeout_s * 1000), topics=None)
    )
    if answer.error_code:
        name = error_name(answer.error_code)
        raise Refused(f"listing the reassignments under way failed: {name}", name)
    wanted = set(topics)
    return {(t.name, p.partition_index) for t in answer.topics for p in t.partitions if t.name in wanted}


class Reassignments(SessionsIO):
    """The topic kind's writes' partition reassignments (`TopicWrites` is one): on its `wire` session's client,
    retried by its `kafka` session's attempts."""

    def _denied(self, topics: Sequence[str]) -> Any:
        from kplan.transport.permissions import denied_name

        return lambda e: denied_name(e.code, "alter", f"the partitions of {', '.join(sorted(topics))}", self.kafka.who)

    def reassign_replicas(self, targets: Targets) -> BatchResults:
        """Ask for every partition of `targets` (topic -> replica list per partition) to move to its list, in one
        request (asking for the same lists again is harmless: asked again while it gets no answer); each partition's
        result is recorded (`topic-partition`), and the first one refused is one line."""
        from kplan.transport.results import reason_of_name

        results, client = BatchResults(), self.wire.client

        def write() -> None:
            refused = _alter(client, {t: dict(enumerate(a)) for t, a in targets.items()})
            for topic, assignment in sorted(targets.items()):
                for p in range(len(assignment)):
                    name = refused.get((topic, p))
                    results.record(f"{topic}-{p}", *((reason_of_name(name), name) if name else ()))
            if refused:
                (topic, p), name = min(refused.items())
                raise Refused(f"reassigning partition {p} of topic {topic} failed: {name}", name)

        self.kafka.attempts.wire("reassigning partitions", write, self._denied(list(targets)))
        return results

    def cancel_reassignments(self, topics: Sequence[str]) -> None:
        """Cancel every reassignment of `topics` still under way (the undo of a move cut short: reassigning such a
        partition to its old list instead can leave it waiting for a replica that is both added and removed); the
        controller reverts each to the replicas it had before."""
        client = self.wire.client

        def write() -> None:
            moving: dict[str, dict[int, None]] = {}
            for t, p in ongoing(client, topics):
                moving.setdefault(t, {})[p] = None
            refused = {k: n for k, n in _alter(client, moving).items() if n != "NO_REASSIGNMENT_IN_PROGRESS"}
            if refused:
                (topic, p), name = min(refused.items())
                raise Refused(f"cancelling the reassignment of partition {p} of topic {topic} failed: {name}", name)

        self.kafka.attempts.wire("cancelling reassignments", write, self._denied(topics))

    def wait_replicas(self, targets: Targets) -> None:
        """Poll until no partition of `targets` is still moving and the metadata shows exactly its replica list.
        Copying data takes as long as the data: the deadline is ten times the stack's timeout, at least 2 minutes."""
        want = {n: tuple(tuple(r) for r in a) for n, a in targets.items()}
        progress = MoveProgress(want)

        def problem() -> str | None:
            try:
                moving = ongoing(self.wire.client, list(want))
            except NoAnswer:
                moving = {("?", -1)}
            progress.tick(moving)
            shown = {} if moving else self._topic_assignment(want)  # one metadata request, once nothing moves
            pending = [] if moving else sorted(n for n in want if shown.get(n) != want[n])
            still = sorted({t for t, _ in moving} | set(pending))
            return ("verification failed: the replicas of " + ", ".join(still[:10])
                    + " did not reach their new brokers in time (the reassignment goes on in the cluster)"
                    if still else None)

        poll(problem, max(120.0, self.kafka.timeout_s * 10), delay=0.1, most=2.0, factor=1.5)

    def _topic_assignment(self, names: Iterable[str]) -> dict[str, tuple[tuple[int, ...], ...]]:
        """topic -> its replica list per partition, for the listed `names` the metadata has."""
        md = self.kafka.admin.list_topics(timeout=self.kafka.request_timeout())
        return {n: tuple(tuple(p.replicas) for _, p in sorted(md.topics[n].partitions.items()))
                for n in names if n in md.topics and md.topics[n].error is None}


# -- Progress lines while a reassignment copies data (`kplan apply` of a rebalance or a replication-factor change):
# `reassignment: 3/12 partitions moved, 9 copying` on stderr, the first after a few seconds, then every few seconds
# while it lasts, so that a long copy is seen to advance. The step's own line (`[2/5] reassign ... done`) stays on
# stdout.


FIRST_AFTER_S = 1.0
EVERY_S = 5.0


class MoveProgress:
    """Prints a progress line at most every EVERY_S seconds once the wait has lasted FIRST_AFTER_S."""

    def __init__(self, targets: Mapping[str, Sequence[Sequence[int]]], stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.targets = targets
        self.total = sum(len(a) for a in targets.values())
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.next_at = clock() + FIRST_AFTER_S

    def tick(self, moving: Iterable[tuple[str, int]]) -> None:
        now = self.clock()
        if now < self.next_at:
            return
        self.next_at = now + EVERY_S
        mine = [(t, p) for t, p in moving if t in self.targets and 0 <= p < len(self.targets[t])]
        self.stream.write(f"reassignment: {self.total - len(mine)}/{self.total} partitions moved, {len(mine)} still "
                          "copying\n")
        self.stream.flush()
