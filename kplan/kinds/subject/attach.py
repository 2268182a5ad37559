"""Pure: which subjects a plan reads from the schema registry, and the live state with what the read found.

Kept apart from the registry's I/O (client, read, write) so that the subject kind and the commands share it: a
stack that declares or owns subjects but names no registry gets the NO_REGISTRY problem (the kind reports it), a
registry that could not be read UNREACHABLE with the read's one-line reason, and a live-state file (no read) keeps
what it says."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from kplan.kinds.subject.kind import SUBJECT
from kplan.kinds.subject.live import SubjectReads, SubjectsRead
from kplan.model.desired import Stack, freeze
from kplan.model.live import LiveState, Problem


def wanted(stack: Stack, live: LiveState) -> list[str]:
    """The subjects the plan reads: the ones the stack declares and the ones its ownership record owns."""
    return sorted({s.name for s in stack.of("subjects")} | set(live.of(SUBJECT).owned))


def attach(stack: Stack, live: LiveState, read: SubjectsRead | None) -> LiveState:
    """`live` with the subjects `read` found (only the wanted ones), the registry's global level and why the
    registry could not be read; `read` None: nothing was read (a live-state file), `live` stays as it is."""
    names = wanted(stack, live)
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


def with_declared_versions(live: LiveState, older: Mapping[str, int]) -> LiveState:
    """`live` with, on each subject of `older`, the earlier version that holds the declared schema."""
    if not older:
        return live
    return live.with_kind(SUBJECT, resources=freeze({n: replace(s, declared_version=older.get(n))
                                                     for n, s in live.of(SUBJECT).resources.items()}))


def follow_up(stack: Stack, live: LiveState, reader: SubjectReads, destroy: bool) -> LiveState:
    """The live state with the schema registry subjects the stack declares or owns (a few GETs each, concurrently),
    read only when there are any, and the earlier versions that hold declared schemas; a live-state file keeps what
    it says."""
    names = wanted(stack, live)
    asks = isinstance(reader, SubjectReads) and stack.cluster.schema_registry_url and names
    read = reader.read_subjects(names) if asks else None
    live = attach(stack, live, read)
    if read is None:
        return live
    subjects = live.of(SUBJECT)
    return with_declared_versions(live, reader.declared_versions(stack.of("subjects"), subjects.resources)
                                  if subjects.problem is None else {})
