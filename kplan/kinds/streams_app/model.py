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

from kplan.kinds.binding_rows import BINDING, PRINCIPAL
from kplan.kinds.codec import JsonKey
from kplan.kinds.shape import (
    BOOLEAN,
    Attr,
    Shape,
    Type,
    choice,
    fields_of,
    list_of,
    map_of,
    named,
    record,
    ref,
    row,
    scalars,
    text,
    whole,
)
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

TOPIC_NAME = named("streamsTopicName", text(1), examples=("orders.events", "prefix:orders."))
# A managed internal topic: what kplan creates it with.
TOPIC = (
    Attr("name", text(1), "The internal topic's full name: <application_id>-<name>-changelog or -repartition.",
         ("orders-enricher-customers-store-changelog",), required=True),
    Attr("partitions", whole(1), "Its number of partitions.", (6,), default=1),
    Attr("replication_factor", whole(1), "Its replication factor.", (3,), default=1),
    Attr("config", map_of(scalars("string", "integer", "number", "boolean")), "Its topic configs, key: value, "
         "written when kplan creates it (an existing topic's are not compared).",
         ({"cleanup.policy": "compact", "min.insync.replicas": 2},)),
)
BINDINGS = list_of(ref("streams_app_binding"))
NAMES = list_of(text())

SHAPE = Shape(
    "streams_apps", "streamsApp",
    "Kafka Streams applications: kplan generates the ACL bindings each one's principal needs and keeps its internal "
    "topics as its own. See docs/stack-format.md (Kafka Streams applications).",
    [{"application_id": "orders-enricher", "principal": "User:orders-streams", "inputs": ["orders.events"],
      "outputs": ["orders.enriched"]}],
    (
        Attr("application_id", Type({"type": "string", "pattern": "^[A-Za-z0-9._-]+$", "maxLength": 200},
                                    {"type": "string"}),
             "The application's application.id: its consumer group, and the prefix of its internal topics and "
             "transactional ids.", ("orders-enricher",), required=True, var=True,
             plan="The application's application.id.", plan_required=True),
        row("bindings", BINDINGS, "The bindings of its principal that the cluster has."),
        Attr("principal", text(pattern="^[A-Za-z]+:.+$"), "The Kafka principal its clients authenticate as, e.g. "
             "User:orders-streams.", ("User:orders-streams",), required=True),
        Attr("inputs", list_of(TOPIC_NAME), "Topics it reads (READ, DESCRIBE); \"prefix:<p>\" for every "
             "topic starting with <p>.", (["orders.events", "prefix:customers."],)),
        Attr("outputs", list_of(TOPIC_NAME), "Topics it writes (WRITE, DESCRIBE); \"prefix:<p>\" for every topic "
             "starting with <p>.", (["orders.enriched"],)),
        Attr("exactly_once", BOOLEAN, "processing.guarantee exactly_once_v2: its transactional ids (prefixed "
             "<application.id>-) get WRITE and DESCRIBE.", (True,), default=False),
        # The key's plan image is what the cluster has: the application's internal topics, not the stack's mode.
        Attr("internal_topics", choice((APP, MANAGED)), "app (default): Kafka Streams creates its internal topics; "
             "managed: kplan creates the ones under `topics` before the application runs.", ("managed",),
             default=APP, plan="Its internal topics on the cluster.", plan_type=NAMES, plan_required=True),
        Attr("topics", list_of(record(TOPIC)), "With internal_topics: managed: the internal topics kplan creates "
             "(full names, <application.id>-...-changelog or -repartition).",
             ([{"name": "orders-enricher-customers-store-changelog", "partitions": 6, "replication_factor": 3}],)),
        Attr("delete_internal_topics_on_destroy", BOOLEAN, "Destroy deletes the application's internal topics too "
             "(default false: they are left, and the plan says so).", (True,), default=False),
    ),
    resource="A Kafka Streams application: the bindings kplan generates (or created) for its principal that the "
             "cluster has, and its internal topics.",
    planned=(
        row("create", BINDINGS, "The bindings apply creates."),
        row("delete", BINDINGS, "The bindings apply deletes."),
        row("create_topics", list_of(fields_of((
            row("name", text(), "The topic's full name."),
            row("partitions", whole(), "Its number of partitions."),
            row("replication_factor", whole(), "Its replication factor."),
            row("config", map_of(text()), "Its configs, key: value.")))), "The managed internal topics apply creates."),
        row("delete_topics", NAMES, "The internal topics apply deletes (destroy with "
            "delete_internal_topics_on_destroy)."),
    ),
    planned_description="What apply does for an application: the exact bindings it creates and deletes, the managed "
                        "internal topics it creates, the internal topics it deletes (destroy, when asked).",
    plan_defs={"streams_app_binding": fields_of((PRINCIPAL, *BINDING))},
)


@dataclass(frozen=True)
class InternalTopicSpec:
    """A declared internal topic (`internal_topics: managed`): its full name and what kplan creates it with."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"config": JsonKey(read=freeze)}  # read-only and key-sorted

    name: str
    partitions: int = TOPIC[1].default
    replication_factor: int = TOPIC[2].default
    config: Mapping[str, str] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class StreamsAppSpec:
    """One Kafka Streams application as a stack declares it; `name` is its `application.id`."""

    name: str
    principal: str  # e.g. User:orders-streams
    inputs: tuple[str, ...] = ()  # topic names, `prefix:<p>` for a prefixed pattern
    outputs: tuple[str, ...] = ()
    exactly_once: bool = SHAPE["exactly_once"].default
    internal_topics: str = SHAPE["internal_topics"].default  # APP | MANAGED
    topics: tuple[InternalTopicSpec, ...] = ()  # declared internal topics (MANAGED)
    delete_internal_topics_on_destroy: bool = SHAPE["delete_internal_topics_on_destroy"].default
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
