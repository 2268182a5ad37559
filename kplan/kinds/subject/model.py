"""The subject kind's declared model: schema registry subjects as a stack declares them (the Stack holds them by
section, `Stack.of`), and their shape: the keys of a `subjects` entry and of a topic's `key_schema`/`value_schema`,
one row each (`kplan.kinds.shape`). The reading of an entry stays hand code (kinds/subject/section.py): a schema
comes from a file or inline text and is checked as its type says."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.kinds.shape import (
    BOOLEAN,
    Attr,
    Shape,
    Type,
    choice,
    either,
    fields_of,
    list_of,
    named,
    nullable,
    record,
    row,
    scalars,
    text,
    whole,
)
from kplan.model.source import Origin

SECTION = "subjects"  # the kind's stack section
# The one other section whose entries declare subjects too, and its keys that do (a topic's key_schema and
# value_schema): the UNIT's `borrows`.
BORROWED, SCHEMA_KEYS = "topics", ("key_schema", "value_schema")

SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")
LEVELS = ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE")
NAME = text(1)
LEVEL = nullable(text())  # a level as a plan shows it (null: none)
_REFERENCES = named("schemaReferences", list_of(record((
    Attr("name", NAME, "The referenced type's name, as this schema names it (e.g. shop.Address).", ("shop.Address",),
         required=True),
    Attr("subject", NAME, "The subject that holds the referenced schema.", ("shop.Address",), required=True),
    Attr("version", either(whole(1), Type({"const": "latest"})), "Its version: a number, or latest (the subject's "
         "latest version when this schema is registered).", ("latest", 3)),
))), "Types this schema uses from other subjects: name (as the schema names it), subject, version (a number, or "
    "latest: the subject's latest version when registered).",
    ([{"name": "shop.Address", "subject": "shop.Address", "version": "latest"}],))

# The plain keys of a schema: each the spec's field as written, and a live subject's as the registry holds it (the
# section reads them by their rows, `kplan render` and the import entry write them by their rows).
PLAIN = (
    Attr("compatibility", named(
        "compatibility", choice(LEVELS), "The subject's compatibility level, kept by kplan. Unset: kplan leaves the "
        "subject's level alone (it inherits the registry's global level).", ("BACKWARD",)),
        plan="The subject's own compatibility level (null: it has none).", plan_type=LEVEL, plan_required=True),
)
# A change to the schema, its file, type or references: the registry's subject gains a version, the earlier ones stay.
_NEW_VERSION = "registers a new version (the earlier ones stay)"
_NAMED = "registered under <topic>-{} (TopicNameStrategy) unless subject_naming says otherwise. See docs/schemas.md."


def subject_shape(plain: tuple[Attr, ...]) -> Shape:
    """The subjects section's shape, its plain keys `plain` (SHAPE: PLAIN) after those of a schema the section reads
    by hand (one of schema and schema_file, the type by the file's extension, the references), a topic's
    key_schema/value_schema the same keys and its subject's naming; and the rows a plan shows of a subject that a
    stack does not declare (what the registry says of it)."""
    rows = (
        Attr("schema", named("schemaSource", scalars("string", "object", "array"), "The schema inline (a string; "
                             "for Avro and JSON Schema also a YAML mapping) or schema_file: a .avsc, .json or .proto "
                             "file relative to the stack file.", ({"type": "record", "name": "Address", "namespace":
                                                                   "shop", "fields": [{"name": "city",
                                                                                       "type": "string"}]},)),
             change=_NEW_VERSION, plan="The schema's canonical form.", plan_type=text(), plan_required=True),
        Attr("schema_file", NAME, "The schema's file (.avsc, .json or .proto), relative to the stack file. One of "
             "schema (inline) or schema_file.", ("schemas/order-event.avsc",), change=_NEW_VERSION),
        Attr("type", named("schemaType", choice((*(t.lower() for t in SCHEMA_TYPES), *SCHEMA_TYPES)), "The schema's "
                           "type; by default from schema_file's extension (.avsc avro, .json json, .proto protobuf), "
                           "else avro.", ("avro",)), change=_NEW_VERSION),
        Attr("references", _REFERENCES, change=_NEW_VERSION, plan="The schemas it references.",
             plan_type=list_of(text()), plan_required=True),
        *plain,
    )
    topic_schema = named("topicSchema", either(
        Type({"type": "string", "minLength": 1, "description": "Shorthand: the schema file's path."}),
        record((*rows, Attr("subject_naming", choice(("topic", "record", "topic_record")), "How the subject is "
                            "named: topic (<topic>-key/-value, Confluent's TopicNameStrategy, the default), record "
                            "(the record's full name: RecordNameStrategy) or topic_record (<topic>-<record full "
                            "name>: TopicRecordNameStrategy).", ("record",))))),
        examples=("schemas/order-event.avsc",
                  {"schema_file": "schemas/order-event.proto", "compatibility": "BACKWARD"}))
    return Shape(
        SECTION, "subject", "Schema registry subjects: a schema (inline or schema_file), its type, references and "
        "compatibility level. A topic's key_schema/value_schema declares its subjects too. Needs "
        "cluster.schema_registry. See docs/schemas.md.",
        [{"name": "shop.Address", "schema_file": "schemas/address.avsc", "compatibility": "FULL"}],
        (Attr("name", NAME, "The subject's name, e.g. orders-value.", ("orders-value",), required=True,
              change="names another subject: the one named is registered"),
         Attr("version", whole(1), stack=False, plan="The live side: the subject's latest version."),
         Attr("schema_type", choice(SCHEMA_TYPES), stack=False, plan="AVRO, JSON or PROTOBUF.", plan_required=True),
         *rows,
         Attr("effective_compatibility", LEVEL, stack=False,
              plan="The live side: the level in effect (its own, else the registry's global one).")),
        resource="A schema registry subject: its schema's type and canonical form, references and compatibility "
        "level; the live side also its latest version and the level in effect (compatibility null: the subject has "
        "no own level).",
        extend={"topic": (Attr(SCHEMA_KEYS[0], topic_schema, f"The schema of the topic's keys: {_NAMED.format('key')}"),
                          Attr(SCHEMA_KEYS[1], topic_schema,
                               f"The schema of the topic's values: {_NAMED.format('value')}"))},
        planned=(
            row("schema", nullable(text()), "The schema apply registers (null: no new version)."),
            row("schema_type", choice(SCHEMA_TYPES), "Its type: AVRO, JSON or PROTOBUF."),
            row("references", list_of(fields_of((
                row("name", text(), "The referenced type's name, as the schema names it."),
                row("subject", text(), "The subject that holds it."),
                row("version", nullable(whole()), "Its version (null: the latest when registered)."),
            ))), "Its references (on a delete: those the subject had)."),
            row("set_level", BOOLEAN, "Whether apply sets the subject's compatibility level."),
            row("compatibility", LEVEL, "The level set (null: the subject's own level is removed)."),
            row("version_before", nullable(whole()), "The latest version before apply (null: none)."),
            row("compatibility_before", LEVEL, "The subject's own level before apply (null: none)."),
        ),
        planned_description="What apply does to a subject: the schema it registers (null: no new version) with its "
        "type and references, whether it sets the compatibility level (compatibility null: removes the subject's own "
        "level), the latest version and own level before; on a delete, the references the subject had (it is deleted "
        "before the subjects it references).",
    )


SHAPE = subject_shape(PLAIN)


@dataclass(frozen=True, order=True)
class SchemaReference:
    """A schema's reference to a type another subject holds (`name` as the schema names it, e.g. `x.Address` or
    `address.proto`). `version` None: the referenced subject's latest version, resolved when the schema is
    registered (after that subject's own registration in the same run)."""

    name: str
    subject: str
    version: int | None = None

    def label(self) -> str:
        return f"{self.name} -> {self.subject}@{'latest' if self.version is None else self.version}"


@dataclass(frozen=True)
class MirroredFrom:
    """Where a subject a mirror gives its target comes from (`mirrors:` with `schemas: true`): the mirror, the source
    cluster's alias, the subject there and its latest version and id as read (kplan.kinds.subject.mirrored).
    `kept`: not read this time (the source registry could not be read, or the topic is no longer replicated): the
    target's subject is declared as it is, never deleted for that."""

    mirror: str
    source_alias: str
    subject: str
    version: int | None = None
    schema_id: int | None = None
    kept: bool = False

    def said(self) -> str:
        """Where it comes from, in words: `main's orders-value version 2 (id 5)`."""
        at = f" version {self.version}" if self.version is not None else ""
        ident = f" (id {self.schema_id})" if self.schema_id is not None else ""
        return f"{self.source_alias}'s {self.subject}{at}{ident}"


@dataclass(frozen=True)
class SubjectSpec:
    """A schema registry subject the stack declares (`subjects:`), or generated for a topic's `key_schema` /
    `value_schema` (TopicNameStrategy: `<topic>-key`, `<topic>-value`, unless another naming is chosen).
    `schema` is the text as declared (the file's, or the inline value's); plans compare canonical forms
    (`kplan.kinds.subject.schemas`), never the text. `compatibility` None: the subject's level is not managed."""

    name: str
    schema: str
    schema_type: str = "AVRO"  # AVRO, JSON or PROTOBUF
    references: tuple[SchemaReference, ...] = ()
    compatibility: str | None = None
    origin: Origin | None = None
    schema_origin: Origin | None = None  # the line of `schema` / `schema_file`, where compatibility errors point
    schema_file: str | None = None  # the file the schema came from (as written in the stack), for messages
    topic: str | None = None  # the topic whose key/value schema this is, when generated from a topic
    mirrored_from: MirroredFrom | None = None  # given by a mirror (`schemas: true`), not declared in `subjects:`
