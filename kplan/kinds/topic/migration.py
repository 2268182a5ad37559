"""A topic migration, planned (docs/migrations.md): a declared topic naming the topic it replaces (`migrate_from:`)
is created, the old topic's records are copied into it, its consumer groups' committed offsets are moved by the
copy's offset map, and the old topic is kept until a later apply without the key. Pure: what the cluster has of the
old topic (its records, bytes and groups) is read before planning, only when a stack declares a migration
(`kinds/topic/io/migrate.py`'s follow-up read), and reaches the kind as its slice's facts (`MigrationFacts`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.codec import UNSET_OMITTED, JsonKey
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.plan import PlanDiagnostic, ResourceType, address_of, error, warning
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.topic.model import TopicSpec
    from kplan.model.desired import Stack
    from kplan.model.live import LiveState

DEFAULT_WAIT_S = 3600.0  # how long a copy with a cutover follows the old topic at most (cutover.wait)
KEPT = "kept until a later apply after migrate_from is removed from {new!r}, which deletes it"
COPY_GROUP = "kplan-migrate-{new}"  # the copy's own consumer group: its committed offsets are the copy's progress


@dataclass(frozen=True)
class GroupPosition:
    """A consumer group's committed offsets on the old topic, by partition."""

    group: str
    committed: Mapping[int, int] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class SourceFacts:
    """What the cluster has of a migration's old topic: its partitions, its records (end less start offsets,
    summed), the bytes of one replica of its partitions (None: not read), and the groups with committed offsets on
    it."""

    partitions: int
    records: int | None = None
    bytes: int | None = None
    groups: tuple[GroupPosition, ...] = ()


@dataclass(frozen=True)
class MigrationFacts:
    """The old topics of the stack's migrations, by name (the topic slice's facts)."""

    sources: Mapping[str, SourceFacts] = field(default_factory=lambda: freeze({}))


