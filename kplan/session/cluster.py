"""One cluster as apply, destroy and recover use it: the shared session (reader, validator, resolved secrets),
the writers, one producer for kplan's own records, and the lock and journal store on that cluster. Kept apart from
the run itself (kplan.session.run) so that opening it and taking the lock need none of the planning or apply
modules (kplan.session.early takes the lock while those load)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from kplan.model.desired import Stack
from kplan.model.ownership import Ownership
from kplan.secrets import SecretValues
from kplan.state.faults import installed
from kplan.state.journal import JournalStore
from kplan.state.lock import StackLock
from kplan.state.ownership import OWNERSHIP_TOPIC, RECORD_TOPIC_CONFIG, encode
from kplan.state.records import ensure_internal_topic, record_producer, write_record
from kplan.transport.kafka import client_config, dispose

if TYPE_CHECKING:
    from confluent_kafka import Producer


@dataclass
class Cluster:
    """Everything apply needs to talk to one cluster, opened once."""

    stack: Stack
    session: Any = None  # the shared session (kplan.session.open): resolved secrets, reader, validator
    writer: Any = None
    broker_count: int = 1
    cluster_id: str = ""
    conf: dict = field(default_factory=dict)
    producer: Producer | None = None  # one producer for the run's own records (journal, ownership, lock holder)
    executor: Any = None  # the last run's executor (a several-cluster run rolls a finished cluster back with it)
    record_topic_ready: bool = False  # the ownership topic was made sure of: once a run, not before every write

    @classmethod
    def open(cls, stack: Stack, environ: Mapping[str, str]) -> "Cluster":
        from kplan.session.open import open_session
        from kplan.session.systems import open_writers

        session = open_session(stack, environ=environ)
        self = cls(stack, session)
        self.cluster_id, self.broker_count = session.reader.describe_cluster()
        self.writer = open_writers(stack.cluster, session.secrets, admin=session.reader.admin)
        self.conf = client_config(stack.cluster, session.secrets)
        self.producer = record_producer(self.conf)
        return self

    @property
    def secrets(self) -> SecretValues:
        return self.session.secrets

    def journal_store(self) -> JournalStore:
        return JournalStore(self.producer, self.conf, self.writer.admin, self.stack.name, self.cluster_id,
                            self.stack.cluster.timeout_s)

    def lock(self) -> StackLock:
        return StackLock(self.writer.admin, self.producer, self.conf, self.stack.name, self.broker_count,
                         self.stack.cluster.timeout_s)

    def pull_request_lock(self):
        """The stack's pull request lock on this cluster (kplan.state.prlock: `kplan ci`'s apply from a pull
        request)."""
        from kplan.state.prlock import PullRequestLock

        return PullRequestLock(self.writer.admin, self.producer, self.conf, self.stack.name, self.broker_count,
                               self.stack.cluster.timeout_s)

    def write_ownership(self, record: Ownership) -> None:
        if not self.record_topic_ready:
            ensure_internal_topic(self.writer.admin, OWNERSHIP_TOPIC, self.broker_count,
                                  self.stack.cluster.timeout_s, RECORD_TOPIC_CONFIG)
            self.record_topic_ready = True
        key, value = encode(self.stack.name, record)
        # through Kafka's link: nothing is sent while Kafka is known to be unreachable (the topic is made sure of once
        # a run, so this write is the only request a later one makes)
        write_record(self.producer, OWNERSHIP_TOPIC, key, value, self.stack.cluster.timeout_s, "the ownership record",
                     self.writer.link)
        installed().at("ownership-written")

    def close(self) -> None:
        if self.producer is not None:
            down = self.writer is not None and self.writer.link.is_down
            self.producer.flush(0 if down else self.stack.cluster.timeout_s)
            dispose(self.producer)
        if self.session is not None:
            self.session.close()
        if self.writer is not None:
            self.writer.close()
