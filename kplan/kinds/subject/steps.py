"""The schema registry subject steps — and the pure builder that makes them from a plan.

* `PutSubject` (phase REGISTER_SUBJECTS, before the connectors that use the schemas): one per subject whose
  compatibility level or schema the plan changes. An existing subject gets its new level first (the registry then
  judges the registration under the level the plan leaves in place); a new subject is registered first, then
  gets its level (a level needs a subject). Undo: delete for good the version this run registered and a subject it
  created (verified gone, soft-deleted ones included), and put a changed level back (the subject's own, or none).
* `DeleteSubjects` (phase DELETE_SUBJECTS, irreversible): soft-delete subjects the stack owns and no longer
  declares (or destroy), and hard-delete them after when the stack says `schema_registry.delete: permanent`; a
  subject before the subjects it references, in that order (the registry refuses to delete a referenced one).

Subjects referenced by other subjects in the same run are registered first (a reference to `latest` is resolved
when the referencing schema is registered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from kplan.kinds.planned import payloads
from kplan.kinds.step import Phase, Planned, StepBase, name_list
from kplan.kinds.subject.kind import SubjectPlanned
from kplan.kinds.subject.model import SchemaReference
from kplan.model.desired import Stack
from kplan.model.live import LiveState
from kplan.model.plan import Action, Plan


@dataclass(frozen=True)
class PutSubject(StepBase):
    """Set a subject's compatibility level and/or register its declared schema as a new version.

    `schema` None: only the level changes. `level_changes`: the level is set to `level` (None: the subject's own
    level is removed, so it inherits the global one). Before-image: the subject's latest version before the run
    (None: the subject did not exist or had no live version) and its own level then (None: inherited)."""

    kind: ClassVar[str] = "put-subject"
    phase: ClassVar[Phase] = Phase.REGISTER_SUBJECTS
    before_keys: ClassVar[Mapping[str, str]] = {"before_version": "version", "before_level": "level"}

    subject: str
    schema: str | None = None
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()
    level: str | None = None
    level_changes: bool = False
    before_version: int | None = None
    before_level: str | None = None

    def describe(self) -> str:
        parts = []
        if self.schema is not None:
            parts.append("register a new schema version" if self.before_version is not None else
                         "register its first schema version")
        if self.level_changes:
            parts.append(f"set compatibility {self.level}" if self.level else "remove its own compatibility level")
        return f"subject {self.subject}: {' and '.join(parts)}"


@dataclass(frozen=True)
class DeleteSubjects(StepBase):
    """Soft-delete subjects (and hard-delete them after, when `permanent`). Irreversible: a deleted subject's
    versions are gone from the subject (registering the schema again makes a new version)."""

    kind: ClassVar[str] = "delete-subjects"
    phase: ClassVar[Phase] = Phase.DELETE_SUBJECTS
    irreversible: ClassVar[bool] = True

    names: tuple[str, ...]
    permanent: bool = False

    def describe(self) -> str:
        how = "permanently delete" if self.permanent else "soft-delete"
        return f"{how} {len(self.names)} subject(s): {name_list(list(self.names))}"


def _reference_order(names: list[str], refs: dict[str, tuple[SchemaReference, ...]]) -> list[str]:
    """`names` with every subject after the subjects it references (among `names`); otherwise by name."""
    out: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:  # a cycle is the loader's to refuse; never loop here
            return
        for r in sorted(refs.get(name, ()), key=lambda r: r.subject):
            if r.subject in refs:
                visit(r.subject, path + (name,))
        seen.add(name)
        out.append(name)

    for name in sorted(names):
        visit(name, ())
    return out


def build_subject_steps(plan: Plan, stack: Stack, live: LiveState) -> list[Planned]:
    """Each change's `SubjectPlanned` says what to register, which level to set and the references that order
    them; whether deletes are permanent is the stack's cluster setting, not a decision of the plan."""
    puts: dict[str, PutSubject] = {}
    refs: dict[str, tuple[SchemaReference, ...]] = {}
    deletes: dict[str, tuple[SchemaReference, ...]] = {}
    for change, p in payloads(plan, SubjectPlanned):
        if change.action == Action.DELETE:
            deletes[change.name] = p.references
            continue
        if change.action not in (Action.CREATE, Action.UPDATE) or (p.schema is None and not p.set_level):
            continue
        puts[change.name] = PutSubject(change.name, p.schema, p.schema_type, p.references, p.compatibility,
                                       p.set_level, p.version_before, p.compatibility_before)
        refs[change.name] = p.references
    out = [Planned(puts[n]) for n in _reference_order(list(puts), refs)]
    if deletes:  # a subject before the subjects it references (the registry refuses to delete a referenced one)
        names = tuple(reversed(_reference_order(list(deletes), deletes)))
        out.append(Planned(DeleteSubjects(names, stack.cluster.registry_delete == "permanent")))
    return out
