"""The subjects a mirror gives its target's schema registry (`mirrors:` with `schemas: true`). Pure.

MirrorMaker copies records byte for byte, so a replica's records still name their schemas as the source's registry
knows them. With `schemas: true` the replicated topics' subjects (TopicNameStrategy: `<topic>-key`, `<topic>-value`)
are registered on the target's registry under the replicas' names (`<source alias>.<topic>-value` under the
prefixed policy) with the source's latest schema and the source subject's own compatibility level. They are one
more derived resource of the mirror, as a CDC source's topics are of the source: subjects of the subject kind,
planned, applied, journaled, undone and owned by its rules, declared by the mirror rather than by `subjects:`.

The source side is a follow-up read (the subject kind's, kplan.kinds.subject.attach): after the mirror's own read
has listed the source's topics, the source cluster's registry is asked for the subjects of the topics the mirror
replicates. What it found is kept on the mirror's read (`MirrorRead.schemas`), so that planning and `status` see the
same subjects.

What is never done for them: a subject whose schema references other subjects is not copied (the referenced
subjects would have to be copied under names the schema does not use; a warning names it); a target subject the
mirror gave is never deleted because the source could not be read or the topic is no longer replicated (the
replica stays with its records, and so does the schema they were written with): it is declared as it is. Removing
the mirror, `schemas: false` or destroy delete them, as any subject the stack owns."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from kplan.kinds.subject.model import MirroredFrom, SubjectSpec
from kplan.model.desired import freeze
from kplan.model.diagnostics import Severity
from kplan.model.mirror import copied, declared_mirrors
from kplan.model.plan import Action, PlanDiagnostic, ResourceType, error, warning

if TYPE_CHECKING:  # pragma: no cover
    from kplan.kinds.subject.live import LiveSubject
    from kplan.model.desired import MirrorSpec, Stack
    from kplan.model.live import LiveState
    from kplan.model.plan import ResourceChange
    from kplan.model.source import Origin

SUBJECT = ResourceType.SUBJECT


@dataclass(frozen=True)
class MirroredSchemas:
    """What one mirror gives its target's registry: target subject -> its spec (the source's schema, or kept as the
    target has it), the source subjects not copied because their schema references others, and why the source's
    registry could not be read (None: it was)."""

    mirror: str
    source_alias: str
    target_alias: str
    specs: Mapping[str, SubjectSpec] = field(default_factory=dict)
    with_references: tuple[str, ...] = ()
    problem: str | None = None
    origin: "Origin | None" = None  # the mirror's entry


def schema_mirrors(stack: "Stack") -> list[tuple["MirrorSpec", Any]]:
    """The stack's mirrors with `schemas: true`, each once with its first connector (where its lines point)."""
    return [(m, spec) for m, spec in declared_mirrors(stack) if m.schemas]


def source_names(mirror: "MirrorSpec", live: "LiveState") -> dict[str, str]:
    """Source subject -> target subject for the topics the mirror replicates now ({} when the source's topics were
    not read)."""
    read = live.mirror_sources.get(mirror.name)
    if read is None or read.problem is not None:
        return {}
    return mirror.subject_names(read.source_topics)


def apicurio(url: str | None) -> bool:
    """A registry URL of Apicurio's Confluent API (`/apis/ccompat/...`)."""
    return bool(url and "/apis/ccompat/" in url)


def synced_level(level: str | None, source_url: str | None, target_url: str | None) -> str | None:
    """The level a mirrored subject gets on the target: the source subject's own (None: the target's is left
    alone). NONE only between two registries that both keep it: on Apicurio 3.0.9 a subject's own NONE is no level
    of its own (it reads back as the global one: docs/schemas.md), so read there it cannot be told from none, and
    set there it would never read back."""
    if level == "NONE" and (apicurio(source_url) or apicurio(target_url)):
        return None
    return level


def derive(mirror: "MirrorSpec", connector: Any, names: Mapping[str, str],
           found: Mapping[str, "LiveSubject"] | None, problem: str | None, live: "LiveState",
           target_url: str | None = None) -> MirroredSchemas:
    """The subjects `mirror` gives its target, from what the source's registry has (`found`: source subject -> as
    read there; None with `problem`: it could not be read): one spec per source subject found, with its schema and
    own level; and, declared as the target has them, the target subjects this stack owns that the mirror gave and
    does not give now (kept: never deleted for a source not read or a topic no longer replicated)."""
    specs: dict[str, SubjectSpec] = {}
    refs = []
    for source, target in sorted(names.items()):
        s = (found or {}).get(source)
        if s is None:
            continue
        if s.references:
            refs.append(source)
            continue
        level = synced_level(s.compatibility, mirror.source.schema_registry_url if mirror.source else None,
                             target_url)
        specs[target] = SubjectSpec(target, s.schema, s.schema_type, (), level, origin=connector.origin,
                                    schema_origin=connector.origin, topic=target.rsplit("-", 1)[0],
                                    mirrored_from=MirroredFrom(mirror.name, mirror.source_alias, source, s.version,
                                                               s.schema_id))
    subjects, made = live.of(SUBJECT), copied(live.mirror_sources, mirror.name)
    for name in sorted(subjects.owned):
        current = subjects.resources.get(name)
        if name in specs or current is None or not mirror.may_own_subject(name, made):
            continue
        source = mirror.source_name(name.rsplit("-", 1)[0]) + "-" + name.rsplit("-", 1)[1]
        specs[name] = SubjectSpec(name, current.schema, current.schema_type, current.references, None,
                                  origin=connector.origin, schema_origin=connector.origin,
                                  mirrored_from=MirroredFrom(mirror.name, mirror.source_alias, source, kept=True))
    return MirroredSchemas(mirror.name, mirror.source_alias, mirror.target_alias, freeze(specs), tuple(refs), problem,
                           connector.origin)


