"""The topic kind's writes (its steps' handlers call them through `ctx.io(TopicWrites)`; a Streams app's internal
topics are written so too): topics, their configs and partitions, the replication throttle and preferred leaders
(confluent-kafka's AdminClient, on the run's admin session, kplan.transport.admin), partition reassignments (kplan's
own Kafka client, `reassignments.py`), plus the topic reads that verify them.

Each write is batched where the API allows (one create request for many topics, one incremental-alter request
for many), classified (expected / retriable / fatal, see kplan.transport.retry; per item, kplan.transport.results),
retried with backoff and a deadline, and verified: metadata and configs propagate asynchronously, so we poll
until the cluster shows what we wrote.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from kplan.errors import WriteError
from kplan.kinds.step import name_list
from kplan.kinds.topic.io.reassignments import Reassignments
from kplan.kinds.topic.io.validation import altered, key_name
from kplan.model.desired import NewTopic
from kplan.model.results import BatchResults, ErrorReason
from kplan.transport import interrupts
from kplan.transport.admin import VERIFY_MIN_S, poll
from kplan.transport.kafka import describe_kafka_error
from kplan.transport.permissions import denied
from kplan.transport.reach import no_answer
from kplan.transport.results import reason_of
from kplan.transport.retry import (
    AMBIGUOUS_KAFKA,
    ErrorClass,
    RetriableError,
    classify_kafka,
    kafka_error_name,
)

# A write's effect on many partitions is waited for longer than the least (kplan.transport.admin.VERIFY_MIN_S): a broker
# lists a created topic (or stops listing a deleted one) once it has applied the metadata before it, logs made or
# removed. Measured on the local single-broker stack on a busy 2-core machine: a batch of 9,090 partitions (909
# topics, kplan.rules.batching) listed 1 to 70 s after the controller's answer; on the local 3-broker cluster under a
# load average of 25-34, batches of 2,500 one-partition topics with two overrides each were listed 90-135 s after
# theirs (2026-11-26: every broker applies each new topic's configs one at a time).
VERIFY_PER_PARTITION_S = 0.05


# each batch's `what` -> for a denied request: what kplan may not do (kplan.transport.permissions)
_ACTIONS = {"creating topics": "create", "deleting topics": "delete", "changing topic configs": "change the configs of",
            "adding partitions": "add partitions to"}


class TopicWrites(Reassignments):
    """The topic kind's writes of one run, on its sessions (`kplan.transport.sessions.Writers`): Kafka's admin session
    (`kafka`) and kplan's own Kafka client (`wire`: the reassignments)."""

    # ------------------------------------------------------------------------------------------ topics

    def _run_batch(self, submit, keys: list[str], what: str, results: BatchResults | None = None,
                   on_expected: Callable[[str, ErrorReason], str | None] | None = None,
                   recheck: Callable[[str], bool] | None = None) -> BatchResults:
        """Submit a batched admin request for `keys`; retry only the keys that failed transiently. Each key's
        result is recorded in `results` as it arrives. An expected answer (kplan.transport.retry) is a success only
        where `on_expected` is given: it is told whether the answer is ALREADY (done before our request) or LANDED
        (our own earlier request, whose outcome was unknown, did it) and returns a refusal, or None to accept it.
        `recheck(key)`, before a retry after an ambiguous failure, tells whether the key's write landed after all.

        Only a key whose earlier request of ours failed ambiguously (timed out, connection lost: it may have been
        done) can have LANDED; an expected answer for any other key, on any attempt, means someone else did it."""
        results = BatchResults() if results is None else results
        remaining = list(keys)
        unknown: set[str] = set()  # keys whose last request of ours may have been done (no answer / ambiguous)

        def attempt():
            nonlocal remaining
            futures = sent(submit, remaining, self._settle, results)
            failed_transient, ambiguous, fatal, unanswered = [], False, [], True
            for key, fut in futures.items():
                name = key_name(key)
                try:
                    fut.result(timeout=self.kafka.request_timeout() + 2)
                    results.record(name)
                except BaseException as e:
                    if not isinstance(e, Exception):  # Ctrl-C while the answers were awaited
                        self._settle(futures, results)
                        raise
                    reason = reason_of(e, 2 if name in unknown else 1)
                    if reason in (ErrorReason.ALREADY, ErrorReason.LANDED) and on_expected is None:
                        reason = ErrorReason.REFUSED  # not an answer this request expects
                    results.record(name, reason, kafka_error_name(e))
                    if reason in (ErrorReason.ALREADY, ErrorReason.LANDED) and on_expected is not None:
                        refusal = on_expected(name, reason)
                        if refusal:
                            fatal.append(refusal)
                    elif reason == ErrorReason.TRANSIENT:
                        failed_transient.append(name)
                        if kafka_error_name(e) in AMBIGUOUS_KAFKA or no_answer(e):
                            unknown.add(name)
                            ambiguous = True
                        else:
                            unknown.discard(name)  # refused before it was done: this attempt did nothing
                        unanswered = unanswered and no_answer(e)
                    else:
                        fatal.append(denied(e, _ACTIONS[what], f"topic {name}", self.kafka.who)
                                     or f"{name}: {describe_kafka_error(e)}")
            if fatal:
                raise WriteError(f"{what} refused: " + "; ".join(fatal))
            if failed_transient:
                remaining = failed_transient
                raise RetriableError(f"{what}: transient failure for {', '.join(failed_transient)}", ambiguous,
                                     no_answer=unanswered)

        def reread() -> bool:
            if recheck is None:
                return False
            nonlocal remaining
            landed = [k for k in remaining if k in unknown and recheck(k)]
            for k in landed:
                results.record(k, ErrorReason.LANDED)
            remaining = [k for k in remaining if k not in landed]
            return not remaining

        self.kafka.attempts.retry(attempt, what, before_retry=reread)
        return results

    def _settle(self, futures: Mapping, results: BatchResults) -> None:
        """Interrupted while awaiting a batch's answers: the request is on its way and may still be done after
        this returns. Wait for its answers (at most the request's timeout; a second Ctrl-C stops waiting) and record
        what was done, so that a rollback undoes what the cluster did, not only what had been answered so far."""
        import concurrent.futures

        concurrent.futures.wait(list(futures.values()), timeout=self.kafka.request_timeout() + 2)
        for key, fut in futures.items():
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                results.record(key_name(key))

    def create_topics(self, specs: Sequence[NewTopic], results: BatchResults | None = None) -> BatchResults:
        """Create the topics (one request, retried for transient failures). A topic that already exists with the
        declared spec is done only when our own earlier request for it may have landed (LANDED: it timed out or the
        connection dropped, so it is ours); a topic that already exists otherwise (ALREADY) was created by someone
        else after the plan said "will be created": refused, whatever its spec (never adopted, never ours to delete).
        A topic the controller confirmed has no reason (it may not be in the metadata yet)."""
        from confluent_kafka.admin import NewTopic

        by_name = {t.name: t for t in specs}

        def submit(names):
            return self.kafka.admin.create_topics(
                [NewTopic(n, by_name[n].partitions, by_name[n].replication_factor, config=dict(by_name[n].config))
                 for n in names], request_timeout=self.kafka.request_timeout())

        def already_exists(name: str, reason: ErrorReason) -> str | None:
            if reason == ErrorReason.ALREADY:
                return f"topic {name!r} was created by someone else after the plan; re-run plan"
            # our own request landed: expected only when what exists is what we declared
            spec = by_name[name]
            if name not in self._showing({name: (spec.partitions, spec.replication_factor, dict(spec.config))}):
                return f"topic {name!r} already exists with a different spec (created outside this run)"
            return None

        return self._run_batch(submit, list(by_name), "creating topics", results, already_exists,
                               recheck=lambda n: n in self.topic_names())

    def delete_topics(self, names: list[str]) -> BatchResults:
        def submit(ns):
            return self.kafka.admin.delete_topics(list(ns), request_timeout=self.kafka.request_timeout())

        # UNKNOWN_TOPIC_OR_PART right after a delete means "already gone": recheck removes it from the retry set.
        return self._run_batch(submit, list(names), "deleting topics", on_expected=lambda name, reason: None,
                               recheck=lambda n: n not in self.topic_names())

    def alter_topic_configs(self, changes: Mapping[str, tuple[Mapping[str, str], Iterable[str]]]) -> BatchResults:
        """changes: topic -> (keys to SET with values, keys to DELETE). One request for all topics."""
        def submit(names):
            resources = [altered("TOPIC", n, {**changes[n][0], **dict.fromkeys(changes[n][1])}) for n in names]
            return self.kafka.admin.incremental_alter_configs(resources, request_timeout=self.kafka.request_timeout())

        names = [n for n, (s, d) in changes.items() if s or list(d)]
        if names:
            return self._run_batch(submit, names, "changing topic configs")
        return BatchResults()

    def create_partitions(self, counts: Mapping[str, int]) -> BatchResults:
        from confluent_kafka.admin import NewPartitions

        def submit(names):
            return self.kafka.admin.create_partitions([NewPartitions(n, counts[n]) for n in names],
                                                request_timeout=self.kafka.request_timeout())

        return self._run_batch(submit, list(counts), "adding partitions",
                               recheck=lambda n: self.topic_partitions(n) == counts[n])

    # -------------------------------------------------------------------------------------- topic reads

    def topic_names(self) -> set[str]:
        return self.kafka.topic_names()

    def _metadata_of(self, names: Iterable[str], led: bool = True) -> dict[str, tuple[int, int]]:
        """(partitions, replication factor) of the named topics the cluster shows: one DescribeTopics request for
        these names, not the whole cluster's metadata (a few topics created on a cluster of thousands, polled
        until they show). A topic that is unknown, or that the reply carries an error for, is not shown, nor (`led`)
        one with a partition that has no leader yet, as the whole-cluster metadata would not show it; a request that
        got no answer raises."""
        from confluent_kafka import KafkaException, TopicCollection

        from kplan.transport.wire.metadata import topic_shapes

        names = list(dict.fromkeys(names))
        if not names:
            return {}
        shapes = self._wire("topic metadata", lambda settings: topic_shapes(settings, names))
        if shapes is not None:  # kplan's own Metadata request for these names (kplan.transport.wire.metadata)
            return {name: (parts, rf) for name, (code, parts, rf, all_led) in shapes.items()
                    if code == 0 and (all_led or not led)}
        futures = self.kafka.admin.describe_topics(TopicCollection(names), request_timeout=self.kafka.request_timeout())
        out: dict[str, tuple[int, int]] = {}
        for name, future in futures.items():
            try:
                d = future.result(timeout=self.kafka.request_timeout() + 2)
            except KafkaException as e:
                if no_answer(e):
                    raise
                continue
            if led and any(p.leader is None for p in d.partitions):
                continue
            out[name] = (len(d.partitions), max((len(p.replicas) for p in d.partitions), default=0))
        return out

    def topic_partitions(self, name: str) -> int | None:
        return self._metadata_of([name]).get(name, (None, None))[0]

    def _wire(self, what: str, call: Callable[[Any], dict]) -> dict | None:
        """`call(settings)`, a read through kplan's own wire client (`describe.through_wire`): None when it does not
        speak the client settings, failed, or Kafka is known to be unreachable (librdkafka's read then waits at most
        what is left of the stack's timeout and reports it, kplan.transport.reach)."""
        from kplan.kinds.topic.io.describe import through_wire
        from kplan.transport.kafka import client_config

        if self.kafka.link.is_down:
            return None
        return through_wire(client_config(self.kafka.cluster, self.kafka.secrets), self.kafka.request_timeout(),
                            what, call)

    def _topic_overrides(self, names: list[str], keys: Iterable[str]) -> dict[str, dict[str, str]]:
        """name -> the topic's own overrides among `keys`, for topics that are visible (chunked, concurrent reads):
        kplan's own wire client when it speaks the settings, else librdkafka (`describe.describe_plain`)."""
        from kplan.kinds.topic.io.describe import TopicConfigConverter, describe_topic_entries
        from kplan.transport.wire.configs import topic_configs

        wanted, converter = tuple(sorted(set(keys))), TopicConfigConverter()
        plain = self._wire("topic configs", lambda settings: topic_configs(settings, names, converter.share, wanted))
        if plain is None:
            plain = describe_topic_entries(self.kafka.admin, names, self.kafka.timeout_s, who=self.kafka.who,
                                           convert=converter)
        return {name: {k: v for k, v in overrides.items() if k in wanted} for name, (overrides, _, _) in plain.items()}

    def _showing(self, expected: Mapping[str, tuple[int | None, int | None, Mapping[str, str | None]]]) -> set[str]:
        """The topics of `expected` the cluster shows now with their partitions, replication factor (None: not
        checked) and configs (a None value: no override). The cheap metadata request first; configs are read only
        for the topics it shows, and only the keys expected (a fraction of the answer for all of them)."""
        from kplan.rules.compare import topic_values_equal

        md = self._metadata_of(expected)
        visible = [n for n, (parts, rf, _) in expected.items()
                   if n in md and parts in (None, md[n][0]) and rf in (None, md[n][1])]
        read = [n for n in visible if expected[n][2]]
        overrides = self._topic_overrides(read, {k for n in read for k in expected[n][2]}) if read else {}
        return {n for n in visible if not expected[n][2] or (n in overrides and all(
            (v is None and k not in overrides[n]) or (v is not None and topic_values_equal(k, overrides[n].get(k), v))
            for k, v in expected[n][2].items()))}

    def _verify_window(self, partitions: int) -> float:
        """How long a write's effect on `partitions` partitions is waited for (`VERIFY_PER_PARTITION_S`)."""
        return max(VERIFY_MIN_S, self.kafka.timeout_s * 2) + VERIFY_PER_PARTITION_S * partitions

    def wait_topics(self, expected: Mapping[str, tuple[int | None, int | None, Mapping[str, str | None]]],
                    timeout_s: float | None = None) -> None:
        """Poll until every topic shows its partitions, replication factor (None: not checked) and configs
        (a None value: no override). Metadata propagates asynchronously: poll, never sleep blindly. A topic's
        configs are read once it is visible (`_showing`), and read again only while they do not match yet."""
        partitions = sum(p or 1 for p, _, _ in expected.values())
        pending = dict(expected)

        def problem() -> str | None:
            for name in self._showing(pending):
                del pending[name]
            return ("verification failed: the cluster does not show the declared state of "
                    + ", ".join(sorted(pending)[:10]) + (" ..." if len(pending) > 10 else "")) if pending else None

        poll(problem, timeout_s or self._verify_window(partitions), delay=0.05)

    def wait_topics_gone(self, names: Iterable[str]) -> None:
        start = time.monotonic()
        deadline = None
        names = set(names)
        delay = 0.05
        while True:
            listed = self._metadata_of(names, led=False)
            if not listed:
                return
            if deadline is None:  # the window grows with the partitions listed at first
                deadline = start + self._verify_window(sum(p for p, _ in listed.values()))
            if time.monotonic() > deadline:
                raise WriteError("topics still listed after deletion: " + name_list(sorted(listed), 10))
            time.sleep(delay)
            delay = min(0.5, delay * 1.5)

    # ---------------------------------------------------------------------------- the replication throttle

    _BROKER_RATES = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
    _TOPIC_THROTTLED = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")

    def elect_preferred_leaders(self, partitions: Mapping[str, Sequence[int]]) -> None:
        """ElectLeaders (PREFERRED) for `partitions` (topic -> partition ids), then wait for the metadata to show
        each led by its first replica (`elect_preferred`)."""
        self.kafka.attempts.retry(lambda: elect_preferred(self.kafka.admin, partitions, self.kafka.request_timeout()),
                                  "electing preferred leaders")

    def replication_throttle(self, topics: Sequence[str], rate: int | None, brokers: Sequence[int]) -> None:
        """Limit the replication of `topics` (all their replicas: `*`) to `rate` bytes/s on `brokers`; a rate of
        None takes the limit away."""
        broker = {k: None if rate is None else str(rate) for k in self._BROKER_RATES}
        topic = {k: None if rate is None else "*" for k in self._TOPIC_THROTTLED}
        ids = [str(b) for b in self.kafka.admin.list_topics(timeout=self.kafka.request_timeout()).brokers
               if b in brokers]
        # librdkafka sends a broker's configs to that broker: one broker resource per request
        requests = [[altered("BROKER", b, broker)] for b in ids]
        requests.append([altered("TOPIC", t, topic) for t in topics])

        def attempt():
            pending = [self.kafka.admin.incremental_alter_configs(r, request_timeout=self.kafka.request_timeout())
                       for r in requests]
            for futures in pending:
                for res, fut in futures.items():
                    try:
                        fut.result(timeout=self.kafka.request_timeout() + 5)
                    except Exception as e:  # noqa: BLE001 - one line naming the resource
                        raise WriteError(f"setting the replication throttle on {res.restype.name.lower()} "
                                         f"{res.name} failed: {describe_kafka_error(e)}") from None

        self.kafka.attempts.retry(attempt, "setting the replication throttle")
        wait_throttle(self.kafka.admin, ids, broker, topics, topic, self.kafka.timeout_s)


