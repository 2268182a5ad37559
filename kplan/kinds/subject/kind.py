"""The schema registry subject kind: one resource per subject (`subject.orders-value`), declared in `subjects:` or
by a topic's `key_schema` / `value_schema`.

A plan compares the declared schema with the subject's latest version by canonical form (`schemas.py` here),
so whitespace, key order and equivalent spellings never make a change; when they differ it registers the declared
schema as a new version and shows, part by part, what differs (an Avro record's fields, a JSON Schema's
properties, a Protobuf file's statements):

    ~ subject "orders-value" {
        + schema["fields"]["email"] = {"default":null,"type":["null","string"]}
        ~ compatibility              = BACKWARD -> FULL
      }

Whether the registry accepts the new version under the level the plan leaves in place is asked of the registry
itself at plan time (kplan.kinds.subject.io.compat, the kind's plan-time validation). The rules:

* a declared `compatibility` is the subject's own level (set when it differs or the subject has none); unset,
  the level is left alone;
* a declared subject that exists with the declared schema is adopted (recorded as owned, nothing registered);
* the ownership record keeps, per subject, the digest of the schema kplan registered or adopted: a latest version
  with another digest was registered outside kplan (a warning; the plan puts the declared schema back when they
  differ);
* a subject the stack owns and no longer declares, and destroy: soft-deleted (`schema_registry.delete:
  permanent`: hard-deleted after); a subject it does not own is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from kplan.kinds.base import Kind, PlanContext
from kplan.kinds.subject.live import LiveSubject
from kplan.kinds.subject.model import SchemaReference, SubjectSpec
from kplan.kinds.subject.schemas import canonical, diff, outline, schema_digest
from kplan.model.diagnostics import Severity
from kplan.model.live import Problem
from kplan.model.plan import (
    Action,
    AttributeChange,
    AttrKind,
    Flag,
    NoteKind,
    Plan,
    PlanDiagnostic,
    PlannedPayload,
    Reason,
    ResourceChange,
    ResourceType,
    attribute_changes,
    warning,
    with_planned,
)
from kplan.model.status import Difference, ResourceStatus
from kplan.words import plural

if TYPE_CHECKING:  # pragma: no cover
    from kplan.model.desired import Claim, Stack
    from kplan.model.live import LiveState
    from kplan.model.orphans import Orphan
    from kplan.model.ownership import Entry, Ownership
    from kplan.model.source import Origin
    from kplan.secrets import SecretValues

SUBJECT = ResourceType.SUBJECT


@dataclass(frozen=True)
class SubjectStatus(ResourceStatus):
    """A subject's status: the latest version on the registry, the schema's type, the level in effect, and the
    declared level (None: not managed)."""

    schema_version: int | None = None
    schema_type: str | None = None
    compatibility: str | None = None
    declared_compatibility: str | None = None

PROBLEMS = {
    Problem.NO_REGISTRY: "the stack names no schema registry: set cluster.schema_registry.url",
}


# What each compatibility level guarantees: a level meets an expected one when it guarantees all of that one's.
GUARANTEES: Mapping[str, frozenset[str]] = {
    "NONE": frozenset(),
    "BACKWARD": frozenset({"backward"}),
    "BACKWARD_TRANSITIVE": frozenset({"backward", "backward-transitive"}),
    "FORWARD": frozenset({"forward"}),
    "FORWARD_TRANSITIVE": frozenset({"forward", "forward-transitive"}),
    "FULL": frozenset({"backward", "forward"}),
    "FULL_TRANSITIVE": frozenset({"backward", "backward-transitive", "forward", "forward-transitive"}),
}


def ref_labels(refs: tuple[SchemaReference, ...]) -> list[str]:
    return [r.label() for r in sorted(refs)]


def live_repr(current: LiveSubject) -> dict[str, Any]:
    return {"version": current.version, "schema_type": current.schema_type,
            "schema": canonical(current.schema_type, current.schema), "references": ref_labels(current.references),
            "compatibility": current.compatibility, "effective_compatibility": current.effective_compatibility}


def desired_repr(spec: SubjectSpec, current: LiveSubject | None) -> dict[str, Any]:
    level = spec.compatibility if spec.compatibility is not None else (current.compatibility if current else None)
    return {"schema_type": spec.schema_type, "schema": canonical(spec.schema_type, spec.schema),
            "references": ref_labels(spec.references), "compatibility": level}


def _schema_attrs(spec: SubjectSpec, current: LiveSubject | None) -> list[AttributeChange]:
    if current is not None and current.declared_version is not None:  # the registry's lookup found it
        if current.declared_version == current.version:
            return []  # the latest: the registry holds the two as the same schema
        return [AttributeChange(("version",), AttrKind.DRIFT, current.version, current.declared_version,
                                note=NoteKind.DECLARED_IS_OLDER)]
    if current is None or current.schema_type != spec.schema_type:  # every part of the declared schema is new
        added = {("schema",) + path: value for path, value in outline(spec.schema_type, spec.schema).items()}
        if current is None:
            return attribute_changes({}, added, sort=False)
        return attribute_changes({("schema_type",): current.schema_type},
                                 {("schema_type",): spec.schema_type, **added}, sort=False)
    # diff's parts as they are: two may share a path (a Protobuf line removed where another is inserted), and two
    # differing values may look alike once clipped for display (a long record's field order)
    return [AttributeChange(("schema",) + p, AttrKind.ADD if a is None else AttrKind.REMOVE if b is None else
                            AttrKind.UPDATE, a, b, note=NoteKind.SCHEMA_FIELD if None not in (a, b) else None)
            for p, a, b in diff(spec.schema_type, current.schema, spec.schema)]


def _reference_attrs(spec: SubjectSpec, current: LiveSubject | None) -> list[AttributeChange]:
    live = {r.name: r for r in current.references} if current is not None else {}

    def shown(d: SchemaReference) -> str:  # the live reference's label when it is the declared one
        v = live.get(d.name)
        return v.label() if v and d.subject == v.subject and d.version in (None, v.version) else d.label()
    return attribute_changes({("references", v.name): v.label() for v in live.values()},
                             {("references", d.name): shown(d) for d in spec.references})


@dataclass(frozen=True)
class SubjectPlanned(PlannedPayload):
    """What apply does to one subject: register `schema` (None: no new version) with its type and references, and/or
    set its compatibility level (`set_level`; `compatibility` None: remove its own level); the latest version and
    own level before (undo), and on a delete the references it had (a subject is deleted before those it
    references)."""

    type: ClassVar[ResourceType] = SUBJECT

    schema: str | None = None
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()
    set_level: bool = False
    compatibility: str | None = None
    version_before: int | None = None
    compatibility_before: str | None = None


def _planned(spec: SubjectSpec, current: LiveSubject | None, attrs: list[AttributeChange]) -> SubjectPlanned:
    paths = {a.path[0] for a in attrs if a.changed}
    register = current is None or bool(paths & {"schema", "schema_type", "references"})
    set_level = "compatibility" in paths
    return SubjectPlanned(spec.schema if register else None, spec.schema_type, spec.references, set_level,
                          spec.compatibility if set_level else None,
                          current.version if current is not None else None,
                          current.compatibility if current is not None else None)


def registered_outside(name: str, current: LiveSubject, recorded: str, spec: SubjectSpec | None,
                       change: ResourceChange | None) -> PlanDiagnostic | None:
    """A warning for an owned subject whose latest version is not the schema kplan last registered or adopted."""
    if schema_digest(current.schema_type, current.schema, current.references) == recorded:
        return None
    if spec is None:
        then = "it is no longer declared"
    elif current.declared_version is not None and current.declared_version != current.version:
        then = (f"the declared schema is version {current.declared_version} there, and registries do not register a "
                "schema a subject already has, so the plan cannot make it the latest again: delete the newer "
                f"version(s) by hand (DELETE /subjects/{name}/versions/{current.version}) or declare the latest schema")
    elif change is not None and any(a.path[0] in ("schema", "schema_type", "references") for a in change.attributes):
        then = "the plan registers the declared schema again as a new version"
    else:
        then = "it matches the stack; the next apply records it"
    return warning(f"the latest version ({current.version}) was registered outside kplan: it is not the schema kplan "
                   f"last registered there; {then}", "subject-registered-outside",
                   address=f"{SUBJECT.value}.{name}", origin=spec.origin if spec else None)


class SubjectKind(Kind[SubjectSpec, LiveSubject, SubjectStatus]):
    type = SUBJECT
    planned_type = SubjectPlanned
    title = "Schema subjects"
    section = "subjects"
    status_type = SubjectStatus
    reference_problems = PROBLEMS

    def readable(self, declared: Mapping[str, SubjectSpec], live: "LiveState", allowed: frozenset[str] = frozenset()
                 ) -> tuple[dict[str, SubjectSpec], list[PlanDiagnostic]]:
        """The declared subjects and those the stack's mirrors give this registry (`schemas: true`: declared by the
        mirror from the source's registry, as a CDC source declares its topics; kplan.kinds.subject.mirrored)."""
        from kplan.kinds.subject.mirrored import mirrored

        ok, diags = super().readable(declared, live, allowed)
        given, more = mirrored(ok, live)
        return {**ok, **given}, diags + more

    def orphans(self, live: "LiveState", claims: "tuple[Claim, ...]", declared: Mapping[str, Any]) -> "list[Orphan]":
        """Those the stack's mirrors give this registry are declared too (by the mirror), never orphans."""
        from kplan.kinds.subject.mirrored import mirrored

        return super().orphans(live, claims, {**declared, **mirrored(declared, live)[0]})

    def plan(self, spec: SubjectSpec, current: LiveSubject | None, ctx: PlanContext
             ) -> tuple[ResourceChange, list[PlanDiagnostic]]:
        attrs = _schema_attrs(spec, current) + _reference_attrs(spec, current)
        unchanged = 0
        if spec.compatibility is not None:  # else the subject's own level is left as it is
            level = ("compatibility",)
            own, effective = ((current.compatibility, current.effective_compatibility) if current is not None
                              else (None, None))
            attrs += attribute_changes({level: own}, {level: spec.compatibility}, inherited={level: effective})
            unchanged += own == spec.compatibility
        if current is not None and not any(a.path[0] in ("schema", "schema_type", "references") for a in attrs):
            unchanged += 1  # the schema
        flags = frozenset({Flag.ADOPT}) if current is not None and not ctx.owned else frozenset()
        if any(a.kind == AttrKind.DRIFT for a in attrs):
            flags |= {Flag.DRIFT}
        if current is None:
            action, reason = Action.CREATE, Reason.NOT_ON_REGISTRY
        elif any(a.changed for a in attrs):
            action, reason = Action.UPDATE, Reason.DIFFERS
        else:
            action, reason = Action.NOOP, Reason.MATCHES
        return with_planned(ResourceChange(
            address=f"{SUBJECT.value}.{spec.name}", type=SUBJECT, name=spec.name, action=action,
            before=live_repr(current) if current is not None else None, after=desired_repr(spec, current),
            attributes=tuple(attrs), unchanged_attributes=unchanged, flags=flags, reason=reason,
            origin=spec.schema_origin or spec.origin), _planned(spec, current, attrs)), []

    def delete(self, current: LiveSubject, spec: SubjectSpec | None, reason: Reason,
               origin: Origin | None = None) -> ResourceChange:
        versions = ", ".join(str(v) for v in current.versions) or str(current.version)
        return ResourceChange(
            address=f"{SUBJECT.value}.{current.name}", type=SUBJECT, name=current.name, action=Action.DELETE,
            before=live_repr(current), after=None,
            attributes=tuple(attribute_changes({("versions",): versions}, {})), reason=reason, origin=origin,
            planned=SubjectPlanned(schema_type=current.schema_type, references=current.references,
                                   version_before=current.version, compatibility_before=current.compatibility))

    def live_repr(self, current: LiveSubject, spec: SubjectSpec | None = None) -> dict[str, Any]:
        return live_repr(current)

    def unmet(self, expect: Mapping[str, Any], current: LiveSubject) -> list[str]:
        """A referenced subject's level in effect (its own, else the registry's global one), which must give at
        least the guarantees of the expected one (`BACKWARD` is met by BACKWARD_TRANSITIVE and FULL: a stricter
        level), and a version that must exist (not soft-deleted)."""
        out = []
        want, level = expect.get("compatibility"), current.effective_compatibility
        if want and not (level is not None and GUARANTEES[want] <= GUARANTEES.get(level, frozenset())):
            out.append(f"its compatibility level is {level or 'unknown'}, {want} or stricter expected")
        version = expect.get("version")
        if version is not None and version not in current.versions:
            out.append(f"version {version} does not exist (it has {', '.join(map(str, current.versions))})")
        return out

    def checks(self, stack: Stack, changes: Mapping[str, ResourceChange],
               all_changes: Mapping[str, ResourceChange], live: LiveState) -> list[PlanDiagnostic]:
        """Versions registered by hand under subjects this stack owns; what the mirrors register here, and from
        where (kplan.kinds.subject.mirrored)."""
        from kplan.kinds.subject.mirrored import mirrored, registration_notes

        declared = {s.name: s for s in stack.of("subjects")}
        given = mirrored(declared, live)[0]
        declared.update(given)
        out = registration_notes(changes, given, live, stack.cluster.schema_registry_url)
        subjects = live.of(SUBJECT)
        return out + [d for name, recorded in sorted(subjects.records.items())
                      if (current := subjects.resources.get(name)) is not None and name in subjects.owned
                      and (d := registered_outside(name, current, recorded, declared.get(name), changes.get(name)))]

    def deletion_notes(self, stack: Stack, changes: Mapping[str, ResourceChange],
                       all_changes: Mapping[str, ResourceChange], live: LiveState,
                       secrets: SecretValues | None = None) -> list[PlanDiagnostic]:
        out = self.unreadable(live, stack.of("subjects"), "schema registry subjects", PROBLEMS)
        deleted = sorted(n for n, c in changes.items() if c.action == Action.DELETE)
        out += _referenced_deletions(deleted, live)
        if deleted:
            how = ("permanently deleted (soft, then hard delete): their schemas are gone"
                   if stack.cluster.registry_delete == "permanent" else
                   "soft-deleted: their versions are hidden, registering a schema again brings the subject back "
                   "(set cluster.schema_registry.delete: permanent to hard-delete)")
            out.append(PlanDiagnostic(Severity.INFO, f"{plural(len(deleted), 'subject')} ({', '.join(deleted)}) "
                                      f"will be {how}; consumers still reading records written with them need the "
                                      "schemas", "subject-deletion", address=f"{SUBJECT.value}.{deleted[0]}"))
        return out

    def canonical(self, current: LiveSubject, secret: frozenset[str]) -> dict[str, Any]:
        return {"type": "subject", **live_repr(current)}

    def record_after(self, plan: Plan, stack: Stack, live: LiveState, destroy: bool, parts: Ownership
                     ) -> dict[str, Entry]:
        """Its part of the ownership record once the plan is applied: the schema registry subjects kplan owns, each
        with the digest of the schema it registered or adopted there. Owned subjects that still exist keep theirs,
        every declared subject the plan registers, changes or finds as declared gets the declared schema's, and
        deleted ones are dropped. While the registry cannot be read, the record stays as it is (nothing can be
        planned for subjects then)."""
        subjects = live.of(SUBJECT)
        if subjects.problem is not None:
            return dict(sorted(subjects.records.items()))
        return self.entries_after(plan, {n: d for n, d in subjects.records.items()
                                         if n in subjects.resources and n in subjects.owned},
                                  declared_digests(stack, live), destroy)

    def record_of(self, live: LiveState) -> dict[str, Entry]:
        """Its part of the record as the live state shows it: subject -> the schema digest kplan registered."""
        return dict(sorted(live.of(SUBJECT).records.items()))

    def status_declared(self, spec: SubjectSpec) -> dict[str, Any]:
        return {"schema_type": spec.schema_type, "declared_compatibility": spec.compatibility}

    def status_live(self, current: LiveSubject) -> dict[str, Any]:
        return {"schema_version": current.version, "schema_type": current.schema_type,
                "compatibility": current.effective_compatibility}

    def status_detail(self, r: SubjectStatus) -> str:
        level = f", compatibility {r.compatibility}" if r.compatibility else ""
        if not r.exists:
            declared = f", compatibility {r.declared_compatibility}" if r.declared_compatibility else ""
            return f"declared {r.schema_type}{declared}"
        return f"version {r.schema_version} ({r.schema_type}){level}"

    def difference_text(self, r: SubjectStatus, d: "Difference") -> str:
        return {AttrKind.ADD: f"+ {d.label} = {d.declared}: declared, not on the registry",
                AttrKind.REMOVE: f"- {d.label} = {d.live}: on the registry, not declared",
                AttrKind.UPDATE: f"~ {d.label} = {d.live}: the stack declares {d.declared}",
                }.get(d.kind, f"~ {d.label} = {d.live}: differs (left alone)")

    status_keys = {"version": "schema_version", "schema_type": "schema_type", "compatibility": "compatibility"}
    declared_keys = ("compatibility",)


