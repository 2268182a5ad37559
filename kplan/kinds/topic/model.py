"""The topic kind's declared model: its shape, the `topics` section's keys, one row each (`kplan.kinds.shape`), what
defaults and environment overlays may set of a topic (`topicSettings`), and the rows a plan shows of a topic and of
what apply does to it; and `TopicSpec`, a topic the stack declares. The reading of an entry stays hand code
(kinds/topic/section.py): a stack may declare 100,000 topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from kplan.kinds.shape import (
    Attr,
    Shape,
    Type,
    either,
    fields_of,
    list_of,
    map_of,
    named,
    nullable,
    record,
    ref,
    row,
    text,
    whole,
)
from kplan.model.desired import freeze
from kplan.model.frozen import slot_init
from kplan.model.source import Origin

_COUNT = either(whole(1, 10000), ref("varRef"))
PARTITIONS = named("partitions", _COUNT, "Number of partitions: 1 to 10,000 (Kafka's controller refuses more "
                   "partitions in one request; librdkafka refuses more than 100,000). A topic is created with at most "
                   "9,999 (fewer with overrides: docs/stack-format.md, Limits); 10,000 only by a later increase.", (6,))
REPLICATION_FACTOR = named("replicationFactor", _COUNT, "Replicas per partition: 1 to 10,000 (librdkafka's limit; the "
                           "protocol's is 32,767); the plan also checks it against the number of brokers.", (3,))
NAME = named("topicName", either(Type({"type": "string", "minLength": 1, "maxLength": 249,
                                       "pattern": "^[a-zA-Z0-9._-]+$", "not": {"enum": [".", ".."]}}), ref("varRef")),
             "Letters, digits, '.', '_' and '-'; at most 249 characters; not '.' or '..'.", ("orders.events",))
DURATION = named("cutoverDuration", either(whole(0), text(1)), "A duration: 30s, 5m, 1h, 500ms, or whole "
                 "milliseconds.", ("30s",))
FLAG = Type(ref("flag").schema, default=False)  # a topic's flag is false unless set
OVERRIDES = map_of(nullable(text()))  # config as a plan shows it: a topic's own overrides, null where not set
_REPLACE = "replaces the topic (DATA LOSS), when allow_replace allows it"

ROWS = (  # after the name: what defaults and environment overlays may set too (topicSettings)
    Attr("partitions", PARTITIONS, change=f"an increase in place (irreversible); a decrease {_REPLACE}",
         plan="Its number of partitions.", plan_type=whole(1), plan_required=True),
    Attr("replication_factor", REPLICATION_FACTOR, change="by a reassignment of its replicas when the brokers and "
         f"their racks are known; otherwise {_REPLACE}", plan="Its replication factor.", plan_type=whole(1),
         plan_required=True),
    Attr("config", ref("configMap"), "Kafka topic configs, key: value: any key of Kafka's topic config catalogue "
         "(validate checks names, types and ranges), durations (7d) on *.ms keys and sizes (1GiB) on *.bytes keys, "
         "lists joined with ','; `null` removes an inherited value. No ${secret:...} references: Kafka would not "
         "resolve them.", ({"retention.ms": "7d", "cleanup.policy": ["compact", "delete"]},
                           {"retention.ms": "7d", "max.message.bytes": "1MiB"}),
         plan="The topic's own overrides (not inherited values).", plan_type=OVERRIDES, plan_required=True),
    Attr("protect", FLAG, "Never delete this topic."),
    Attr("authoritative_config", ref("flag"), "This topic's own switch: true plans the removal of live config "
         "overrides the stack does not declare; false shows them as drift and leaves them. Wins over the "
         "environment's and the stack's authoritative_config."),  # not set (None): the stack-wide switch decides
    Attr("allow_replace", FLAG, "Allow delete+create (DATA LOSS) for a partition decrease or a replication-factor "
         "change."),
    Attr("allow_consumer_disruption", FLAG, "Allow deleting or replacing this topic while a consumer group with "
         "live members reads it (otherwise a plan error; docs/consumers.md)."),
    Attr("ignore_changes", ref("ignoreChanges")),
    Attr("migrate_from", NAME, "The topic this one replaces (docs/migrations.md): apply creates this topic, copies "
         "every record of the named one into it (key, value, headers, timestamp; keys partitioned as Java clients do, "
         "so per key in order; each record once), moves its consumer groups' committed offsets by the copy's offset "
         "map, and keeps the named topic until a later apply without this key deletes it. For a change Kafka cannot "
         "make in place: fewer partitions, another replication factor.", ("orders.events.v1",),
         change="a migration is planned only while this topic does not exist yet; once it exists the key keeps the "
         "old topic"),
    Attr("cutover", named("cutover", record((
        Attr("idle", DURATION, "Cut over once the old topic has had no new record for this long (its producers "
             "stopped or moved).", ("30s",)),
        Attr("at", text(1), "Or: cut over at this time (RFC 3339 with a zone, e.g. 2026-12-01T02:00:00Z); records "
             "written to the old topic after it are not copied.", ("2026-12-01T02:00:00Z",)),
        Attr("wait", DURATION, "The longest the copy follows the old topic (default 1h): past it the apply fails, "
             "what was copied is kept, and kplan recover --resume follows again.", ("2h",)))),
        "A migration that follows live traffic: after copying the old topic's records, the copy goes on copying "
        "those its producers still write until the cutover (exactly one of idle and at), then moves the consumer "
        "groups (docs/migrations.md, Live traffic).", ({"idle": "30s"}, {"at": "2026-12-01T02:00:00Z", "wait": "2h"})),
         change="read only while the migration runs"),
)


PLANNED = (  # what apply does to a topic (kind.py's TopicPlanned)
    row("create", Type({"oneOf": [{"type": "null"}, ref("planned_topic_image").schema]}),
        "The topic apply creates (create, replace), or null."),
    row("previous", Type({"oneOf": [{"type": "null"}, ref("planned_topic_image").schema]}),
        "The topic as it was (replace, delete: what an undo re-creates), or null."),
    row("partitions", nullable(whole(1)), "An update's partition count target, or null."),
    row("partitions_before", nullable(whole(1)), "The partition count before that update, or null."),
    row("replicas", ref("planned_assignment"), "An update's new replica lists."),
    row("replicas_before", ref("planned_assignment"), "The replica lists before it."),
    row("set_config", map_of(text()), "The overrides apply sets, key: value."),
    row("unset_config", list_of(text()), "The overrides apply removes."),
    row("config_before", OVERRIDES, "The values those keys had before (null: not set)."),
    row("sensitive", list_of(text()), "The config keys whose values are masked here; apply takes them from the stack "
        "or the cluster."),
    row("throttle", nullable(whole(1)), "A rebalance's replication throttle: bytes/s per broker while its replicas "
        "are copied (docs/rebalance.md).", required=False),
    row("migration", ref("planned_migration"), "A migration from the topic this one replaces (migrate_from; "
        "docs/migrations.md).", required=False),
    row("elect", list_of(whole(0)), "The partitions whose preferred (first) replica is elected leader (kplan plan "
        "--elect-leaders).", required=False),
)
_PLANNED_WORDS = (
    "What apply does to a topic. create: the topic created (create, replace); previous: the topic as it was (replace, "
    "delete: the undo image); an update's partition target, new replica lists (broker ids per partition, with those "
    "before) and overrides to set and unset (with their values before). A value of a key in `sensitive` is "
    "\"(sensitive)\": apply takes it from the stack or the cluster.")
_PLAN_DEFS = {
    "planned_topic_image": fields_of((row("partitions", whole(1), "Its number of partitions."),
                                      row("replication_factor", whole(1), "Its replication factor."),
                                      row("config", OVERRIDES, "Its overrides, key: value."))),
    "planned_migration": fields_of((
        row("source", text(), "The topic copied from (kept)."),
        row("partitions_from", whole(1), "Its number of partitions."),
        row("records", nullable(whole(0)), "The records to copy: its log end offsets less its log start offsets, "
            "summed (transaction markers included), or null when they could not be read."),
        row("bytes", nullable(whole(0)), "The bytes to copy: the size of one replica of each of its partitions "
            "(DescribeLogDirs), or null when they could not be read."),
        row("groups", list_of(fields_of((
            row("group", text(), "The consumer group."),
            row("committed", map_of(whole(0)), "Its committed offset on the old topic, by partition: apply moves "
                "it to the new topic's position of the first record at or after it.")))),
            "The consumer groups with committed offsets on the old topic: their positions move to the new topic "
            "(each must have no members when apply runs)."),
        row("kept", text(), "What happens to the old topic: kept until a later apply."),
        row("cutover", fields_of((
            row("wait_s", Type({"type": "number", "minimum": 0}), "The longest the copy follows the old topic, in "
                "seconds."),
            row("idle_s", Type({"type": "number", "minimum": 0}), "Cut over once the old topic has had no new "
                "record for this many seconds.", required=False),
            row("at", text(), "Or: cut over at this time (UTC).", required=False))),
            "A copy that follows live traffic: when it cuts over (the stack's cutover); absent: the copy stops at "
            "the old topic's end as apply found it.", required=False)),
        "A topic migration: the old topic's records copied into this one and its groups' positions moved."),
    "planned_assignment": Type({"description": "A replica list (broker ids, the preferred leader first) per partition; "
                                               "empty: none.", **list_of(list_of(whole(0))).schema}),
}


def topic_shape(rows: tuple[Attr, ...]) -> Shape:
    """The topics section's shape, its keys `rows` after the name (SHAPE: ROWS)."""
    settings = named("topicSettings", record(rows))
    return Shape(
        "topics", "topic", "Topics, each merged over defaults.topic.",
        [{"name": "orders.events", "partitions": 6, "replication_factor": 3, "config": {"retention.ms": "7d"}}],
        (Attr("name", NAME, required=True, change="names another topic: the one named is created",
              plan="The topic's name.", plan_type=text(), plan_required=True), *rows),
        extend={"environment": (Attr("topics", map_of(settings), "Per-topic overrides by topic name (declared or "
                                     "CDC-generated).", ({"orders.events": {"partitions": 12,
                                                                            "config": {"retention.ms": "30d"}}},)),),
                "defaults": (Attr("topic", settings, "Topic settings merged under every topic, CDC-generated ones "
                                  "included.", ({"replication_factor": 3, "config": {"min.insync.replicas": 2}},)),)},
        planned=PLANNED, planned_description=_PLANNED_WORDS, plan_defs=_PLAN_DEFS,
    )


