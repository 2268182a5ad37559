"""Plan-time compatibility: the registry itself judges every schema the plan registers onto an existing subject
(`POST /compatibility/subjects/<s>/versions/latest`), under the level the plan leaves in place, so that an
incompatible change fails `kplan plan` at the schema's line — before anything is merged or applied.

The registry can only judge under the level in effect now. When the plan also changes the level, the check runs
only if the new level is the same as the one in effect (NONE: nothing to check); otherwise the plan gets a warning
that the registry judges the schema at apply, under the new level (a refusal there rolls the run back). The same
warning when the registry cannot judge a schema with references (Apicurio 3.0 answers 422 "invalid Avro schema"
for them, though it registers and judges the same schema)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kplan.errors import KplanError
from kplan.kinds.subject.io import SubjectRead
from kplan.kinds.subject.io.client import INVALID_SCHEMA, error_code, error_line, json_body, level_of, message_of
from kplan.kinds.subject.io.read import get
from kplan.kinds.subject.model import SubjectSpec
from kplan.model.desired import Stack
from kplan.model.plan import Action, Plan, PlanDiagnostic, ResourceType, error, warning
from kplan.transport.http import RestClient
from kplan.transport.http import rest_path as path

SCHEMA_PATHS = frozenset({"schema", "schema_type", "references"})
INCOMPATIBLE = "schema-incompatible"
UNCHECKED = "schema-compatibility-unchecked"
INVALID = "schema-invalid"
UNREACHABLE = "schema-registry-unreachable"
_WORKERS = 8


def registrations(stack: Stack, plan: Plan) -> list[tuple[SubjectSpec, str | None, int, str]]:
    """(spec, the level the plan sets — "" when it removes the subject's own level — or None when it leaves the
    level alone, the latest version and the level in effect as the plan read them) for every subject change that
    registers a schema onto an existing subject. The plan's live side is used as read: not asked again."""
    declared = {s.name: s for s in stack.of("subjects")}
    out = []
    for c in plan.changes:
        if c.type != ResourceType.SUBJECT or c.action != Action.UPDATE or not c.before:
            continue
        changed = {a.path[0] for a in c.attributes if a.changed and a.path}
        spec = declared.get(c.name) or _from_planned(c)
        if changed & SCHEMA_PATHS and spec is not None:
            out.append((spec, (spec.compatibility or "") if "compatibility" in changed else None,
                        int(c.before["version"]), str(c.before.get("effective_compatibility") or "NONE")))
    return out


def _from_planned(change: Any) -> SubjectSpec | None:
    """The subject a change registers, from what the plan says apply does: a subject the stack does not declare in
    `subjects:` (one a mirror gives, kplan.kinds.subject.mirrored)."""
    from kplan.kinds.planned import planned_of
    from kplan.kinds.subject.kind import SubjectPlanned

    p = planned_of(change, SubjectPlanned)
    if p.schema is None:
        return None
    return SubjectSpec(change.name, p.schema, p.schema_type, p.references, p.compatibility if p.set_level else None,
                       origin=change.origin)


def consequence(level: str, version: int) -> str:
    """What an incompatible change under `level` would break, in words."""
    earlier = f"version {version}" + (" or an earlier version" if level.endswith("_TRANSITIVE") else "")
    if level.startswith("BACKWARD"):
        return f"consumers that move to the new schema could not read what was written with {earlier}"
    if level.startswith("FORWARD"):
        return f"consumers still reading with {earlier} could not read what is written with the new schema"
    return f"readers and writers of {earlier} and of the new schema could not read each other's data"


class SubjectValidation:
    """The kind's plan-time validation (`KindIO.validation_ref`): `check_subjects` over the batched reader's
    registry session (the follow-up read's); a validator without a reader checks nothing."""

    def __init__(self, validator: Any):
        self.reader = validator.reader

    def validate(self, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
        return check_subjects(self.reader.io(SubjectRead).registry if self.reader is not None else None, stack, plan)


def check_subjects(http: RestClient | None, stack: Stack, plan: Plan) -> list[PlanDiagnostic]:
    todo = registrations(stack, plan)
    if http is None or not todo:
        return []
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(todo))) as pool:
        results = list(pool.map(lambda t: _check(http, *t), todo))
    out: list[PlanDiagnostic] = []
    for diags in results:
        for d in diags:
            if d.code == UNREACHABLE and any(o.code == UNREACHABLE for o in out):
                continue  # one line for a registry that does not answer
            out.append(d)
    return out


def _check(http: RestClient, spec: SubjectSpec, new_level: str | None, version: int,
           current: str) -> list[PlanDiagnostic]:
    where = dict(address=f"subject.{spec.name}", origin=spec.schema_origin or spec.origin)
    try:
        # the level the plan leaves in place ("": the subject's own level is removed, the global one is left)
        left = current if new_level is None else new_level or level_of(get(http, path("config"), missing=())) or "NONE"
        if left == "NONE":
            return []
        if left != current:
            return [_unchecked(left, f"the plan changes the level from {current} to {left} and the registry can "
                                     "judge only under the level in effect", where, judge="it")]
        return _judge(http, spec, version, left, where)
    except KplanError as e:
        return [error(f"the schema registry could not check schema compatibility: {e}", UNREACHABLE, **where)]


def _judge(http: RestClient, spec: SubjectSpec, version: int, level: str, where: dict[str, Any]
           ) -> list[PlanDiagnostic]:
    refs = []
    for r in spec.references:
        ref_version = r.version
        if ref_version is None:
            found = get(http, path("subjects", r.subject, "versions", "latest"))
            if not isinstance(found, dict):  # registered by this run, before this subject: judged at apply
                return [_unchecked(level, "a subject it references has no version yet", where)]
            ref_version = int(found["version"])
        refs.append({"name": r.name, "subject": r.subject, "version": ref_version})
    body = {"schema": spec.schema, "schemaType": spec.schema_type, "references": refs}
    # a transitive level is judged against every version (`/versions`), the others against the latest
    where_path = (path("compatibility", "subjects", spec.name, "versions") if level.endswith("_TRANSITIVE") else
                  path("compatibility", "subjects", spec.name, "versions", "latest"))
    r = http.request("POST", where_path, json=body)
    if r.status_code == 422 and error_code(r) == INVALID_SCHEMA and refs:
        return [_unchecked(level, "the registry cannot judge a schema with references at plan time "
                                        f"({http.scrub(message_of(r))})", where)]
    if r.status_code == 422:
        return [error("the registry refuses the schema: "
                      f"{http.scrub(message_of(r))}", INVALID, **where)]
    if r.status_code == 404:
        return []
    if r.status_code != 200:
        raise KplanError(error_line(http, "POST", where_path, r))
    if json_body(http, r).get("is_compatible", True):
        return []
    against = f"its versions up to {version}" if level.endswith("_TRANSITIVE") else f"version {version}"
    return [error(f"the registry judges the new schema incompatible with {against} "
                  f"under {level} (what the plan leaves in place); {consequence(level, version)} — make the change "
                  "compatible (e.g. give new fields a default) or change compatibility first", INCOMPATIBLE, **where)]


def _unchecked(level: str, why: str, where: dict[str, Any], judge: str = "the registry") -> PlanDiagnostic:
    return warning(f"compatibility not checked at plan time: {why}; {judge} judges the "
                   f"new schema under {level} at apply (a refusal rolls the run back)", UNCHECKED, **where)