def sent(submit, keys: list[str], settle: Callable[[Mapping, BatchResults], None], results: BatchResults) -> Mapping:
    """`submit(keys)`'s futures, Ctrl-C held while it is submitted: librdkafka queues the request inside the call, so
    a KeyboardInterrupt raised as the call returned lost its futures while the request went on (an apply interrupted
    as its first step started rolled back, reported the cluster as before, and the topics it was creating appeared
    after: seen by test_interrupt in a loaded CI run). An interrupt that came meanwhile is raised once the futures
    are in hand and their answers settled."""
    futures = None
    try:
        with interrupts.held():
            futures = submit(keys)
    except KeyboardInterrupt:
        if futures is not None:
            settle(futures, results)
        raise
    return futures


# -- The replication throttle read back until it is in force: each broker's own dynamic rates (a broker answers for its
# own configs, so it has applied them) and the topics' throttled replicas. Without it the first fetches of a
# reassignment may go unthrottled, copying a burst before the brokers apply the limit.


def wait_throttle(admin: Any, brokers: Sequence[str], broker_values: Mapping[str, str | None],
                  topics: Sequence[str], topic_values: Mapping[str, str | None], timeout_s: float) -> None:
    """Poll describe_configs until every broker and topic shows `*_values` (None: no dynamic value)."""
    from confluent_kafka.admin import ConfigResource

    wanted = [(ConfigResource(ConfigResource.Type.BROKER, b), broker_values) for b in brokers]
    wanted += [(ConfigResource(ConfigResource.Type.TOPIC, t), topic_values) for t in topics]

    def problem() -> str | None:
        pending = [str(res.name) for res, values in wanted if not _shows(admin, res, values, timeout_s)]
        return ("verification failed: the replication throttle does not show on " + ", ".join(pending[:10])
                if pending else None)

    poll(problem, timeout_s, delay=0.05, most=0.5)