def _referenced_deletions(deleted: list[str], live: "LiveState") -> list[PlanDiagnostic]:
    """Registries refuse to delete a subject another subject's schema references. A deletion that would be refused
    is a plan error, before anything is deleted: the referencing subject stays. One whose referrers all go in the
    same run is deleted after them (kplan.kinds.subject.io.write deletes it version by version where Apicurio refuses
    the subject's soft delete because soft-deleted referrers still count), softly or permanently as the stack says."""
    from kplan.model.plan import error

    gone = set(deleted)
    out = []
    for name in deleted:
        referrers = sorted(n for n, s in live.of(SUBJECT).resources.items() if n != name and any(
            r.subject == name for r in s.references))
        staying = [n for n in referrers if n not in gone]
        if staying:
            out.append(error(f"subject {name!r} is referenced by {', '.join(staying)}, which stays: the registry "
                             "refuses to delete a referenced subject; remove the reference first, or keep declaring "
                             f"{name!r}", "subject-referenced", address=f"{SUBJECT.value}.{name}"))
    return out


def declared_digests(stack: "Stack", live: "LiveState") -> dict[str, str]:
    """subject -> the digest of its declared schema, for the subjects the stack declares and those its mirrors give
    (kplan.kinds.subject.mirrored)."""
    from kplan.kinds.subject.mirrored import mirrored

    declared = {s.name: s for s in stack.of("subjects")}
    declared.update(mirrored(declared, live)[0])
    return {n: schema_digest(s.schema_type, s.schema, s.references) for n, s in declared.items()}


KIND = SubjectKind()