def with_schemas(live: "LiveState", schemas: Iterable[MirroredSchemas]) -> "LiveState":
    """`live` with each mirror's read carrying what it gives the target's registry (a mirror not read: its read is
    only that)."""
    from kplan.model.mirror import MirrorRead

    reads = dict(live.mirror_sources)
    for m in schemas:
        reads[m.mirror] = replace(reads.get(m.mirror) or MirrorRead(problem="not read"), schemas=m)
    return replace(live, mirror_sources=freeze(reads))


def given(live: "LiveState") -> list[MirroredSchemas]:
    """What every mirror gives the target's registry, as the follow-up worked it out."""
    return [r.schemas for _, r in sorted(live.mirror_sources.items()) if getattr(r, "schemas", None) is not None]


def mirrored(declared: Mapping[str, SubjectSpec], live: "LiveState"
             ) -> tuple[dict[str, SubjectSpec], list[PlanDiagnostic]]:
    """The subjects the mirrors give, not declared in `subjects:` (one the stack declares, or another mirror gives,
    is an error: a subject has one owner), and a line for each mirror whose source registry could not be read or
    whose source subjects reference others."""
    out: dict[str, SubjectSpec] = {}
    diags: list[PlanDiagnostic] = []
    for m in given(live):
        if m.problem is not None:
            diags.append(warning(f"mirror {m.mirror!r}: {m.source_alias}'s schema registry was not read ({m.problem}): "
                                 f"the subjects it gave {m.target_alias}'s registry are left as they are",
                                 "mirror-schemas-unread", origin=m.origin))
        if m.with_references:
            diags.append(warning(f"mirror {m.mirror!r} does not copy {', '.join(m.with_references)} to "
                                 f"{m.target_alias}'s schema registry: their schemas reference other subjects "
                                 "(declare them in `subjects:` on the target, references first)",
                                 "mirror-schemas-references", origin=m.origin))
        for name, spec in sorted(m.specs.items()):
            other = out.get(name)
            if spec.mirrored_from is not None and spec.mirrored_from.kept and (name in declared or other is not None):
                continue  # an owned subject the stack (or another mirror) declares now: theirs, not kept
            if name in declared or other is not None:
                by = "the stack declares it" if name in declared else \
                    f"mirror {other.mirrored_from.mirror!r} gives it too"  # type: ignore[union-attr]
                diags.append(error(f"mirror {m.mirror!r} would register subject {name} on {m.target_alias}'s schema "
                                   f"registry, but {by}: a subject has one owner", "mirror-subject-owned",
                                   address=f"{SUBJECT.value}.{name}", origin=m.origin))
                continue
            out[name] = spec
    return out, diags


def registration_notes(changes: Mapping[str, "ResourceChange"], specs: Mapping[str, SubjectSpec],
                       live: "LiveState", target_url: str | None) -> list[PlanDiagnostic]:
    """Per mirror, which subjects the plan registers on the target's registry and from where, and whether their ids
    can be the source's: Apicurio's Confluent API ignores IMPORT mode and a registration's id, so the target gives
    each schema its own id (docs/replication.md says what differs); for the subjects already there, the ids as they
    are on both sides."""
    by_mirror: dict[str, list[tuple[str, str]]] = {}  # mirror -> (a subject's address, what the line says of it)
    ids: dict[str, list[tuple[str, str]]] = {}
    origin: dict[str, Origin | None] = {m.mirror: m.origin for m in given(live)}
    for name, spec in sorted(specs.items()):
        f = spec.mirrored_from
        if f is None:
            continue
        change = changes.get(name)
        if change is not None and change.action in (Action.CREATE, Action.UPDATE) and not f.kept:
            how = "registered" if change.action == Action.CREATE else "given a new version"
            by_mirror.setdefault(f.mirror, []).append((f"{SUBJECT.value}.{name}", f"{name} {how} from {f.said()}"))
        current = live.of(SUBJECT).resources.get(name)
        if current is not None and not f.kept and f.schema_id is not None and current.schema_id is not None:
            same = "the same id" if current.schema_id == f.schema_id else \
                f"id {current.schema_id} there, {f.schema_id} on {f.source_alias}"
            ids.setdefault(f.mirror, []).append((f"{SUBJECT.value}.{name}", f"{name}: {same}"))
    idea = (" The target's registry (Apicurio's Confluent API ignores IMPORT mode and a registration's id) gives "
            "each schema an id of its own: the replicas' records carry the source's ids, so their consumers on "
            "the target must read schemas from the source's registry unless the ids happen to agree"
            if apicurio(target_url) else
            " The target's registry gives each schema an id of its own (kplan does not register in IMPORT mode "
            "yet): the replicas' records carry the source's ids")
    return [PlanDiagnostic(Severity.INFO, f"mirror {mirror!r} {head}{'; '.join(t for _, t in lines)}{tail}", code,
                           address=lines[0][0], origin=origin.get(mirror))
            for found, head, tail, code in ((by_mirror, "registers on the target's schema registry: ", f".{idea}",
                                             "mirror-schemas"),
                                            (ids, "schema ids on the target against the source: ", "",
                                             "mirror-schema-ids"))
            for mirror, lines in sorted(found.items())]
