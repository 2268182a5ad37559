"""Running and undoing schema registry subject steps (kplan.kinds.subject.steps).

A `PutSubject` journals what it did as it goes — the level set, then the version the registration got and
whether the subject had it before — so that its undo removes exactly what this run added. A run that died
before journaling the registration leaves no outcome: the undo then looks the schema up and deletes its version
only if it is newer than the subject's latest version before the run (an older one was there already)."""

from __future__ import annotations

from kplan.kinds.handler import StepContext, StepHandler, handles
from kplan.kinds.subject.steps import DeleteSubjects, PutSubject


@handles(PutSubject)
class PutSubjectHandler(StepHandler[PutSubject]):
    def run(self, step: PutSubject, ctx: StepContext) -> None:
        w = ctx.writer
        outcome: dict = {}

        def record(**kw) -> None:
            outcome.update(kw)
            ctx.outcome = dict(outcome)
            ctx.journal_outcome()

        existing = step.before_version is not None
        if existing and step.level_changes:  # the registration is then judged under the level the plan leaves
            w.registry.set_subject_level(step.subject, step.level)
            record(level_set=True)
        if step.schema is not None:
            before = set(w.registry.subject_versions(step.subject))
            version = w.registry.register_schema(step.subject, step.schema, step.schema_type, step.references)
            record(version=version, new=version not in before)
            if version in before and version != max(before):  # never claim a registration the registry did not make
                from kplan.errors import WriteError

                raise WriteError(f"subject {step.subject}: the registry already holds this schema as version "
                                 f"{version}, not the latest ({max(before)}), and registers nothing new; the "
                                 "declared schema is not the subject's latest (run kplan plan to see it as drift)")
        if not existing and step.level_changes:  # a new subject: registered first, its level after
            w.registry.set_subject_level(step.subject, step.level)
            record(level_set=True)

    def undo(self, step: PutSubject, ctx: StepContext) -> None:
        """Delete the version this run registered (verified gone), then put the level back; idempotent."""
        w = ctx.writer
        outcome = ctx.outcome or {}
        if step.schema is not None:
            if "version" in outcome:
                version = int(outcome["version"]) if outcome.get("new") else None
            else:  # the run died before journaling its registration: look
                found = w.registry.schema_version(step.subject, step.schema, step.schema_type, step.references)
                newer = found is not None and (step.before_version is None or found > step.before_version)
                version = found if newer else None
            if version is not None and version in w.registry.subject_versions(step.subject):
                w.registry.delete_schema_version(step.subject, version)
        if step.level_changes and w.registry.subject_level(step.subject) != step.before_level:
            w.registry.set_subject_level(step.subject, step.before_level)


@handles(DeleteSubjects)
class DeleteSubjectsHandler(StepHandler[DeleteSubjects]):
    def run(self, step: DeleteSubjects, ctx: StepContext) -> None:
        ctx.requested()
        ctx.refusable(lambda: ctx.writer.registry.delete_subjects(list(step.names), step.permanent))

    def left_no_trace(self, step: DeleteSubjects, ctx: StepContext) -> bool:
        return all(ctx.writer.registry.subject_versions(name) for name in step.names)
