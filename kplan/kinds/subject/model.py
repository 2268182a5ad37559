"""The subject kind's declared model: schema registry subjects as a stack declares them
(the Stack holds them by section, `Stack.of`)."""

from __future__ import annotations

from dataclasses import dataclass

from kplan.model.source import Origin

SECTION = "subjects"  # the kind's stack section
# The one other section whose entries declare subjects too, and its keys that do (a topic's key_schema and
# value_schema): the UNIT's `borrows`.
BORROWED, SCHEMA_KEYS = "topics", ("key_schema", "value_schema")


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