SHAPE = topic_shape(ROWS)


@slot_init  # the faster __init__ (kplan.model.frozen)
@dataclass(frozen=True, slots=True)  # slots: a stack may hold a hundred thousand
class TopicSpec:
    """A topic the stack declares: its keys (SHAPE's rows say what each means), where it is declared, and where each
    config key's value is written (`config_origins`, for messages located at its line)."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=lambda: freeze({}))
    protect: bool = SHAPE["protect"].fallback  # each flag's default is its row's (the section relies on it)
    authoritative_config: bool | None = SHAPE["authoritative_config"].fallback  # None: the stack-wide switch
    allow_replace: bool = SHAPE["allow_replace"].fallback
    allow_consumer_disruption: bool = SHAPE["allow_consumer_disruption"].fallback
    origin: Origin | None = None
    ignore_changes: tuple[str, ...] = ()
    migrate_from: str | None = None  # the topic this one replaces (a migration: kplan.kinds.topic.migration)
    cutover: Mapping[str, object] | None = None  # as declared; what it means: kplan.kinds.topic.migration.cutover_of
    config_origins: Mapping[str, Origin] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def protected_by(self) -> str | None:
        """Generated protection: the CDC source whose schema history this topic holds (None for any other topic).
        Not the user's `protect: true` (that is `protect`, and refuses even a destroy): the topic is never deleted
        or replaced while its source's connector stays, and destroy deletes it together with that connector."""
        origin = self.origin
        return origin.cdc_source if origin is not None and origin.role == "schema-history" else None