def _shows(admin: Any, resource: Any, values: Mapping[str, str | None], timeout_s: float) -> bool:
    """Whether `resource` shows `values` now (one request; librdkafka takes one broker resource per call)."""
    from confluent_kafka.admin import ConfigSource

    dynamic_sources = {ConfigSource.DYNAMIC_BROKER_CONFIG.value, ConfigSource.DYNAMIC_TOPIC_CONFIG.value}
    try:
        (fut,) = admin.describe_configs([resource], request_timeout=timeout_s).values()
        entries = fut.result(timeout=timeout_s + 5)
    except Exception:  # noqa: BLE001 - not readable yet: asked again until the deadline
        return False
    shown = {key: entry.value for key, entry in entries.items() if entry.source in dynamic_sources}
    return all(shown.get(key) == want for key, want in values.items())


# -- Partition leaders: who leads each partition now (what `kplan plan --elect-leaders` compares with the preferred
# replica), and the preferred leader election apply makes (ElectLeaders, PREFERRED), waited for in the metadata.


Leaders = dict[str, tuple[int, ...]]  # topic -> the leader of each partition, by partition id (-1: none)


def read_leaders(admin: Any, names: Iterable[str], timeout_s: float) -> Leaders:
    """The leader of every partition of the named topics the metadata has (one metadata request)."""
    md = admin.list_topics(timeout=timeout_s)
    out: Leaders = {}
    for name in names:
        t = md.topics.get(name)
        if t is not None and t.error is None:
            out[name] = tuple(int(p.leader) for _, p in sorted(t.partitions.items()))
    return out


