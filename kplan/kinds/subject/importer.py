"""Schema registry subjects in `kplan import`: the latest schema inline, its type, references and own level."""

from __future__ import annotations

from typing import Any

from kplan.kinds.importing import ImportContext, KindImporter
from kplan.kinds.subject.live import LiveSubject
from kplan.model.live import LiveState, problem_line
from kplan.model.plan import ResourceType


def entries(live: LiveState, ctx: ImportContext) -> list[dict]:
    subjects = live.of(ResourceType.SUBJECT)
    if subjects.problem is not None:
        ctx.notes.append("schema registry subjects not imported: "
                         f"{problem_line(subjects.problem, subjects.problem_detail)}")
    return [subject_entry(subjects.resources[name], ctx.none_is_no_level) for name in sorted(subjects.resources)
            if ctx.selects(name) and not ctx.owned_elsewhere("subject", name)]


def subject_entry(subject: LiveSubject, none_is_no_level: bool) -> dict:
    """A subject as the stack declares it: its latest schema inline, as the registry holds it (plans compare
    canonical forms, so the text loads back to no change), its type, references and own compatibility level."""
    entry: dict[str, Any] = {"name": subject.name, "schema": subject.schema}
    if subject.schema_type != "AVRO":
        entry["type"] = subject.schema_type.lower()
    if subject.references:
        entry["references"] = [{"name": r.name, "subject": r.subject, "version": r.version}
                               for r in subject.references]
    level = subject.compatibility
    if level and not (level == "NONE" and none_is_no_level):
        entry["compatibility"] = level
    return entry


IMPORTER = KindImporter("subject(s)", entries)
