"""Pure: which subjects a plan reads from the schema registry, and the live state with what the read found.

Kept apart from the registry's I/O (client, read, write) so that the subject kind and the commands share it: a
stack that declares or owns subjects but names no registry gets the NO_REGISTRY problem (the kind reports it), a
registry that could not be read UNREACHABLE with the read's one-line reason, and a live-state file (no read) keeps
what it says."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable, Mapping

from kplan.kinds.subject.kind import SUBJECT
from kplan.kinds.subject.live import LiveSubject, SubjectReads, SubjectsRead
from kplan.kinds.subject.mirrored import derive, given, schema_mirrors, source_names, with_schemas
from kplan.model.desired import Stack, freeze
from kplan.model.live import LiveState, Problem
from kplan.model.orphans import claim_for


def wanted(stack: Stack, live: LiveState, claimed: Iterable[str] = (), mirrored: Iterable[str] = ()) -> list[str]:
    """The subjects the plan reads: the ones the stack declares, the ones its ownership record owns, those it
    references (`references:`), those the registry lists under the stack's claims (`claimed`, docs/orphans.md) and
    those its mirrors give the registry (`mirrored`, kplan.kinds.subject.mirrored)."""
    referenced = {r.name for r in stack.references if r.type_word == SUBJECT.value}
    return sorted({s.name for s in stack.of("subjects")} | set(live.of(SUBJECT).owned) | referenced | set(claimed)
                  | set(mirrored))


def claimed_names(stack: Stack, live: LiveState, listed: Iterable[str]) -> list[str]:
    """Of the registry's subjects (`listed`), those under the stack's subject claims that no other stack owns."""
    claims = tuple(c for c in stack.claims if "subjects" in c.kinds)
    return sorted(n for n in listed if claim_for(claims, "subjects", n) is not None
                  and f"{SUBJECT.value}.{n}" not in live.foreign_owners)


def attach(stack: Stack, live: LiveState, read: SubjectsRead | None, names: list[str]) -> LiveState:
    """`live` with the subjects `read` found (only the wanted ones, `names`), the registry's global level and why the
    registry could not be read; `read` None: nothing was read (a live-state file), `live` stays as it is."""
    if not names:
        return live
    if not stack.cluster.schema_registry_url:
        return replace(live, registry_level=None).with_kind(SUBJECT, resources=freeze({}),
                                                            problem=Problem.NO_REGISTRY, problem_detail=None)
    if read is None:
        return live
    subjects, level, problem = read
    return replace(live, registry_level=level).with_kind(
        SUBJECT, resources=freeze({n: s for n, s in sorted(subjects.items()) if n in names}),
        problem=Problem.UNREACHABLE if problem else None, problem_detail=problem or None)


def _claimed(stack: Stack, live: LiveState, reader: object) -> tuple[list[str], str | None]:
    """The subjects under the stack's claims, from the registry's list of subjects (one GET; only for a stack that
    claims subjects and names a registry, and a reader that can ask: not a live-state file's), and why the list
    could not be read (None when it was)."""
    from kplan.errors import KplanError

    listing = getattr(reader, "subject_names", None)
    if listing is None or not stack.cluster.schema_registry_url \
            or not any("subjects" in c.kinds for c in stack.claims):
        return [], None
    try:
        return claimed_names(stack, live, listing()), None
    except KplanError as e:
        return [], f"the schema registry could not be read: {e}"


def follow_up(stack: Stack, live: LiveState, reader: SubjectReads, destroy: bool) -> LiveState:
    """The live state with the schema registry subjects the stack declares or owns (a few GETs each, concurrently),
    read only when there are any, and the earlier versions that hold declared schemas; a live-state file keeps what
    it says."""
    claimed, problem = _claimed(stack, live, reader)
    if problem is not None:
        return live.with_kind(SUBJECT, problem=Problem.UNREACHABLE, problem_detail=problem)
    sources = {} if destroy else _source_subjects(stack, live, reader)
    mirrored = {t for _, (names, _, _) in sources.items() for t in names.values()}
    names = wanted(stack, live, claimed, mirrored)
    asks = isinstance(reader, SubjectReads) and stack.cluster.schema_registry_url and names
    read = reader.read_subjects(names) if asks else None
    live = attach(stack, live, read, names)
    if sources:  # what each mirror gives the target's registry, once the target's subjects are read
        live = with_schemas(live, [derive(m, c, *sources[m.name], live, stack.cluster.schema_registry_url)
                                   for m, c in schema_mirrors(stack) if m.name in sources])
    subjects = live.of(SUBJECT)
    if read is None or subjects.problem is not None:
        return live
    specs = [*stack.of("subjects"), *(s for m in given(live) for s in m.specs.values()
                                       if s.mirrored_from is not None and not s.mirrored_from.kept)]
    # on each subject whose declared schema the registry holds as an earlier version: that version
    older = reader.declared_versions(specs, subjects.resources)
    return live.with_kind(SUBJECT, resources=freeze({n: replace(s, declared_version=older.get(n))
                                                     for n, s in subjects.resources.items()})) if older else live


Source = tuple[Mapping[str, str], "Mapping[str, LiveSubject] | None", "str | None"]
Sources = Mapping[str, Source]


def _source_subjects(stack: Stack, live: LiveState, reader: Any) -> Sources:
    """Mirror -> (source subject -> target subject, what the source's registry has of them or None, why it could not
    be read), for the stack's mirrors with `schemas: true` (kplan.kinds.subject.mirrored); only the subjects of the
    topics the mirror replicates are asked."""
    out: dict[str, Source] = {}
    for mirror, _ in schema_mirrors(stack):
        names = source_names(mirror, live)
        read = live.mirror_sources.get(mirror.name)
        if read is None or read.problem is not None or mirror.source is None:
            why = read.problem if read is not None and read.problem else "the source cluster was not read"
            out[mirror.name] = ({}, None, why)
        elif not hasattr(reader, "read_source_subjects"):
            out[mirror.name] = (names, None, "a live-state file has no source registry")
        elif not names:
            out[mirror.name] = (names, {}, None)
        else:
            found, _, problem = reader.read_source_subjects(mirror.source, names)
            out[mirror.name] = (names, None if problem else found, problem)
    return out