def elect_preferred(admin: Any, partitions: Mapping[str, Sequence[int]], timeout_s: float,
                    wait_s: float = 30.0) -> None:
    """ElectLeaders (PREFERRED) for `partitions`, then poll the metadata until each is led by its first replica.
    ELECTION_NOT_NEEDED (already led so) is a success; a transient error is retried by the caller."""
    from confluent_kafka import ElectionType, TopicPartition

    wanted = [TopicPartition(t, p) for t, ids in sorted(partitions.items()) for p in ids]
    if not wanted:
        return
    try:
        # no timeout keywords: confluent-kafka 2.16's elect_leaders refuses them (a format error in its C code)
        answers = admin.elect_leaders(ElectionType.PREFERRED, wanted).result(timeout=timeout_s + 5)
    except Exception as e:  # noqa: BLE001 - the request as a whole
        if classify_kafka(e) == ErrorClass.RETRIABLE:
            raise RetriableError(f"electing preferred leaders: {describe_kafka_error(e)}", False) from None
        raise WriteError(f"electing preferred leaders failed: {describe_kafka_error(e)}") from None
    for tp, err in sorted(answers.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
        if err is None:
            continue
        # a KafkaError (its name and text), or an exception carrying one
        text = f"{err.name()}: {err.str()}" if hasattr(err, "name") and hasattr(err, "str") else \
            describe_kafka_error(err)
        if "ELECTION_NOT_NEEDED" in text:
            continue
        if "PREFERRED_LEADER_NOT_AVAILABLE" in text or getattr(err, "retriable", lambda: False)():
            raise RetriableError(f"electing the preferred leader of {tp.topic}-{tp.partition}: {text}", False)
        raise WriteError(f"electing the preferred leader of {tp.topic}-{tp.partition} failed: {text}")

    def problem() -> str | None:
        md = admin.list_topics(timeout=timeout_s)
        pending = [f"{t}-{p}" for t, ids in partitions.items() for p in ids
                   if t not in md.topics or p not in md.topics[t].partitions
                   or not md.topics[t].partitions[p].replicas
                   or md.topics[t].partitions[p].leader != md.topics[t].partitions[p].replicas[0]]
        return "verification failed: the preferred replica does not lead " + ", ".join(pending[:10]) \
            if pending else None

    poll(problem, wait_s, delay=0.2, factor=1.0)
