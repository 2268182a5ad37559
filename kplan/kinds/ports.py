"""The ports the step handlers of the kinds that do not own their writes yet write through: one small Protocol per
system (the methods the handlers call, and nothing else), as the run's writers hold them
(`kplan.transport.sessions.Writers`). The acl, streams_app, user, connector, offsets and subject kinds' and the
group-request and dynamic-config families' handlers call their own io instead (`StepContext.io`).

- `KafkaWrites`: the admin client's writes (confluent-kafka) not yet in their kinds' io: topics, configs,
  partitions, the replication throttle. `kplan.cluster.kafka_admin.KafkaAdmin` implements it.
- `WireWrites`: what librdkafka lacks, through kplan's own Kafka client: partition reassignments.
  `kplan.cluster.wire_writer.WireWriter`.

A batch method (one request for many items) returns per-item results (`kplan.model.results.BatchResults`;
`kplan.transport.results` classifies errors), and fills the `results` it is given as the answers arrive. The unit
tests' fake writer (tests/unit/fakes.py) implements every Protocol in memory; tests/unit/apply/test_executor.py
checks both against them (method names and signatures), and that apply calls exactly the methods they name.

(The read side planning uses is `kplan.model.live.LiveStateReader`.)
"""

from __future__ import annotations

from typing import Iterable, Mapping, Protocol, Sequence, runtime_checkable

from kplan.model.desired import TopicSpec
from kplan.model.results import BatchResults

# topic -> (partitions, replication factor, configs); None: not checked; a config value None: no override
TopicExpectation = tuple[int | None, int | None, Mapping[str, str | None]]


@runtime_checkable
class KafkaWrites(Protocol):
    def create_topics(self, specs: list[TopicSpec], results: BatchResults | None = None) -> BatchResults:
        """Create the topics in one request. Per topic, filled into `results` as the answers arrive: no reason
        (the controller confirmed it), ALREADY (it existed before: not ours), LANDED (an earlier attempt of ours
        created it)."""
        ...

    def delete_topics(self, names: list[str], results: BatchResults | None = None) -> BatchResults:
        ...

    def alter_topic_configs(self, changes: Mapping[str, tuple[Mapping[str, str], Iterable[str]]],
                            results: BatchResults | None = None) -> BatchResults:
        """topic -> (keys to set with values, keys whose override to delete); one request."""
        ...

    def create_partitions(self, counts: Mapping[str, int], results: BatchResults | None = None) -> BatchResults:
        ...

    def topic_names(self) -> set[str]:
        ...

    def topic_partitions(self, name: str) -> int | None:
        ...

    def wait_topics(self, expected: Mapping[str, TopicExpectation], timeout_s: float | None = None) -> None:
        """Until every topic shows what is expected (metadata propagates asynchronously)."""
        ...

    def wait_topics_gone(self, names: Iterable[str], timeout_s: float | None = None) -> None:
        ...

    def set_replication_throttle(self, topics: Sequence[str], rate: int, brokers: Sequence[int] | None = None
                                 ) -> None:
        """Limit the replication of `topics` to `rate` bytes/s on `brokers` (None: every broker), during a
        reassignment."""
        ...

    def clear_replication_throttle(self, topics: Sequence[str], brokers: Sequence[int] | None = None) -> None:
        """Take that limit away."""
        ...

    def elect_preferred_leaders(self, partitions: Mapping[str, Sequence[int]]) -> None:
        """Make each partition's preferred (first) replica its leader (ElectLeaders, PREFERRED), then wait until
        the metadata shows it; a partition already led so is a success."""
        ...


@runtime_checkable
class WireWrites(Protocol):
    def reassign_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]],
                          results: BatchResults | None = None) -> BatchResults:
        """Move each partition of `targets` (topic -> replica list per partition) to its replica list (results by
        `topic-partition`)."""
        ...

    def wait_replicas(self, targets: Mapping[str, Sequence[Sequence[int]]], timeout_s: float | None = None) -> None:
        """Until no partition of `targets` moves and each shows its replica list."""
        ...

    def cancel_reassignments(self, topics: Sequence[str]) -> None:
        """Cancel the reassignments of `topics`' partitions still under way (each reverts to its replicas before)."""
        ...
