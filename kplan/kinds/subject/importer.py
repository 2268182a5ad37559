"""Schema registry subjects in `kplan import`: the latest schema inline, its type, references and own level."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kplan.errors import KplanError
from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.shape import said
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import PLAIN
from kplan.model.desired import Stack, freeze
from kplan.model.live import LiveState, Problem, problem_line
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict[str, Any]]:
    subjects = live.of(ResourceType.SUBJECT)
    if subjects.problem is not None:
        ctx.notes.append("schema registry subjects not imported: "
                         f"{problem_line(subjects.problem, subjects.problem_detail)}")
    apicurio = ctx.registry_flavour == "apicurio"
    return [subject_entry(subjects.resources[name], apicurio) for name in sorted(subjects.resources)
            if ctx.selects(name) and not ctx.owned_elsewhere("subject", name)]


def subject_entry(subject: LiveSubject, none_is_no_level: bool) -> dict[str, Any]:
    """A subject as the stack declares it: its latest schema inline, as the registry holds it (plans compare
    canonical forms, so the text loads back to no change), its type, references and plain keys (its own
    compatibility level) by their rows."""
    # none_is_no_level: the registry keeps a subject-level NONE as no level at all (Apicurio), so one is not written
    entry: dict[str, Any] = {"name": subject.name, "schema": subject.schema}
    if subject.schema_type != "AVRO":
        entry["type"] = subject.schema_type.lower()
    if subject.references:
        entry["references"] = [{"name": r.name, "subject": r.subject, "version": r.version}
                               for r in subject.references]
    plain = said(PLAIN, {a.key: getattr(subject, a.key) for a in PLAIN})
    if none_is_no_level and plain.get("compatibility") == "NONE":
        del plain["compatibility"]
    return {**entry, **plain}


def read_all(live: LiveState, reader: Any, stack: Stack) -> LiveState:
    """Every subject of the stack's schema registry (its latest version, levels), or why it could not be read, over
    the batched reader's registry session (kplan.kinds.subject.io.SubjectRead: every name, then those)."""
    from kplan.kinds.subject.io import reads

    if not stack.cluster.schema_registry_url:
        return live
    reader = reads(reader)
    try:
        names = reader.subject_names()
    except KplanError as e:
        return live.with_kind(ResourceType.SUBJECT, problem=Problem.UNREACHABLE,
                              problem_detail=f"the schema registry could not be read: {e}")
    found, level, problem = reader.read_subjects(names)
    return replace(live, registry_level=level).with_kind(
        ResourceType.SUBJECT, resources=freeze(found), problem=Problem.UNREACHABLE if problem else None,
        problem_detail=problem)


IMPORTER = KindImporter("subject(s)", entries, skip_help="Import no schema registry subjects.", read=read_all)
