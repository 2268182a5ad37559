"""The subject kind's part of a live-state document (`kplan.kinds.livejson`: golden tests, unit tests and
`kplan plan --live-state`).

Schema registry subjects: {"subjects": {"orders-value": {"version": 2, "schema": "<text>", "schema_type": "AVRO",
"references": [{"name": "x.A", "subject": "a", "version": 1}], "id": 7, "versions": [1, 2],
"compatibility": "FULL" or null, "effective_compatibility": "BACKWARD", "declared_version": null or the earlier
version holding the declared schema}}, "owned_subjects": {"orders-value":
"<sha256 digest kplan recorded>" or "latest"}, "subject_problem": null | "no-registry" | "...", "registry_level":
"BACKWARD"}: "latest" records the digest of the live latest version (kplan registered it); a list of names means
"latest" for each. A `subject_problem` other than a code is why the registry could not be read, said as is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Protocol, runtime_checkable

from kplan.kinds.live_codec import by_name, each, kind_slice, shape
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.model.desired import freeze
from kplan.model.live import KindState, Problem


@dataclass(frozen=True)
class LiveSubject:
    """A schema registry subject: its latest version (schema text as the registry returns it, type, references,
    id), its live versions, its own compatibility level (None: it inherits the registry's global one) and the
    level in effect."""

    name: str
    version: int
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()
    schema_id: int | None = None
    versions: tuple[int, ...] = ()
    compatibility: str | None = None
    effective_compatibility: str | None = None
    # The live version that holds the declared schema by the registry's own lookup, asked only when kplan's
    # canonical form finds the latest different: the latest (the registry normalizes them alike: no change), or an
    # earlier one (registries do not register a schema a subject already has: drift kplan cannot undo).
    declared_version: int | None = None

# what a schema registry read answers: (subject -> live subject, the registry's global level, why it could not be read)
SubjectsRead = tuple[Mapping[str, LiveSubject], "str | None", "str | None"]


@runtime_checkable
class SubjectReads(Protocol):
    """The subjects' follow-up read (kplan.kinds.subject.io.SubjectRead; a live-state file's StaticReader)."""

    def read_subjects(self, names: Iterable[str]) -> SubjectsRead | None:
        """These subjects as the schema registry has them; None when the reader cannot ask (a live-state file)."""
        ...

    def declared_versions(self, specs: Iterable[SubjectSpec], live: Mapping[str, LiveSubject]) -> dict[str, int]:
        """subject -> the earlier live version that holds the declared schema (the registry's own lookup)."""
        ...


def kind_state(found: Any, part: Mapping[str, Any], problem: Any) -> KindState:
    """The subjects' slice as the batched read leaves it: the subjects the stack's record owns and their digests
    (the follow-up read adds what the registry has)."""
    return KindState(owned=frozenset(part), records=freeze({n: e for n, e in part.items() if isinstance(e, str)}))


def _defaults(x: Mapping[str, Any]) -> Mapping[str, Any]:
    """A subject's type is AVRO unless it says; its versions, the latest alone; its own level, none unless it says;
    the level in effect, its own."""
    return {**x, "schema_type": x.get("schema_type") or "AVRO", "versions": x.get("versions") or (x["version"],),
            "compatibility": x.get("compatibility") or None,
            "effective_compatibility": x.get("effective_compatibility") or x.get("compatibility") or None}


def _owned(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """"owned_subjects" as subject -> digest: a list of names means "latest" for each."""
    owned = doc.get("owned_subjects") or {}
    return {**doc, "owned_subjects": owned if isinstance(owned, dict) else dict.fromkeys(owned, "latest")}


def _latest(state: KindState) -> KindState:
    """"latest" records the digest of the live latest version (kplan registered it)."""
    from kplan.kinds.subject.schemas import schema_digest

    return replace(state, records=freeze({n: schema_digest(s.schema_type, s.schema, s.references)
                                          if d == "latest" and (s := state.resources.get(n)) is not None else d
                                          for n, d in state.records.items()}))


def _problem(value: Any) -> Problem | None:
    """A problem code, or any other line: why the registry could not be read (UNREACHABLE, the line kept as is)."""
    return None if not value else Problem(value) if value in _CODES else Problem.UNREACHABLE


_CODES = {p.value for p in Problem}
# A live reference names its version.
_reference = shape(SchemaReference, lambda r: {**r, "version": r["version"]})
# The subjects' slice of a live-state document: the subjects the record owns are those "owned_subjects" names.
live_from_json = kind_slice(
    _owned, _latest,
    resources=("subjects", by_name(shape(LiveSubject, _defaults, schema_id="id", references=each(_reference, tuple)))),
    owned="owned_subjects", records="owned_subjects", problem=("subject_problem", _problem),
    problem_detail=("subject_problem", lambda value: None if not value or value in _CODES else str(value)))
