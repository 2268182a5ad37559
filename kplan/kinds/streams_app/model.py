"""The streams_app kind's declared model, and the rights and internal topics a Kafka Streams application has.
Pure.

The bindings (Kafka Streams' security guide, "Required ACL setting for secure Kafka clusters"; KIP-679):

* each input topic: READ and DESCRIBE; each output topic: WRITE and DESCRIBE (a `prefix:` name, a prefixed pattern);
* its consumer group, which is its `application.id`: READ;
* its internal topics, which Streams names `<application.id>-...` and creates itself: on the prefixed pattern
  `<application.id>-`, CREATE, DELETE (Streams purges consumed repartition records with DeleteRecords), READ,
  WRITE, DESCRIBE and DESCRIBE_CONFIGS (its topic manager checks existing internal topics' configs);
* with exactly once: its transactional ids (`<application.id>-<process>-<thread>`), prefixed `<application.id>-`:
  WRITE and DESCRIBE. No IDEMPOTENT_WRITE on the cluster: since Kafka 3.0 (KIP-679) WRITE on a topic suffices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Iterable, Mapping

from kplan.kinds.codec import JsonKey
from kplan.model.bindings import AclBinding, shorthand
from kplan.model.desired import freeze
from kplan.model.source import Origin

APP = "app"  # the application creates its internal topics
MANAGED = "managed"  # kplan creates the declared internal topics before the application runs

INPUT_OPERATIONS = ("READ", "DESCRIBE")
OUTPUT_OPERATIONS = ("WRITE", "DESCRIBE")
INTERNAL_OPERATIONS = ("CREATE", "DELETE", "DESCRIBE", "DESCRIBE_CONFIGS", "READ", "WRITE")
TRANSACTIONAL_OPERATIONS = ("DESCRIBE", "WRITE")

# Kafka Streams' own test for an internal topic (StreamsResetter.matchesInternalTopicFormat), on the whole name
# of a topic that starts with `<application.id>-`
_INTERNAL = re.compile(r".*-(changelog|repartition|subscription-registration-topic|subscription-response-topic)$"
                       r"|.+-KTABLE-FK-JOIN-SUBSCRIPTION-(REGISTRATION|RESPONSE)-\d+-topic$")


@dataclass(frozen=True)
class InternalTopicSpec:
    """A declared internal topic (`internal_topics: managed`): its full name and what kplan creates it with."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"config": JsonKey(read=freeze)}  # read-only and key-sorted

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class StreamsAppSpec:
    """One Kafka Streams application as a stack declares it; `name` is its `application.id`."""

    name: str
    principal: str  # e.g. User:orders-streams
    inputs: tuple[str, ...] = ()  # topic names, `prefix:<p>` for a prefixed pattern
    outputs: tuple[str, ...] = ()
    exactly_once: bool = False
    internal_topics: str = APP  # APP | MANAGED
    topics: tuple[InternalTopicSpec, ...] = ()  # declared internal topics (MANAGED)
    delete_internal_topics_on_destroy: bool = False
    origin: Origin | None = None

    def bindings(self) -> tuple[AclBinding, ...]:
        """Exactly the bindings the application's principal needs: sorted, unique."""
        return app_bindings(self.name, self.inputs, self.outputs, self.exactly_once)


def app_bindings(application_id: str, inputs: Iterable[str], outputs: Iterable[str],
                 exactly_once: bool) -> tuple[AclBinding, ...]:
    out = set(shorthand("topic", inputs, INPUT_OPERATIONS) + shorthand("topic", outputs, OUTPUT_OPERATIONS))
    out.add(AclBinding("group", "literal", application_id, "READ"))
    out.update(AclBinding("topic", "prefixed", f"{application_id}-", op) for op in INTERNAL_OPERATIONS)
    if exactly_once:
        out.update(AclBinding("transactional_id", "prefixed", f"{application_id}-", op)
                   for op in TRANSACTIONAL_OPERATIONS)
    return tuple(sorted(out))


def is_internal_topic(application_id: str, topic: str) -> bool:
    """Whether Kafka Streams would call `topic` an internal topic of `application_id`."""
    prefix = f"{application_id}-"
    return topic.startswith(prefix) and _INTERNAL.match(topic) is not None


def internal_topics_of(spec: StreamsAppSpec, names: Iterable[str]) -> tuple[str, ...]:
    """The live topics that are the application's internal ones (its declared ones, and those Streams named so;
    never a declared input or output, which the reset tool's rule excludes too), sorted."""
    declared = {t.name for t in spec.topics}
    io = set(spec.inputs) | set(spec.outputs)
    return tuple(sorted(n for n in names
                        if n not in io and (n in declared or is_internal_topic(spec.name, n))))