@dataclass(frozen=True)
class Cutover:
    """When a copy that follows live traffic stops following and the groups move (a topic's `cutover:`): once the
    old topic has had no new record for `idle_s` seconds, or at the time `at` (RFC 3339, UTC); a copy that has not
    cut over `wait_s` seconds after it began following fails (its progress is kept: recover --resume goes on)."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"idle_s": UNSET_OMITTED, "at": UNSET_OMITTED}

    wait_s: float
    idle_s: float | None = None
    at: str | None = None

    def at_epoch(self) -> float | None:
        return None if self.at is None else datetime.fromisoformat(self.at).timestamp()

    def words(self) -> str:
        when = (f"until it has had no new record for {self.idle_s:g} s" if self.idle_s is not None
                else f"until {self.at}")
        return f"{when}, at most {self.wait_s:g} s"


def cutover_of(raw: Any) -> Cutover:
    """The cutover a topic's `cutover:` says (the schema passed its shape: an object with `idle` or `at`); ValueError
    with the message to show for a value it cannot be."""
    from kplan.rules.units import UnitError, parse_duration_ms

    def seconds(key: str) -> float:
        try:
            return parse_duration_ms(str(raw[key])) / 1000
        except UnitError as e:
            raise ValueError(f"cutover.{key}: {e}") from None

    if ("idle" in raw) == ("at" in raw):
        raise ValueError("cutover needs exactly one of idle (how long the old topic must have had no new record) "
                         "and at (the time to cut over, e.g. 2026-12-01T02:00:00Z)")
    wait = seconds("wait") if "wait" in raw else DEFAULT_WAIT_S
    if "idle" in raw:
        return Cutover(wait, idle_s=seconds("idle"))
    try:
        at = datetime.fromisoformat(str(raw["at"]))
    except ValueError:
        raise ValueError(f"cutover.at: {raw['at']!r} is not a time: write it as 2026-12-01T02:00:00Z") from None
    if at.tzinfo is None:
        raise ValueError(f"cutover.at: {raw['at']!r} has no time zone: end it with Z (UTC) or an offset such as +01:00")
    return Cutover(wait, at=at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"))


@dataclass(frozen=True)
class MigrationPlanned:
    """A migration as the plan carries it (the plan schema's planned_migration); `cutover` only when declared."""

    json_keys: ClassVar[Mapping[str, JsonKey]] = {"cutover": UNSET_OMITTED}

    source: str
    partitions_from: int
    records: int | None = None
    bytes: int | None = None
    groups: tuple[GroupPosition, ...] = ()
    kept: str = ""
    cutover: Cutover | None = None


def wanted(stack: "Stack", live: "LiveState") -> dict[str, str]:
    """new topic -> old topic, for each declared migration whose old topic is on the cluster: still to run when the
    new topic is not, else when its copy is unfinished (the follow-up read tells: kplan.kinds.topic.io.migrate)."""
    topics = live.of(ResourceType.TOPIC).resources
    return {t.name: t.migrate_from for t in stack.of("topics")
            if t.migrate_from is not None and t.migrate_from in topics}


def planned(spec: "TopicSpec", facts: Any) -> MigrationPlanned | None:
    """The migration of `spec`, with what the read found of its old topic (`facts`: the topic slice's); None when
    it declares none or its old topic was not read (not on the cluster: `problems` says so)."""
    found = (facts.sources.get(spec.migrate_from) if isinstance(facts, MigrationFacts)
             and spec.migrate_from is not None else None)
    if found is None or spec.migrate_from is None:
        return None
    return MigrationPlanned(spec.migrate_from, found.partitions, found.records, found.bytes, found.groups,
                            KEPT.format(new=spec.name), None if spec.cutover is None else cutover_of(spec.cutover))


def summary(spec: "TopicSpec", m: MigrationPlanned) -> PlanDiagnostic:
    """The migration in one line, as every renderer shows a note."""
    size = ("records and bytes unknown (not read)" if m.records is None else
            f"{plural(m.records, 'record')}" + (f", {m.bytes:,} bytes" if m.bytes is not None else "") + " to copy")
    groups = ("; consumer groups whose positions move: " + ", ".join(
        f"{g.group} (committed on {plural(len(g.committed), 'partition')})" for g in m.groups)) if m.groups else (
        "; no consumer group has committed offsets on it")
    follow = (f"; the copy then follows {m.source!r}'s new records {m.cutover.words()}, then the groups move"
              if m.cutover is not None else "")
    return PlanDiagnostic(Severity.INFO, f"topic {spec.name!r} is migrated from {m.source!r} ({m.partitions_from} -> "
                          f"{spec.partitions} partitions): {size}{groups}{follow}; {m.source!r} is {m.kept}",
                          "topic-migration", address=address_of(ResourceType.TOPIC, spec.name), origin=spec.origin)


def problems(stack: "Stack", live: "LiveState") -> list[PlanDiagnostic]:
    """What makes a declared migration impossible: its old topic absent while the new one is too, two topics
    migrating from one, or the old topic still declared (then kplan would keep managing it); and what switches with
    it or does not: the stack's connectors naming either topic, its references naming the old one."""
    topics = live.of(ResourceType.TOPIC).resources
    declared = {t.name for t in stack.of("topics")}
    seen: dict[str, str] = {}
    out = []
    for t in stack.of("topics"):
        old = t.migrate_from
        if old is None:
            continue
        addr = address_of(ResourceType.TOPIC, t.name)
        if old in seen:
            out.append(error(f"topics {seen[old]!r} and {t.name!r} both migrate from {old!r}: a topic is migrated "
                             "into one topic", "migration-twice", address=addr, origin=t.origin))
        seen[old] = t.name
        if old in declared:
            out.append(error(f"topic {t.name!r} migrates from {old!r}, which the stack still declares: remove "
                             f"{old!r}'s entry (the migration keeps it until migrate_from is removed)",
                             "migration-source-declared", address=addr, origin=t.origin))
        elif t.name not in topics and old not in topics and live.topic_names() is not None:
            out.append(error(f"topic {t.name!r} migrates from {old!r}, which is not on the cluster: remove "
                             "migrate_from to create it empty, or name the topic it replaces",
                             "migration-source-missing", address=addr, origin=t.origin))
        out += [warning(f"{rtype.value} {c.name!r} of the stack still names {old!r}, which topic {t.name!r} "
                        f"migrates from, in its {key}: name {t.name!r} there in this change (apply updates it after "
                        "the copy and the groups' moves; a sink connector stopped by an earlier apply resumes where it "
                        "stopped: docs/migrations.md)", "migration-connector-on-old-topic",
                        address=address_of(rtype, c.name), origin=getattr(c, "origin", None))
                for rtype, c, key in _naming(stack, old)]
        out += [warning(f"the stack references {ref.address}, {naming} ({old!r} is the topic {t.name!r} migrates "
                        "from): kplan never changes a referenced resource, so the reference does not switch with the "
                        f"migration; {todo}", "migration-reference-on-old-topic", address=ref.address,
                        origin=ref.origin)
                for ref, naming, todo in _references_naming(stack, live, old, t.name)]
        if t.name not in topics:  # the migration is to run: what switches to the new topic with it
            out += [PlanDiagnostic(Severity.INFO, f"{rtype.value} {c.name!r} of the stack names {t.name!r} in its "
                                   f"{key}: apply updates it after the copy of {old!r} and the groups' moves",
                                   "migration-connector-switched", address=address_of(rtype, c.name),
                                   origin=getattr(c, "origin", None))
                    for rtype, c, key in _naming(stack, t.name)]
    return out


def _naming(stack: "Stack", topic: str) -> list[tuple[ResourceType, Any, str]]:
    """The stack's resources whose config's `topics` or `topic` setting names `topic` (a sink connector's or a
    source's, as Connect stores it), with their type and the key. Any kind whose resources carry a config is asked:
    this kind names no other kind."""
    from kplan.kinds import KINDS

    out = []
    for kind in KINDS:
        for c in stack.of(kind.section):
            config = getattr(c, "config", None)
            if not isinstance(config, Mapping):
                continue
            out += [(kind.type, c, key) for key in ("topics", "topic") if _lists(config, key, topic)]
    return out


def _lists(config: Mapping[str, Any], key: str, topic: str) -> bool:
    """Whether a connector config's `key` (`topics`, a list joined with ',', or `topic`) names `topic`."""
    return topic in (v.strip() for v in str(config.get(key, "")).split(","))


def _references_naming(stack: "Stack", live: "LiveState", old: str, new: str) -> list[tuple[Any, str, str]]:
    """The stack's references (`references:`, kplan.plan.references) that name `old`, each with how it names it and
    what the user changes instead (kplan changes no referenced resource, another stack's): the topic itself (unless the
    stack owns it: that reference is an error already), a connector expected to read it (`topics`/`topic` in its
    expected config), a principal expected to be allowed operations on it by name (a literal ACL)."""
    out = []
    for ref in stack.references:
        if ref.type_word == "topic" and ref.name == old and old not in live.of(ResourceType.TOPIC).owned:
            out.append((ref, "the topic itself", f"once the stack's clients read {new!r}, which it declares, drop it"))
        config = ref.expect.get("config") if ref.type_word == "connector" else None
        out += [(ref, f"expecting {old!r} in its {key}",
                 f"have the stack that owns the connector name {new!r} in its {key} (a sink stopped before this "
                 f"migration's apply resumes where it stopped: docs/migrations.md), then write {new!r} in this "
                 "reference's expect")
                for key in ("topics", "topic") if isinstance(config, Mapping) and _lists(config, key, old)]
        ops = sorted({b.operation for b in ref.expect.get("allow") or () if ref.type_word == "acl"
                      and (b.resource, b.pattern, b.name) == ("topic", "literal", old)})
        if ops:
            out.append((ref, f"expecting {', '.join(ops)} on topic {old!r}",
                        f"have the stack that owns the principal's ACLs grant the same on {new!r}, then write "
                        f"{new!r} in this reference's expect"))
    return out


def kept(name: str, stack: "Stack") -> PlanDiagnostic | None:
    """The note for an undeclared topic a migration keeps: the old topic, while a declared topic names it."""
    new = next((t for t in stack.of("topics") if t.migrate_from == name), None)
    if new is None:
        return None
    return PlanDiagnostic(Severity.INFO, f"topic {name!r} is the topic {new.name!r} migrates from: "
                          f"{KEPT.format(new=new.name)}", "migration-source-kept",
                          address=address_of(ResourceType.TOPIC, name), origin=new.origin)


def stanza(spec: "TopicSpec") -> str:
    """What a user writes to make a change Kafka cannot make in place by a migration: a new topic naming this one."""
    return (f"a migration can do it without losing a record: declare the topic under a new name with "
            f"`migrate_from: {spec.name}` in place of this entry (`- name: {spec.name}.v2`, `partitions: "
            f"{spec.partitions}`, `replication_factor: {spec.replication_factor}`, `migrate_from: {spec.name}`; "
            "docs/migrations.md)")


def copy_passes(groups: Mapping[str, Mapping[int, int]], partitions: int) -> list[dict[int, int]]:
    """Where the copy stops before going on, one bound per pass (old partition -> offset), the end of the topic
    after the last: each group's records read before its committed offsets are copied before those it has not read,
    so that in every new partition a group's position is preceded only by what it read (no record read twice). The
    groups ordered by how far they read, pass k stops at the least of the committed offsets of groups k.. on each
    partition: exact for groups each at or behind the next on every partition (the common case: one group, or groups
    reading the same stream at different speeds); a group ahead on one partition and behind on another can see
    records it read again after its position, never miss one."""
    ordered = sorted(groups.values(), key=lambda c: (sum(c.get(p, 0) for p in range(partitions)), sorted(c.items())))
    out: list[dict[int, int]] = []
    for k in range(len(ordered)):
        cut = {p: min(c.get(p, 0) for c in ordered[k:]) for p in range(partitions)}
        if any(cut.values()) and (not out or cut != out[-1]):
            out.append(cut)
    return out
